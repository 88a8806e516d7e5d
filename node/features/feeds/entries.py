"""What the feeds and calendars show: one :class:`FeedEntry` per item, whatever table it is in.

An organization's own items come from ``item``; a network adds what it aggregated from the members
below it (``network_item``, the rows its pages show, see :mod:`node.features.networks.queries`); a tag lists
this node's items carrying it. Each entry keeps its original author, so a network's feed credits
the organization that wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, or_, select

from node.content.events import EVENT_STATUS, ICAL_STATUS
from node.db import as_utc, now_utc
from node.features.feeds.credits import Credits
from node.features.feeds.filed import filed_rows
from node.features.networks import clean, past_events, upcoming
from node.features.networks.facts import ItemFacts, ShownItem, item_facts
from node.features.networks.queries import Filters, parse_local
from node.features.networks.rules import SHOWN_STATES
from node.federation.context import NodeContext
from node.models import Item, ItemTag, LocalActor, OutboxActivity
from node.models.networks import NetworkItem

MAX_ENTRIES = 500  # a tag's calendar
CALENDAR_SIZE = 5000  # events not over yet a calendar lists at most
PAST_SIZE = 500  # recent past events it keeps, so a subscriber's calendar does not empty itself
# rows a filtered calendar reads of this node's own events (filtered after reading)
SCAN_LIMIT = 5000
CHUNK = 1000  # object ids per IN query
FEED_SIZE = 50
# Calendars keep recent past events, so a subscriber's calendar does not empty itself.
PAST_WINDOW = timedelta(days=90)
KINDS = ("event", "call", "news", "note")
# iCalendar STATUS by FEP-8a8e eventStatus, as our own events map them (node/content/events.py)
EVENT_STATUSES = {EVENT_STATUS[name]: ICAL_STATUS[name] for name in EVENT_STATUS}
ICAL_STATUSES = set(ICAL_STATUS.values())


# slots: no __dict__ per entry, one object fewer for the garbage collector to walk per event
@dataclass(frozen=True, slots=True)
class FeedEntry(ShownItem):
    object_id: str
    document: dict[str, Any]
    kind: str
    author_name: str
    author_url: str
    published: datetime
    updated: datetime
    start: datetime | None
    end: datetime | None
    # iCalendar SEQUENCE, see :func:`_sequences`
    sequence: int = 0
    # a date of one of our series (node/features/feeds/series.py): the series' UID, the date's RRULE start
    series_uid: str | None = None
    recurrence_id: datetime | None = None

    @property
    def status(self) -> str:
        """The iCalendar STATUS: ours (``status``) or from FEP-8a8e's ``eventStatus``."""
        status = self.document.get("status")
        if isinstance(status, str) and status.upper() in ICAL_STATUSES:
            return status.upper()
        event_status = self.document.get("eventStatus")
        if isinstance(event_status, str):
            return EVENT_STATUSES.get(event_status.rsplit("/", 1)[-1], "CONFIRMED")
        return "CONFIRMED"


def _doc_time(document: dict[str, Any], key: str, default: datetime) -> datetime:
    moment = parse_local(document.get(key))
    return as_utc(moment) if moment is not None else default


def _from_item(item: Item, name: str, url: str) -> FeedEntry:
    """The entry of one of our items (SEQUENCE 0 until :func:`_sequences` counts its Updates)."""
    published = as_utc(item.published)
    return FeedEntry(
        object_id=item.ap_id,
        document=item.document,
        kind=item.kind,
        author_name=name,
        author_url=url,
        published=published,
        updated=max(as_utc(item.updated), published),
        start=as_utc(item.start_time) if item.start_time else None,
        end=as_utc(item.end_time) if item.end_time else None,
    )


def entry_of(item: Item, name: str, url: str) -> FeedEntry:
    """The entry of one of this node's items, by its author (``name``, profile ``url``)."""
    return _from_item(item, name, url)


