"""The Insight pages: ``/workspace/{slug}/insight`` (followers over time, every recent item's
figures) and ``/workspace/{slug}/items/{id}/insight`` (one item in full, with the feedback on
an event). Numbers and tables with captions; the bars are CSS widths, no JavaScript."""

from __future__ import annotations

from sqlmodel import Session
from starlette.responses import Response

from node.db import now_utc, session_scope
from node.features.workspace import follower_history
from node.features.workspace.desk import Desk, staff_page
from node.features.workspace.insight_figures import item_insight, mine, recent_items


@staff_page(role="editor")
def overview(desk: Desk) -> Response:
    """``GET /workspace/{slug}/insight``: followers over time and the recent items' figures."""
    now = now_utc()
    assert desk.actor.id is not None
    # the daily count starts with the first look at Insight (idempotent: its dedupe key)
    with session_scope(desk.engine) as session:
        follower_history.schedule(session, now)
    with Session(desk.engine) as session:
        points = follower_history.history(session, desk.actor.id, now)
        items = [(f"{desk.base}/items/{item_id}/insight", f)
                 for item_id, f in recent_items(session, desk.actor)]  # fmt: skip
    top = max([p.accepted for p in points] + [1])
    return desk.render("workspace/insight.html", points=points, top=top, items=items)


@staff_page(role="editor")
def item(desk: Desk) -> Response:
    """``GET /workspace/{slug}/items/{id}/insight``: one item's figures and feedback."""
    raw = desk.request.path_params.get("item_id", "")
    with Session(desk.engine) as session:
        found = mine(session, desk.actor, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if found is None:
            return desk.render("workspace/insight_missing.html", status=404, item_ref=raw[:40])
        insight = item_insight(session, desk.actor, found)
    ended = insight.end is not None and insight.end <= now_utc()
    return desk.render("workspace/insight_item.html", i=insight, ended=ended)
