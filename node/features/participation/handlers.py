"""Taking part in our events, Mobilizon's way (interop.md, "Participation").

A ``Join`` {actor, object: event} is answered by the event's organizer:

* ``joinMode: free``: ``Accept`` (embedding the Join) at once;
* ``restricted``: the participant waits (pending) until the organization approves it through the
  API, then gets the ``Accept``; or the ``Reject`` if it declines;
* full (``maximumAttendeeCapacity`` reached), cancelled or over: ``Reject``;
* ``invite``: ``Reject`` (nobody can invite through this node yet);
* ``none``/``external``: ``Ignore`` — joins are not handled over ActivityPub for this event (it is
  published as ``joinMode: external`` with the page that says so, see events.py).

``Leave`` withdraws. People without a fediverse account register on the event page (a name and,
if they like, an e-mail address); they count like everyone else.

The count (``participantCount``, ``remainingAttendeeCapacity``) is written into the stored
document on every change, so a fetch of the event is always fresh. It is not pushed as an
``Update``: a conference with 800 participants would otherwise send 800 Updates to every
follower's server, and Mobilizon itself does not push counts either.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from anyio import to_thread
from sqlalchemy import func
from sqlmodel import Session, col, select

from node.activitypub import activities
from node.activitypub.vocab import id_of
from node.api.errors import ConflictError
from node.db import as_utc, now_utc, session_scope
from node.features.participation import followup
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.models import Item, LocalActor, Participant
from node.web.i18n import N_
from node.web.wording import Worded

__all__ = [
    "ParticipationError",
    "accepted_count",
    "approve",
    "join_state",
    "refresh_count",
    "register",
    "reject",
]

STATES = ("pending", "accepted", "rejected", "left")


class ParticipationError(ConflictError, Worded):
    """A participation cannot change as asked; ``reason`` is a short code (full, closed…).
    The message is N_-marked English (``str()``, the API and the CLI) with its values; a page
    shows it with ``in_language``."""

    def __init__(self, reason: str, message: str, **values: Any) -> None:
        super().__init__(message, **values)
        self.reason = reason


# One whole sentence per state a decision can meet, so each reads well once translated.
NOT_PENDING = {
    "rejected": N_("the participant is rejected"),
    "left": N_("the participant is left"),
    "unconfirmed": N_("the participant is unconfirmed"),
}


def accepted_count(session: Session, item_id: int) -> int:
    """Accepted participants of an event (from the fediverse and from the page)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Participant)
            .where(Participant.item_id == item_id, Participant.state == "accepted")
        ).one()
    )


def refresh_count(session: Session, item: Item) -> int:
    """Write the current count into the stored document (served fresh; see the module doc)."""
    assert item.id is not None
    count = accepted_count(session, item.id)
    doc = dict(item.document)
    doc["participantCount"] = count
    capacity = doc.get("maximumAttendeeCapacity")
    if isinstance(capacity, int):
        doc["remainingAttendeeCapacity"] = max(0, capacity - count)
    item.document = doc  # a new dict: SQLAlchemy sees the JSON column change
    session.add(item)
    return count


def join_state(session: Session, item: Item) -> str:
    """Whether people can join right now: ``open``, ``full``, ``closed`` (cancelled, over, or
    joins not handled here) — what the page and the Join handler both go by."""
    source = item.source
    mode = source.get("joinMode", "free")
    if mode not in ("free", "restricted"):
        return "closed"
    if source.get("status") in ("cancelled", "postponed") or item.deleted_at is not None:
        return "closed"
    if item.end_time is not None and as_utc(item.end_time) <= now_utc():
        return "closed"
    capacity = source.get("maximumAttendeeCapacity")
    assert item.id is not None
    if isinstance(capacity, int) and accepted_count(session, item.id) >= capacity:
        return "full"
    return "open"


def _organizer(session: Session, item: Item) -> LocalActor:
    actor = session.get(LocalActor, item.actor_id)
    assert actor is not None
    return actor


def _answer(
    session: Session, node: NodeContext, item: Item, participant: Participant, kind: str
) -> None:
    """Send Accept, Reject or Ignore of a participant's Join to its actor."""

    organizer = _organizer(session, item)
    author = actor_id(node.urls, organizer)
    ident = node.urls.activity(uuid.uuid4().hex)
    join = participant.join_document or {"id": participant.join_id, "type": "Join"}
    if kind == "Accept":
        doc = activities.accept(ident, author, join, to=participant.actor)
    elif kind == "Reject":
        doc = activities.reject(ident, author, join, to=participant.actor)
    else:
        doc = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": ident,
            "type": "Ignore",
            "actor": author,
            "object": activities.strip_context(join),
            "to": [participant.actor],
        }
    # Not public: who takes part is between the participant and the organizer.
    delivery.send(
        session, organizer, doc, delivery.Audience(actors=(participant.actor,)), public=False
    )


