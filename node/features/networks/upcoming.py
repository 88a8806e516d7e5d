"""Events not over yet, read in bounded slices: the calendar list and month views, the
``upcomingEvents`` collection, the calendars (.ics) and the front, region and category pages.

"Not over at ``since``" is ``ends_at >= since`` (``ends_at``: the end, else 12 hours after the
start; migration 0016). An index cannot bound that together with an order by start, so the
rows come from ranges each bounded on both sides or by a LIMIT (what starts from ``since`` on;
what began before it and still runs, one range per class of duration: event_ranges.py), asked
in one statement (their union, cut to the page, joined to the rows' columns: one round trip a
page).

Pages follow a cursor (start, object id), never an offset: every event is visited once
however deep the page. Each network is read on its own (an ``IN`` over networks would sort
every match before the LIMIT). This node's own events (table ``item``) are read by the same
ranges on indexes of their own (own_ranges.py, migration 0026).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from node.db import as_utc, now_utc, select_rows
from node.features.networks import event_ranges, own_ranges
from node.features.networks.queries import (
    Entry,
    Filters,
    _from_item,
    _from_row,
    _matches,
    _Profiles,
)
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor
from node.models.networks import NetworkItem

PAGE_SIZE = 50
MAX_PAGE = 5000  # the most rows one slice reads per source (a calendar's size)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last event's start and object id (the order of every page)."""

    start: datetime
    object_id: str

    def token(self) -> str:
        raw = f"{self.start.isoformat()}\n{self.object_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor of a token, None when absent or unreadable (the first page)."""
        if not token or len(token) > 4000:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            start, object_id = raw.split("\n", 1)
            return cls(as_utc(datetime.fromisoformat(start)), object_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


def _key(start: datetime | None, object_id: str) -> tuple[datetime, str]:
    return (as_utc(start) if start else datetime.max.replace(tzinfo=now_utc().tzinfo), object_id)


# What a shown entry reads of a row (queries._from_row; the feeds' entries._from_row; its
# clean_rules says whether its document is shown as stored, see clean.shown): the
# other columns are filing's (state, reason, announce_id) or the indexes' (ends_at, span_class,
# published), and each timestamp left out is one less to parse per row on SQLite.
ENTRY_COLUMNS = (
    NetworkItem.id,
    NetworkItem.object_id,
    NetworkItem.author,
    NetworkItem.via,
    NetworkItem.source,
    NetworkItem.document,
    NetworkItem.kind,
    NetworkItem.start_time,
    NetworkItem.end_time,
    NetworkItem.region,
    NetworkItem.country,
    NetworkItem.tags,
    NetworkItem.category,
    NetworkItem.online,
    NetworkItem.received_at,
    NetworkItem.clean_rules,
)


def plain_rows(session: Session, query: Any) -> list[Any]:
    """The rows as plain named tuples of the ENTRY_COLUMNS: building a SQLModel object per row
    cost ~75 µs (its pydantic set-up), the most of a calendar's load."""
    return list(session.execute(query.with_only_columns(*ENTRY_COLUMNS)).all())


def _keys(session: Session, query: Any) -> list[Any]:
    """(id, start, object id) of the rows: no document is read (nor decoded) for a row that
    does not make the page."""
    columns = (NetworkItem.id, NetworkItem.start_time, NetworkItem.object_id)
    return list(session.execute(query.with_only_columns(*columns)).all())


def event_rows(
    session: Session,
    network_id: int,
    filters: Filters,
    since: datetime,
    until: datetime | None,
    after: Cursor | None,
    limit: int,
) -> list[Any]:
    """A network's shown events not over at ``since`` and starting before ``until``, after the
    cursor, soonest first, at most ``limit`` (bounded ranges: event_ranges.py), as plain
    rows of the ENTRY_COLUMNS: one statement, whose ranges give the keys of the ``limit``
    first and whose outer query reads just their rows by primary key."""
    shape, values = _asked(session, network_id, since, until, after, limit)
    return select_rows(session, _rows_query(filters, shape), values)


def event_keys(
    session: Session,
    network_id: int,
    filters: Filters,
    since: datetime,
    until: datetime | None,
    after: Cursor | None,
    limit: int,
) -> list[Any]:
    """The keys (id, start, object id) of :func:`event_rows`, in its order (one statement): for
    a reader that loads the rows' columns its own way (a calendar, node/features/feeds/filed.py)."""
    shape, values = _asked(session, network_id, since, until, after, limit)
    return select_rows(session, event_ranges.soonest(filters, *shape), values)


def _asked(
    session: Session,
    network_id: int,
    since: datetime,
    until: datetime | None,
    after: Cursor | None,
    limit: int,
) -> tuple[event_ranges.Shape, dict[str, Any]]:
    """The statement's shape and parameters (event_ranges.asked) for this session's database."""
    cursor = (after.start, after.object_id) if after is not None else None
    limit = max(1, min(limit, MAX_PAGE + 1))
    lateral = event_ranges.lateral(session)
    return event_ranges.asked(network_id, since, until, cursor, limit, lateral)


@lru_cache(maxsize=128)
def _rows_query(filters: Filters, shape: event_ranges.Shape) -> Any:
    """The rows of the keys event_ranges.soonest finds, in their order (built once a shape)."""
    top = event_ranges.soonest(filters, *shape).subquery("soonest")
    query: Any = (
        select(NetworkItem)
        .join(top, col(NetworkItem.id) == top.c.id)
        .order_by(top.c.start_time, top.c.object_id)
    )
    return query.with_only_columns(*ENTRY_COLUMNS)


def own_events(
    session: Session,
    actor: LocalActor | None,
    since: datetime,
    until: datetime | None,
    after: Cursor | None,
    limit: int,
) -> list[Item]:
    """This node's own events (an actor's, or everyone's) not over at ``since`` and starting
    before ``until``, after the cursor, soonest first, at most ``limit``: one statement of
    bounded ranges (own_ranges.py: what starts from ``since`` on, and what began before it, one
    range per class of duration), then the items of the ids it finds."""
    cursor = (after.start, after.object_id) if after is not None else None
    lateral = event_ranges.lateral(session)
    mine = actor.id if actor else None
    shape, values = own_ranges.asked(mine, since, until, cursor, limit, lateral)
    return own_items(session, own_ranges.soonest(*shape), values)


def own_items(session: Session, query: Any, params: dict[str, Any] | None = None) -> list[Item]:
    """The items whose ids ``query`` selects, in its order: a network's pages mostly find none
    of ours, and an ORM query of ``Item`` costs its loader's set-up even when it finds nothing
    (~0.5 ms; a query of ids alone ~0.2). ``params`` binds a select built once."""
    ids = [row[0] for row in select_rows(session, query, params)]
    if not ids:
        return []
    found = {i.id: i for i in session.exec(select(Item).where(col(Item.id).in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def network_ids(session: Session, actor: LocalActor | None) -> list[int]:
    """The networks whose rows a scope shows: the actor's own (a network), or all of ours."""
    if actor is not None:
        return [actor.id] if actor.kind == "network" and actor.id is not None else []
    return [row[0] for row in select_rows(session, _networks())]


@lru_cache(maxsize=1)
def _networks() -> Any:
    """The ids of our networks (built once, see :func:`_soonest`)."""
    return select(col(LocalActor.id)).where(LocalActor.kind == "network")


@dataclass(frozen=True, eq=False)
class Page:
    """One page of events, and the cursor of the next (None: the last page). Told apart by
    identity: a kept page (kept_slices.py) is the same object on every read, and what is drawn
    of it is kept with it (routes._drawn_month)."""

    entries: list[Entry]
    next: Cursor | None


def upcoming_page(
    session: Session,
    node: NodeContext,
    actor: LocalActor | None,
    filters: Filters | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
    credited: bool = True,
    profiles: _Profiles | None = None,
) -> Page:
    """Events not over at ``since`` (now), starting before ``until``, after ``after``: an
    actor's own and (a network) what it shows, or (no actor) the whole node's; soonest first,
    each object once. ``credited=False``: the entries' authors are their bare ids (nothing
    is read to name them), for a reader that shows no credit line. ``profiles``: the page's
    credit lines, shared with its other lists."""
    filters, since = filters or Filters(), since or now_utc()
    limit = max(1, min(limit, MAX_PAGE))
    profiles = profiles or _Profiles(session, node, named=credited)
    entries: list[Entry] = []
    for network in network_ids(session, actor):
        rows = event_rows(session, network, filters, since, until, after, limit + 1)
        profiles.preload({r.author for r in rows})
        entries += [_from_row(r, profiles) for r in rows]
    own = own_events(session, actor, since, until, after, limit + 1)
    authors: dict[int, str] = {}
    for item in own:
        if item.actor_id not in authors:
            owner = actor if actor is not None else session.get(LocalActor, item.actor_id)
            authors[item.actor_id] = actor_id(node.urls, owner) if owner else ""
        entry = _from_item(item, profiles, authors[item.actor_id])
        if _matches(entry, filters):
            entries.append(entry)
    entries.sort(key=lambda e: _key(e.start, e.object_id))
    unique = list({e.object_id: e for e in reversed(entries)}.values())[::-1]
    unique.sort(key=lambda e: _key(e.start, e.object_id))
    return first_page(unique, limit)


def first_page(entries: list[Entry], limit: int, beyond: Cursor | None = None) -> Page:
    """The first ``limit`` of ``entries`` (soonest first), with the cursor after the last of
    them when there are more; ``beyond``: the next page's cursor when they are all shown (a
    kept slice's own, kept_slices.py)."""
    if len(entries) <= limit:
        return Page(entries, beyond)
    last = entries[limit - 1]
    more = Cursor(as_utc(last.start), last.object_id) if last.start is not None else None
    return Page(entries[:limit], more)


def upcoming_events(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    filters: Filters | None = None,
    *,
    now: datetime | None = None,
    until: datetime | None = None,
    limit: int = PAGE_SIZE,
) -> list[Entry]:
    """The first ``limit`` events not over at ``now`` (the first page)."""
    return upcoming_page(session, node, actor, filters, since=now, until=until, limit=limit).entries
