"""Publishing one item: create, edit, delete — each stored and handed to delivery in the caller's
transaction (the caller commits, then calls ``node.notify_work()``).

* create: an ``Item`` row (the document from the builders, the API JSON as ``source``) and a
  ``Create`` to the followers;
* edit: an ``Update`` with an ``updated`` strictly newer than before (Mastodon 4.5+ applies it
  only then); when an event is cancelled, postponed, rescheduled, moved online or confirmed
  again, also a short public ``Note`` replying to it — older Mastodon ignores an ``Update`` of an
  ``Event``, but shows a reply (events.status_note);
* delete: a ``Delete`` with a ``Tombstone``, the row kept with ``deleted_at`` (its id answers
  410 Gone from then on) and a ``tombstone`` row (the id is never used again). Deleting a
  conference deletes its sessions, and an event its status notes.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from node.activitypub import activities
from node.content.events import status_note
from node.content.fields import EventInput, FieldError, merge
from node.features.media.refs import ITEM_IMAGES, with_media
from node.features.participation.handlers import accepted_count
from node.features.publishing.feedback_followup import schedule_followup
from node.features.publishing.moved import refuse_if_moved
from node.features.publishing.service.build import (
    Input,
    build_document,
    later_than,
    new_uid,
    now_seconds,
    parent_item,
    set_tags,
    times_of,
    validate,
)
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor, Series, Tombstone

__all__ = ["Published", "create_item", "delete_item", "status_change", "update_item"]

# Changes of status worth a reply Note; "scheduled" only when coming back from one of these.
_NOTABLE = ("cancelled", "postponed", "rescheduled", "movedOnline", "tentative")


@dataclass(frozen=True)
class Published:
    """What a publishing step did: the item, the activity sent for it, and the status note (an
    Item of kind note replying to the event) when one went out too."""

    item: Item
    activity_id: str
    note: Item | None = None


def _send(session: Session, actor: LocalActor, activity: dict[str, Any]) -> None:

    # Public posts also go to the relays the node subscribed to (relays forward them on).
    delivery.send(
        session,
        actor,
        activity,
        delivery.Audience(followers=True, relays=True),
    )


def _tags_of(inp: Input) -> tuple[str, ...]:
    return inp.tags


def _with_context(activity: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The activity with its object's ``@context`` (ActivityStreams plus the inline terms).

    The builders give an activity the bare ActivityStreams context and strip the embedded
    object's own; the extension terms (startTime's neighbours: joinMode, timezone, category,
    Proposal…) would then expand to nothing, and an LD signature would not cover them.
    """
    return activity | {"@context": doc["@context"]}


def create_item(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    kind: str,
    source: Any,
    *,
    series: Series | None = None,
    series_index: int | None = None,
    now: datetime | None = None,
) -> Published:
    """Validate ``source`` (FieldError names the bad field), store the item, send its Create
    (ActorMoved when the actor has moved: it publishes no more)."""
    refuse_if_moved(actor)
    now = now or now_seconds()
    source = with_media(session, node.urls, actor, source, ITEM_IMAGES)
    inp = validate(kind, source, now=now)
    parent = None
    if isinstance(inp, EventInput):
        if inp.recurrence is not None and series is None:
            raise FieldError("recurrence", "a recurring event is created as a series")
        if inp.parent is not None:
            if series is not None:
                raise FieldError("parent", "a session of a conference cannot recur")
            parent = parent_item(session, node, actor, inp.parent)
    assert actor.id is not None
    ident = node.urls.item(new_uid(inp.name))
    doc = build_document(
        node, actor, kind, inp, ident=ident, published=now, updated=now, parent=parent
    )
    start, end = times_of(inp)
    item = Item(
        ap_id=ident,
        actor_id=actor.id,
        kind=kind,
        document=doc,
        source=dict(source),
        start_time=start,
        end_time=end,
        parent_id=parent.id if parent is not None else None,
        series_id=series.id if series is not None else None,
        series_index=series_index,
        published=now,
        updated=now,
    )
    session.add(item)
    session.flush()
    set_tags(session, item, _tags_of(inp))
    activity_id = node.urls.activity(uuid.uuid4().hex)
    create = activities.create(activity_id, doc["attributedTo"], doc, now)
    _send(session, actor, _with_context(create, doc))
    schedule_followup(session, item)  # feedback invitations once it ends
    return Published(item, activity_id)


def status_change(old: Input | None, new: Input) -> EventInput | None:
    """The event as the status note should describe it, when the edit changes what a follower
    must know: the status, or (status unchanged) the date. None when no note is needed."""
    if not isinstance(new, EventInput) or not isinstance(old, EventInput):
        return None
    if new.status != old.status:
        if new.status in _NOTABLE or old.status in _NOTABLE:
            return new
        return None
    moved = (new.start_time, new.end_time) != (old.start_time, old.end_time)
    if moved and new.status in ("scheduled", "rescheduled", "movedOnline", "tentative"):
        # The author changed the date without saying so: the note says "New date".
        return dataclasses.replace(new, status="rescheduled")
    return None


