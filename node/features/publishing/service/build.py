"""From stored rows to published documents: validate an item's source and build its object.

The pure builders (events.py, calls.py, news.py) take everything that varies as arguments; this
module gathers those arguments from the database (the parent conference of a session, the
participant count, the actor's ids) so every path that publishes (API, C2S outbox, series job,
participation) builds the same document the same way.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, delete, select

from node.content.calls import call_object
from node.content.envelope import Publication
from node.content.events import ParentRef, event_object
from node.content.fields import (
    CallInput,
    EventInput,
    FieldError,
    NewsInput,
    validate_call,
    validate_event,
    validate_news,
)
from node.content.news import article_object
from node.db import as_utc, now_utc
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, ItemTag, LocalActor

Kind = Literal["event", "call", "news"]
KINDS: tuple[Kind, ...] = ("event", "call", "news")
AP_TYPES = {"event": "Event", "call": "Note", "news": "Article", "note": "Note"}
Input = EventInput | CallInput | NewsInput

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
# The uids we mint (new_uid): anything else names nothing here, and is never sent to the
# database (PostgreSQL refuses NUL in a string with an error, not a miss).


def now_seconds() -> datetime:
    """Now in UTC without microseconds: what we publish has second precision (vocab.iso)."""
    return now_utc().replace(microsecond=0)


def later_than(previous: datetime, now: datetime) -> datetime:
    """An ``updated`` time strictly after ``previous`` at second precision: Mastodon applies an
    Update of an Event or Article only when ``updated`` is newer than what it has."""
    floor = as_utc(previous).replace(microsecond=0) + timedelta(seconds=1)
    return max(now.replace(microsecond=0), floor)


def new_uid(name: str) -> str:
    """A readable, unguessable uid: ``monthly-peer-support-forum-3f9a0c1d``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _SLUG_CHARS.sub("-", ascii_name.lower()).strip("-")[:60].rstrip("-")
    suffix = secrets.token_hex(4)
    return f"{slug}-{suffix}" if slug else suffix


def validate(kind: str, source: Any, *, now: datetime | None = None) -> Input:
    """The typed input of ``kind`` (FieldError names the bad field). With ``now``, a call's
    deadline must be in the future (only checked when the author sets it)."""
    if kind == "event":
        return validate_event(source)
    if kind == "call":
        return validate_call(source, now=now)
    if kind == "news":
        return validate_news(source)
    raise FieldError("", f"unknown kind {kind!r}")


def parent_item(session: Session, node: NodeContext, actor: LocalActor, parent: str) -> Item:
    """The conference a session belongs to: an event of the same actor, itself not a session,
    not part of a series, not deleted. FieldError on ``parent`` otherwise."""
    item = session.exec(select(Item).where(Item.ap_id == parent)).first()
    if item is None or item.deleted_at is not None or node.urls.item_uid(parent) is None:
        raise FieldError("parent", "is not an event published by this node")
    if item.actor_id != actor.id:
        raise FieldError("parent", "is an event of another organization; sessions must share it")
    if item.kind != "event":
        raise FieldError("parent", "is not an event")
    if item.parent_id is not None:
        raise FieldError("parent", "is itself a session; sessions nest one level only")
    if item.series_id is not None:
        raise FieldError("parent", "is an occurrence of a recurring series")
    return item


def parent_ref(item: Item) -> ParentRef:
    """What a session's summary says about its conference."""
    doc = item.document
    return ParentRef(id=item.ap_id, name=str(doc.get("name", "")), url=str(doc.get("url", "")))


def build_document(
    node: NodeContext,
    actor: LocalActor,
    kind: str,
    inp: Input,
    *,
    ident: str,
    published: datetime,
    updated: datetime,
    parent: Item | None = None,
    participant_count: int = 0,
) -> dict[str, Any]:
    """The ActivityStreams object of an item, as served at ``ident`` (also its HTML page)."""
    author = actor_id(node.urls, actor)
    pub = Publication(
        ident=ident,
        url=ident,
        actor_id=author,
        followers=f"{author}/followers",
        published=published,
        updated=updated,
        tag_href=node.urls.tag,
    )
    if isinstance(inp, EventInput):
        return event_object(
            inp,
            pub,
            parent=parent_ref(parent) if parent is not None else None,
            participant_count=participant_count,
        )
    if isinstance(inp, CallInput):
        return call_object(inp, pub)
    return article_object(inp, pub)


def times_of(inp: Input) -> tuple[datetime | None, datetime | None]:
    """The (start, end) stored on the row: an event's times; a call's deadline as its end, so
    open calls can be listed with one indexed comparison."""
    if isinstance(inp, EventInput):
        return inp.start_time, inp.end_time
    if isinstance(inp, CallInput):
        return None, inp.deadline
    return None, None


def set_tags(session: Session, item: Item, tags: tuple[str, ...]) -> None:
    """Replace the item's rows in item_tag (lower-cased, as the tag pages look them up)."""
    assert item.id is not None
    session.exec(delete(ItemTag).where(col(ItemTag.item_id) == item.id))
    for tag in dict.fromkeys(t.lower() for t in tags):
        session.add(ItemTag(item_id=item.id, tag=tag[:64]))