def _set_state(session: Session, participant: Participant, state: str) -> None:
    participant.state = state
    participant.updated_at = now_utc()
    session.add(participant)


def record_join(
    session: Session, node: NodeContext, item: Item, remote: str, join: dict[str, Any]
) -> str:
    """Decide on a Join from ``remote`` and send the answer; returns what happened."""
    assert item.id is not None
    join_id = id_of(join) or f"urn:uuid:{uuid.uuid4()}"
    row = session.exec(
        select(Participant).where(Participant.item_id == item.id, Participant.actor == remote)
    ).first()
    if row is None:
        row = Participant(item_id=item.id, actor=remote, join_id=join_id, state="pending")
    elif row.state == "accepted":
        _answer(session, node, item, row, "Accept")  # a repeated Join: answer again
        return "already accepted: Accept sent again"
    elif (
        row.join_id != join_id
        and session.exec(select(Participant.id).where(Participant.join_id == join_id)).first()
    ):
        return "ignored: this Join was already recorded"
    row.join_id = join_id
    row.join_document = activities.strip_context(join)
    mode = item.source.get("joinMode", "free")
    state = join_state(session, item)
    if mode in ("none", "external"):
        _set_state(session, row, "rejected")
        session.flush()
        _answer(session, node, item, row, "Ignore")
        return "ignored: joins to this event are not handled here"
    if state != "open" or mode == "invite":
        _set_state(session, row, "rejected")
        session.flush()
        _answer(session, node, item, row, "Reject")
        return f"rejected: the event is {'by invitation' if mode == 'invite' else state}"
    if mode == "restricted":
        _set_state(session, row, "pending")
        session.flush()
        return "pending approval"
    _set_state(session, row, "accepted")
    session.flush()
    refresh_count(session, item)
    _answer(session, node, item, row, "Accept")
    return "accepted"


def approve(session: Session, node: NodeContext, item: Item, participant: Participant) -> None:
    """The organizer accepts a pending participant (restricted events): Accept goes out."""
    if participant.state == "accepted":
        return
    if participant.state != "pending":
        said = NOT_PENDING.get(participant.state, N_("the participant is %(state)s"))
        raise ParticipationError("not_pending", said, state=participant.state)
    if join_state(session, item) == "full":
        raise ParticipationError("full", N_("the event is full (maximumAttendeeCapacity)"))
    _set_state(session, participant, "accepted")
    session.flush()
    refresh_count(session, item)
    if participant.actor:
        _answer(session, node, item, participant, "Accept")
        # an approval-only event's online link, now that they may have it
        followup.send_online_link(session, node, item, _organizer(session, item), participant)
    else:
        followup.mail_decision(node, session, item, participant)


def reject(session: Session, node: NodeContext, item: Item, participant: Participant) -> None:
    """The organizer declines (or removes) a participant: Reject goes out."""
    if participant.state == "rejected":
        return
    was_accepted = participant.state == "accepted"
    _set_state(session, participant, "rejected")
    session.flush()
    if was_accepted:
        refresh_count(session, item)
    if participant.actor:
        _answer(session, node, item, participant, "Reject")
    else:
        followup.mail_decision(node, session, item, participant)


def _event_of(session: Session, ident: Any) -> Item | None:
    target = id_of(ident)
    if not target:
        return None
    item = session.exec(select(Item).where(Item.ap_id == target)).first()
    if item is None or item.kind != "event" or item.deleted_at is not None:
        return None
    return item


def _about_event(msg: Incoming, verb: str, act: Callable[[Session, Item], str]) -> str:
    """Run ``act`` on the event ``msg`` is about, in one transaction; ignored if not ours."""
    with session_scope(msg.node.engine) as session:
        item = _event_of(session, msg.object)
        if item is None:
            return f"ignored: {verb} of something that is not one of our events"
        return act(session, item)


async def on_join(msg: Incoming) -> str:
    """A remote actor asks to take part in one of our events."""
    node = msg.node

    def join(session: Session, item: Item) -> str:
        return record_join(session, node, item, msg.actor, msg.activity)

    result = await to_thread.run_sync(_about_event, msg, "Join", join)
    node.notify_work()
    return result


async def on_leave(msg: Incoming) -> str:
    """A participant withdraws."""

    def leave(session: Session, item: Item) -> str:
        row = session.exec(
            select(Participant).where(
                Participant.item_id == item.id,
                Participant.actor == msg.actor,
                col(Participant.state).in_(("pending", "accepted")),
            )
        ).first()
        if row is None:
            return "ignored: not a participant"
        _set_state(session, row, "left")
        session.flush()
        refresh_count(session, item)
        return "left"

    return await to_thread.run_sync(_about_event, msg, "Leave", leave)


def register(dispatcher: Dispatcher) -> None:
    """Join and Leave of anything but our networks (the handlers check it is our event)."""
    dispatcher.on("Join", Target.ANY, on_join)
    dispatcher.on("Leave", Target.ANY, on_leave)
