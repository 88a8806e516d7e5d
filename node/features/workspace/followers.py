"""Deciding on followers from the People page, through the services ``solnode approve``,
``reject`` (node/features/follows/approval.py) use: the Accept or Reject goes out the same way."""

from __future__ import annotations

from sqlmodel import Session
from starlette.responses import Response

from node.db import session_scope
from node.features.follows import approval
from node.features.workspace.confirm import confirm_first
from node.features.workspace.desk import Desk, refusal, staff_page
from node.models import Follower
from node.web.i18n import N_


def _follower(desk: Desk) -> Follower | None:
    with Session(desk.engine) as session:
        row = session.get(Follower, desk.number("follower_id") or -1)
    return row if row is not None and row.actor_id == desk.actor.id else None


def _gone(desk: Desk) -> Response:
    return refusal(desk.request, 404, N_("No such follower"),
                   N_("This follower is not there any more: reload the People page."))  # fmt: skip


def _decide(desk: Desk, row: Follower, approve: bool) -> Response:
    try:
        with session_scope(desk.engine) as session:
            approval.decide(session, desk.node, desk.actor, row.remote_id, approve=approve)
    except approval.FollowerError as exc:
        return refusal(desk.request, 409, N_("Already decided"),
                       f"{exc.in_language(desk.lang)}.")  # fmt: skip
    desk.node.notify_work()
    return desk.redirect("/people", done="follower-approved" if approve else "follower-rejected")


@staff_page(role="editor")
def approve(desk: Desk) -> Response:
    """``POST /workspace/{slug}/followers/approve``: ``follower_id`` (an Accept goes out)."""
    row = _follower(desk)
    return _gone(desk) if row is None else _decide(desk, row, True)


@staff_page(role="editor")
def reject(desk: Desk) -> Response:
    """``POST /workspace/{slug}/followers/reject``: ``follower_id``, confirmed (a Reject)."""
    row = _follower(desk)
    if row is None:
        return _gone(desk)
    told = N_(
        "They will be told their request to follow was refused (a Reject goes to their "
        "server) and will not see what %(name)s publishes for followers."
    )
    asking = confirm_first(desk, title=desk.gettext(N_("Refuse %(who)s?"), who=row.remote_id),
                           button=desk.gettext(N_("Refuse")), back="/people",
                           consequence=desk.gettext(told, name=desk.actor.name))  # fmt: skip
    return asking or _decide(desk, row, False)


@staff_page(role="admin")
def remove(desk: Desk) -> Response:
    """``POST /workspace/{slug}/followers/remove``: ``follower_id``, confirmed."""
    row = _follower(desk)
    if row is None:
        return _gone(desk)
    told = N_(
        "They will stop being a follower: their server is told (a Reject of their "
        "Follow) and gets nothing more from %(name)s. They can ask to follow again."
    )
    asking = confirm_first(desk, title=desk.gettext(N_("Remove %(who)s?"), who=row.remote_id),
                           button=desk.gettext(N_("Remove the follower")), back="/people",
                           consequence=desk.gettext(told, name=desk.actor.name))  # fmt: skip
    if asking is not None:
        return asking
    try:
        with session_scope(desk.engine) as session:
            approval.remove(session, desk.node, desk.actor, row.remote_id)
    except approval.FollowerError as exc:
        return refusal(desk.request, 409, N_("Cannot remove"),
                       f"{exc.in_language(desk.lang)}.")  # fmt: skip
    desk.node.notify_work()
    return desk.redirect("/people", done="follower-removed")
