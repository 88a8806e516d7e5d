"""The dashboard of one organization or network: ``/workspace/{slug}``."""

from __future__ import annotations

from sqlmodel import Session
from starlette.responses import Response

from node.features.workspace.desk import Desk, staff_page
from node.features.workspace.figures import dashboard as read_dashboard


@staff_page(role="editor")
def dashboard(desk: Desk) -> Response:
    """``GET /workspace/{slug}``: what needs attention, upcoming events, recent items."""
    with Session(desk.engine) as session:
        board = read_dashboard(session, desk.actor, desk.node.urls)
    recent = [(i.url, i) for i in board.recent]  # (link, figures), as Insight's table has them
    return desk.render("workspace/dashboard.html", board=board, recent=recent)