def update_item(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    item: Item,
    patch: Any,
    *,
    allow_recurrence: bool = False,
    now: datetime | None = None,
) -> Published:
    """Apply a JSON Merge Patch to the item's source, rebuild it, send the Update (and the
    status note when the change calls for one)."""
    now = now or now_seconds()
    patch = with_media(session, node.urls, actor, patch, ITEM_IMAGES, patch=True)
    merged = merge(item.source, patch)
    assert isinstance(patch, dict)
    if item.series_id is not None and "recurrence" in patch and not allow_recurrence:
        raise FieldError("recurrence", "edit the recurrence on the series, not on one date")
    # A call's deadline must lie ahead only when the author sets it now.
    inp = validate(item.kind, merged, now=now if "deadline" in patch else None)
    try:
        old: Input | None = validate(item.kind, item.source)
    except FieldError:  # validated when stored; only a rule change since could make this fail
        old = None
    parent = None
    if isinstance(inp, EventInput):
        if inp.recurrence is not None and item.series_id is None:
            raise FieldError("recurrence", "a single event cannot become a series; create one")
        if inp.parent is not None:
            parent = parent_item(session, node, actor, inp.parent)
            if parent.id == item.id:
                raise FieldError("parent", "an event cannot be its own session")
            if _has_sessions(session, item):
                raise FieldError("parent", "this event has sessions; it cannot become one")
    updated = later_than(item.updated, now)
    assert item.id is not None
    doc = build_document(
        node,
        actor,
        item.kind,
        inp,
        ident=item.ap_id,
        published=item.published,
        updated=updated,
        parent=parent,
        participant_count=accepted_count(session, item.id) if item.kind == "event" else 0,
    )
    item.source, item.document, item.updated = merged, doc, updated
    item.start_time, item.end_time = times_of(inp)
    item.parent_id = parent.id if parent is not None else None
    session.add(item)
    set_tags(session, item, _tags_of(inp))
    activity_id = node.urls.activity(uuid.uuid4().hex)
    update = activities.update(activity_id, doc["attributedTo"], doc, updated)
    _send(session, actor, _with_context(update, doc))
    schedule_followup(session, item)  # a new end: a new follow-up (the old one lapses)
    changed = status_change(old, inp)
    note = _publish_status_note(session, node, actor, item, changed, updated) if changed else None
    return Published(item, activity_id, note)


def _has_sessions(session: Session, item: Item) -> bool:
    return (
        session.exec(
            select(Item.id).where(
                Item.parent_id == item.id, Item.kind == "event", col(Item.deleted_at).is_(None)
            )
        ).first()
        is not None
    )


def _publish_status_note(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    event: Item,
    inp: EventInput,
    now: datetime,
) -> Item:
    author = actor_id(node.urls, actor)
    ident = node.urls.item(new_uid(f"{inp.status} {inp.name}"[:40]))
    note = status_note(
        inp,
        ident=ident,
        url=ident,
        event_id=event.ap_id,
        event_url=str(event.document.get("url", event.ap_id)),
        actor_id=author,
        followers=f"{author}/followers",
        published=now,
    )
    assert actor.id is not None
    row = Item(
        ap_id=ident,
        actor_id=actor.id,
        kind="note",
        document=note,
        source={"status": inp.status},
        parent_id=event.id,
        published=now,
        updated=now,
    )
    session.add(row)
    session.flush()
    create = activities.create(node.urls.activity(uuid.uuid4().hex), author, note, now)
    _send(session, actor, create)
    return row


def delete_item(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    item: Item,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Delete an item (and its sessions and status notes); returns the Delete activities' ids."""
    now = now or now_seconds()
    if item.deleted_at is not None:
        return []
    sent: list[str] = []
    children = session.exec(
        select(Item).where(Item.parent_id == item.id, col(Item.deleted_at).is_(None))
    ).all()
    for child in children:
        sent += delete_item(session, node, actor, child, now=now)
    author = actor_id(node.urls, actor)
    former = str(item.document.get("type", "Object"))
    item.deleted_at = now
    session.add(item)
    if session.exec(select(Tombstone.id).where(Tombstone.ap_id == item.ap_id)).first() is None:
        session.add(Tombstone(ap_id=item.ap_id, former_type=former, deleted_at=now))
    activity_id = node.urls.activity(uuid.uuid4().hex)
    delete = activities.delete(
        activity_id,
        author,
        item.ap_id,
        former_type=former,
        deleted=now,
        followers=f"{author}/followers",
    )
    _send(session, actor, delete)
    sent.append(activity_id)
    return sent
