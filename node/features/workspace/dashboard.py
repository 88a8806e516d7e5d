"""The dashboard of one organization or network: ``/workspace/{slug}``."""

from __future__ import annotations

from starlette.responses import Response

from node.features.workspace.desk import Desk, staff_page


@staff_page(role="editor")
def dashboard(desk: Desk) -> Response:
    """``GET /workspace/{slug}``: what needs attention, upcoming events, recent items."""
    return desk.render("workspace/dashboard.html")
