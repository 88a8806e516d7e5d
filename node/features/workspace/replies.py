"""Replies waiting for moderation and reports received, on the People page: approve or hide a
reply (node/features/participation/replies.py, as the API does), report one to its author's
server (the Flag of ``solnode report``), resolve a report (``solnode reports --resolve``)."""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session
from starlette.responses import Response

from node.db import session_scope
from node.features.moderation.actions import ModerationError, resolve_report
from node.features.moderation.reports import MAX_COMMENT, send_report
from node.features.participation import replies
from node.features.workspace.confirm import confirm_first, confirm_first_async
from node.features.workspace.desk import Desk, refusal, staff_page
from node.features.workspace.people import report_of
from node.features.workspace.remote_words import why_not
from node.federation.remote.actors import RemoteActorError
from node.models import Interaction
from node.web.i18n import N_


def who(desk: Desk) -> str:
    """How the moderation log names a decision made in the workspace."""
    return f"admin:{desk.user.email}"


def _no_reply(desk: Desk) -> Response:
    return refusal(desk.request, 404, N_("No such reply"),
                   N_("There is no such reply to this organization's items."))  # fmt: skip


def _moderate(desk: Desk, state: str) -> Response:
    with session_scope(desk.engine) as session:
        row = replies.moderate(session, desk.actor, desk.number("reply_id"), state)
    if row is None:
        return _no_reply(desk)
    return desk.redirect("/people", done=f"reply-{state}")


@staff_page(role="editor")
def approve(desk: Desk) -> Response:
    """``POST /workspace/{slug}/replies/approve``: ``reply_id``; shown under the item."""
    return _moderate(desk, "approved")


@staff_page(role="editor")
def hide(desk: Desk) -> Response:
    """``POST /workspace/{slug}/replies/hide``: ``reply_id``, confirmed."""
    asking = confirm_first(desk, title=desk.gettext(N_("Hide this reply?")),
                           button=desk.gettext(N_("Hide")), back="/people",
                           consequence=desk.gettext(N_("It will not be shown under the item. Its "
                                                       "author is not told.")))  # fmt: skip
    return asking or _moderate(desk, "hidden")


def _reply(desk: Desk) -> Interaction | None:
    with Session(desk.engine) as session:
        return replies.reply_of(session, desk.actor, desk.number("reply_id"))


@staff_page(role="admin")
async def report(desk: Desk) -> Response:
    """``POST /workspace/{slug}/replies/report``: ``reply_id``, ``comment``, confirmed: the
    reply is hidden and a Flag goes to its author's server."""
    row = await to_thread.run_sync(_reply, desk)
    if row is None:
        return _no_reply(desk)
    told = N_(
        "The reply will be hidden, and a report (a Flag from this node, with your "
        "comment) goes to the moderators of its author's server. Its author is not told "
        "by us."
    )
    asking = await confirm_first_async(
        desk, title=desk.gettext(N_("Report this reply by %(who)s?"), who=row.actor),
        back="/people", button=desk.gettext(N_("Hide and report")),
        consequence=desk.gettext(told))  # fmt: skip
    if asking is not None:
        return asking
    comment, reply_id = desk.field("comment", MAX_COMMENT), str(row.document.get("id") or "")
    try:
        await send_report(desk.node, row.actor, comment, [reply_id or row.activity_id],
                          who=who(desk))  # fmt: skip
    except (ModerationError, RemoteActorError) as exc:
        return refusal(desk.request, 400, N_("Not reported"),
                       desk.gettext(N_("The report could not be sent: %(reason)s."), reason=why_not(exc, desk.lang)))  # fmt: skip

    def hide_it() -> None:
        with session_scope(desk.engine) as session:
            replies.moderate(session, desk.actor, row.id or 0, "hidden")

    await to_thread.run_sync(hide_it)
    return desk.redirect("/people", done="reply-reported")


@staff_page(role="admin")
def resolve(desk: Desk) -> Response:
    """``POST /workspace/{slug}/reports/resolve``: ``report_id``, ``note``, confirmed."""
    number = desk.number("report_id")
    with Session(desk.engine) as session:
        found = report_of(session, desk.actor, desk.node.urls, number)
    if found is None:
        return refusal(desk.request, 404, N_("No such report"),
                       N_("There is no open report about this organization with that number."))  # fmt: skip
    told = N_(
        "It leaves the list of open reports; your note is kept in the node's moderation "
        "log. The reporter is not told."
    )
    asking = confirm_first(desk,
                           title=desk.gettext(N_("Mark report #%(number)s resolved?"), number=number),
                           button=desk.gettext(N_("Resolve")), back="/people",
                           consequence=desk.gettext(told))  # fmt: skip
    if asking is not None:
        return asking
    try:
        resolve_report(desk.engine, number, who=who(desk), reason=desk.field("note", 2000))
    except ModerationError as exc:
        return refusal(desk.request, 404, N_("No such report"),
                       f"{exc.in_language(desk.lang)}.")  # fmt: skip
    return desk.redirect("/people", done="report-resolved")
