"""An event's participants: ``/workspace/{slug}/events/{item_id}/participants`` — people who
joined from the fediverse and people who registered on the event page without an account.
Approving and refusing go through node/features/participation (the same as the API: an Accept
or Reject goes to a fediverse participant); the list exports as CSV."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select
from starlette.responses import Response

from node.db import as_utc, session_scope
from node.features.participation import handlers as participation
from node.features.workspace.confirm import confirm_first
from node.features.workspace.desk import Desk, refusal, staff_page
from node.features.workspace.figures import title_of
from node.features.workspace.sheets import to_csv
from node.models import Item, Participant
from node.web.i18n import N_

# The columns, in the exporting organizer's language (a spreadsheet is read like a page).
HEADER = (
    N_("name"),
    N_("fediverse account"),
    N_("e-mail"),
    N_("state"),
    N_("registered"),
    N_("last change"),
)


def _event(desk: Desk) -> Item | None:
    number = int(desk.request.path_params["item_id"])
    with Session(desk.engine) as session:
        item = session.get(Item, number) if number <= 2**31 - 1 else None
    ours = item is not None and item.actor_id == desk.actor.id and item.kind == "event"
    return item if ours and item is not None and item.deleted_at is None else None


def _no_event(desk: Desk) -> Response:
    return refusal(desk.request, 404, N_("No such event"),
                   N_("This organization has no such event (it may have been deleted)."))  # fmt: skip


def _rows(session: Session, item: Item) -> list[Participant]:
    query = select(Participant).where(Participant.item_id == item.id)
    return list(session.exec(query.order_by(col(Participant.id))))


@staff_page(role="editor")
def participants(desk: Desk) -> Response:
    """``GET …/events/{item_id}/participants``: waiting first, then everyone else."""
    item = _event(desk)
    if item is None:
        return _no_event(desk)
    with Session(desk.engine) as session:
        rows = _rows(session, item)
        state = participation.join_state(session, item)
    return desk.render("workspace/participants.html", event=item, title=title_of(item.document),
                       waiting=[r for r in rows if r.state == "pending"],
                       others=[r for r in rows if r.state != "pending"],
                       join_state=state, join_mode=item.source.get("joinMode", "free"))  # fmt: skip


def _participant(desk: Desk, item: Item) -> Participant | None:
    with Session(desk.engine) as session:
        row = session.get(Participant, desk.number("participant_id") or -1)
    return row if row is not None and row.item_id == item.id else None


def _decide(desk: Desk, approve: bool) -> Response:
    item = _event(desk)
    row = _participant(desk, item) if item is not None else None
    if item is None or row is None:
        return _no_event(desk)
    back = f"/events/{item.id}/participants"
    if not approve:
        if row.actor:
            told = desk.gettext(
                N_("They will be told their participation was refused (a Reject goes to their "
                   "server).")
            )  # fmt: skip
        elif row.email:
            told = desk.gettext(
                N_("Their registration will be marked refused. The node sends no e-mail: tell "
                   "them yourself at %(email)s."),
                email=row.email,
            )  # fmt: skip
        else:
            told = desk.gettext(
                N_("Their registration will be marked refused. The node sends no e-mail: tell "
                   "them yourself.")
            )  # fmt: skip
        asking = confirm_first(
            desk,
            title=desk.gettext(N_("Refuse %(who)s?"), who=row.name or row.actor),
            button=desk.gettext(N_("Refuse")),
            back=back,
            consequence=told,
        )
        if asking is not None:
            return asking
    try:
        with session_scope(desk.engine) as session:
            fresh = session.get(Participant, row.id)
            event = session.get(Item, item.id)
            assert fresh is not None and event is not None
            act = participation.approve if approve else participation.reject
            act(session, desk.node, event, fresh)
    except participation.ParticipationError as exc:
        return refusal(desk.request, 409, N_("Cannot do this now"),
                       desk.gettext(N_("Not done: %(reason)s."), reason=exc.in_language(desk.lang)))  # fmt: skip
    desk.node.notify_work()
    return desk.redirect(back, done="participant-approved" if approve else "participant-refused")  # fmt: skip


@staff_page(role="editor")
def approve(desk: Desk) -> Response:
    """``POST …/events/{item_id}/participants/approve``: ``participant_id``."""
    return _decide(desk, True)


@staff_page(role="editor")
def refuse(desk: Desk) -> Response:
    """``POST …/events/{item_id}/participants/refuse``: ``participant_id``, confirmed."""
    return _decide(desk, False)


def _when(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


@staff_page(role="editor")
def export(desk: Desk) -> Response:
    """``GET …/events/{item_id}/participants.csv``: every participant, for a spreadsheet."""
    item = _event(desk)
    if item is None:
        return _no_event(desk)
    with Session(desk.engine) as session:
        rows = _rows(session, item)
    body = to_csv([desk.gettext(column) for column in HEADER], ((r.name, r.actor, r.email, r.state, _when(r.created_at),
                            _when(r.updated_at)) for r in rows))  # fmt: skip
    name = f"participants-{desk.actor.slug}-{item.id}.csv"
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})  # fmt: skip