def _from_row(row: Any, authors: Credits) -> FeedEntry:
    """The entry of a network's row (a ``NetworkItem``, or a row of its columns); its SEQUENCE
    as for an object from elsewhere (see :func:`_sequences`, which corrects our own)."""
    received = as_utc(row.received_at)
    # a row filed under older cleaning rules (or none) is made safe here (clean.py)
    document = clean.shown(row.document, row.clean_rules)
    published = _doc_time(document, "published", received)
    updated = max(_doc_time(document, "updated", published), published)
    name, url = authors.remote(row.author)
    return FeedEntry(
        object_id=row.object_id,
        document=document,
        kind=row.kind,
        author_name=name,
        author_url=url,
        published=published,
        updated=updated,
        start=as_utc(row.start_time) if row.start_time else None,
        end=as_utc(row.end_time) if row.end_time else None,
        sequence=_edits(published, updated),
    )


def _edits(published: datetime, updated: datetime) -> int:
    """The SEQUENCE of an object from another server: the whole minutes between its
    ``published`` and ``updated`` (it only grows when the object is edited)."""
    return max(0, int((updated - published).total_seconds() // 60))


def update_counts(session: Session, object_ids: list[str]) -> dict[str, int]:
    """How many ``Update`` activities this node sent for each of these objects (absent: none)."""
    counts: dict[str, int] = {}
    for start in range(0, len(object_ids), 200):
        rows = session.exec(
            select(OutboxActivity.object_id, func.count())
            .where(
                OutboxActivity.type == "Update",
                col(OutboxActivity.object_id).in_(object_ids[start : start + 200]),
            )
            .group_by(col(OutboxActivity.object_id))
        ).all()
        counts.update({object_id: int(n) for object_id, n in rows})
    return counts


def _sequences(session: Session, entries: list[FeedEntry]) -> list[FeedEntry]:
    """SEQUENCE: how many ``Update`` activities this node sent for the object (our own items,
    a network's items from organizations on this node); an object from another server keeps the
    one its entry was made with (:func:`_edits`). Only this node's objects are counted: a
    network's calendar is mostly others', so few entries are rebuilt."""
    ids = [e.object_id for e in entries]
    mine: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        mine.update(session.exec(select(Item.ap_id).where(col(Item.ap_id).in_(chunk))).all())
    if not mine:
        return entries
    counts = update_counts(session, [i for i in ids if i in mine])
    return [
        replace(e, sequence=counts.get(e.object_id, 0)) if e.object_id in mine else e
        for e in entries
    ]


def _unique(entries: list[FeedEntry]) -> list[FeedEntry]:
    return list({e.object_id: e for e in reversed(entries)}.values())


def calendar_events(
    session: Session,
    node: NodeContext,
    actor: LocalActor | None,
    filters: Filters | None = None,
    *,
    since: datetime | None = None,
) -> list[FeedEntry]:
    """The events of a calendar that pass the filters: those not over at ``since`` (now; the
    routes give the day's start), soonest first, at most CALENDAR_SIZE of them, and the
    PAST_SIZE latest that started in the PAST_WINDOW before. An actor's (a network's with
    everything shown below it), or, with no actor, the whole node's (every local actor's own
    events and what its networks aggregated). Every read is a bounded range of an index
    (node/features/networks/upcoming.py)."""
    filters = filters or Filters()
    since = since or now_utc()
    authors = Credits(session, node)
    # Our own items keep their facts in the document only: filtered in Python, over more rows.
    limit = SCAN_LIMIT if filters.as_query() else CALENDAR_SIZE
    own = upcoming.own_events(session, actor, since, None, None, limit)
    own += past_events.own_past(session, actor, since - PAST_WINDOW, since, PAST_SIZE)
    entries = [
        _from_item(i, *authors.of_item(i))
        for i in own
        if _admits(filters, i.document, authors.actor(i))
    ]
    for network in upcoming.network_ids(session, actor):
        keys = upcoming.event_keys(session, network, filters, since, None, None, CALENDAR_SIZE)
        keys += past_events.past_keys(
            session, network, filters, since - PAST_WINDOW, since, PAST_SIZE
        )
        rows = filed_rows(session, keys)
        authors.preload({r.author for r in rows})
        entries += [_from_row(r, authors) for r in rows]
    return _sequences(session, _sorted_by_start(_unique(entries)))


def _admits(filters: Filters, document: dict[str, Any], author: LocalActor) -> bool:
    """Whether one of our events passes; one without a place is in its author's region, as a
    network files it (node/features/networks/filing.py)."""
    if not filters.as_query():
        return True
    facts = item_facts(document)
    region, country = own_place(facts, author)
    return filters.admits(region, country, facts.tags, facts.category, facts.online)


def own_place(facts: ItemFacts, author: LocalActor) -> tuple[str, str]:
    """(region, country) of one of our items: its place's, else its author's."""
    if facts.region or facts.country:
        return facts.region, facts.country
    return str(author.profile.get("region") or ""), str(author.profile.get("country") or "")


def _sorted_by_start(entries: list[FeedEntry]) -> list[FeedEntry]:
    far = datetime.max.replace(tzinfo=now_utc().tzinfo)
    return sorted(entries, key=lambda e: (e.start or far, e.object_id))[: CALENDAR_SIZE + PAST_SIZE]


def tag_events(session: Session, node: NodeContext, tag: str) -> list[FeedEntry]:
    """This node's events with a hashtag, from 90 days ago on."""
    since = now_utc() - PAST_WINDOW
    authors = Credits(session, node)
    items = session.exec(
        _tagged(tag)
        .where(Item.kind == "event")
        .where(or_(col(Item.end_time) >= since, col(Item.start_time) >= since))
        .order_by(col(Item.start_time))
        .limit(MAX_ENTRIES)
    ).all()
    entries = [_from_item(i, *authors.of_item(i)) for i in items]
    return _sequences(session, _sorted_by_start(entries))


def _tagged(tag: str) -> Any:
    return (
        select(Item)
        .join(ItemTag, col(ItemTag.item_id) == col(Item.id))
        .where(ItemTag.tag == tag.lower()[:64], col(Item.deleted_at).is_(None))
    )


def _by_published(entries: list[FeedEntry]) -> list[FeedEntry]:
    return sorted(entries, key=lambda e: (e.published, e.object_id), reverse=True)[:FEED_SIZE]


def actor_feed(
    session: Session, node: NodeContext, actor: LocalActor, kind: str | None
) -> list[FeedEntry]:
    """The newest items of an actor (a network: with everything shown below it), newest first."""
    authors = Credits(session, node)
    query = select(Item).where(Item.actor_id == actor.id, col(Item.deleted_at).is_(None))
    if kind:
        query = query.where(Item.kind == kind)
    own = session.exec(
        query.order_by(col(Item.published).desc(), col(Item.id).desc()).limit(FEED_SIZE)
    ).all()
    me = (actor.name, node.urls.profile(actor.slug))
    entries = [_from_item(i, *me) for i in own]
    if actor.kind == "network":
        rows_query = select(NetworkItem).where(
            NetworkItem.network_id == actor.id, col(NetworkItem.state).in_(SHOWN_STATES)
        )
        if kind:
            rows_query = rows_query.where(NetworkItem.kind == kind)
        rows = upcoming.plain_rows(
            session, rows_query.order_by(col(NetworkItem.received_at).desc()).limit(FEED_SIZE)
        )
        authors.preload({r.author for r in rows})
        entries += [_from_row(r, authors) for r in rows]
    return _by_published(_unique(entries))


def tag_feed(session: Session, node: NodeContext, tag: str, kind: str | None) -> list[FeedEntry]:
    """This node's newest items with a hashtag."""
    authors = Credits(session, node)
    query = _tagged(tag)
    if kind:
        query = query.where(Item.kind == kind)
    items = session.exec(
        query.order_by(col(Item.published).desc(), col(Item.id).desc()).limit(FEED_SIZE)
    ).all()
    return _by_published([_from_item(i, *authors.of_item(i)) for i in items])
