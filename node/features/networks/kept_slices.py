"""Slices of events kept while nothing they are drawn from has changed: a network's month, its
calendar's list, what its profile lists, and the node's next events of a region or a category.

These pages read the same events again and again: finding them, and above all decoding their
documents, was a third to a half of each page (docs/benchmarks.md, "Months, regions and
categories kept"). Database triggers (migration 0016) bump an actor's
``calendar_stamp.generation`` in the same transaction as any insert, update or delete of its
own items and (a network) of what it filed: a new event, an Update, a moderation decision, a
reclean, a member's items removed. A slice is kept under the generation (a network's, or for
the node-wide pages the sum and count of every actor's, as the calendars' validators digest
them: node/features/feeds/stamps.py) with everything else it was asked with: a change is a new
key, and a kept slice is never stale, only unused.

* A month (events not over at its start and starting before its end) depends on no clock.
* A network's list and the node's next events (not over *now*) do: they are kept with SPARE
  events more than a page shows, and served while more than a page of them (the list: its
  next page's cursor is the last one shown) or at least a page (the node's) is still running. The events not over now
  are a subset of those not over when the slice was read, so the running ones of that slice's
  first events are the first events not over now (an event that ends only leaves the page).

The credit lines are in no generation (a remote author's new name changes no item): they are
read again on every request, one statement, and an entry whose author's credit moved is given
the new one. Entries are frozen; their documents are only read, never changed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from node.byte_lru import ByteLRU
from node.db import now_utc, select_rows
from node.features.networks.facts import over_at
from node.features.networks.highlights import network_highlights, node_upcoming
from node.features.networks.queries import Entry, Filters, _Profiles
from node.features.networks.upcoming import Cursor, Page, first_page, upcoming_page
from node.federation.context import NodeContext
from node.models import LocalActor
from node.models.networks import CalendarStamp
from node.web import fragments

T = TypeVar("T")

# What a kept entry costs: its Entry and decoded document (~840 bytes of JSON on the seeded
# network); tracemalloc counted 506 KB for a month of 100 kept, what the read left behind
# included (docs/benchmarks.md).
ENTRY_BYTES = 5120
# ~10 months of 100 events, or ~13 regions' and categories' slices of 75: the busiest few.
MAX_BYTES = 5 * 2**20
# events kept beyond a region's or a category's page: it is read again when fewer than a
# page of them are still running
SPARE = 25


@lru_cache(maxsize=1)
def _generation() -> Any:
    """The network's calendar generation (built once, its id bound at each call)."""
    return select(col(CalendarStamp.generation)).where(CalendarStamp.actor_id == bindparam("actor"))


def generation(session: Session, network: LocalActor) -> int:
    """How many changes the network's items and its own have seen (0: none yet)."""
    rows = select_rows(session, _generation(), {"actor": network.id})
    return int(rows[0][0]) if rows else 0


@lru_cache(maxsize=1)
def _generations() -> Any:
    return select(func.coalesce(func.sum(CalendarStamp.generation), 0), func.count())


def node_generation(session: Session) -> tuple[int, int]:
    """The sum and count of every actor's generation: any change to any item moves it."""
    [(total, rows)] = select_rows(session, _generations())
    return int(total), int(rows)


def _cost(page: Page) -> int:
    return ENTRY_BYTES * (len(page.entries) + 1)


class _ByEngine:
    """The kept slices of each database (generations restart with a new database: tests, a
    restore into a running process's place)."""

    def __init__(self) -> None:
        self._found: weakref.WeakKeyDictionary[Engine, ByteLRU[Page]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> ByteLRU[Page]:
        with self._lock:
            found = self._found.get(engine)
            if found is None:
                found = self._found[engine] = ByteLRU(MAX_BYTES, _cost, largest_share=4)
            return found


kept = _ByEngine()


class _Drawn:
    """What a page draws of a kept page (a month's grid and cells), kept with it: weakly, so it
    goes with the page, and a page given new credit lines is a new page, drawn anew."""

    def __init__(self) -> None:
        self._found: weakref.WeakKeyDictionary[Page, Any] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, page: Page, draw: Callable[[], T]) -> T:
        with self._lock:
            found = self._found.get(page)
        if found is None:
            found = draw()
            with self._lock:
                self._found[page] = found
        return cast(T, found)


drawn = _Drawn()


def month_page(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    filters: Filters,
    since: datetime,
    until: datetime,
    after: Cursor | None,
    limit: int,
) -> Page:
    """:func:`upcoming_page` of the network's events not over at ``since`` and starting before
    ``until`` (a month), kept under the network's generation; its credit lines read now."""
    store = kept(node.engine)
    before = generation(session, network)
    key = fragments.digest("month", network.id, before, filters, since, until, after, limit)
    found = store.lookup(key)
    if found is not None:
        entries = _credited(session, node, found.entries)
        if entries is found.entries:
            # the kept page itself while every credit is unchanged: what is drawn of it is kept
            # with it
            return found
        # a credit moved: the page with it is kept in its place, to be drawn once again
        page = Page(entries, found.next)
        store.keep(key, page)
        return page
    page = upcoming_page(
        session, node, network, filters, since=since, until=until, after=after, limit=limit
    )
    # read again: on PostgreSQL each statement sees what was committed before it, so a change
    # may have come between the generation and the rows (those are then not kept)
    if generation(session, network) == before:
        store.keep(key, page)
    return page


def list_page(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    filters: Filters,
    now: datetime,
    after: Cursor | None,
    limit: int,
    *,
    credited: bool = True,
) -> Page:
    """:func:`upcoming_page` of the actor's events not over ``now`` (a network's calendar
    list, an actor's ``upcomingEvents``), from the kept slice of ``limit`` + SPARE while more
    than ``limit`` of them are still running, or every kept one is and the slice had no next
    page; its credit lines read now (``credited=False``: none, the authors' bare ids)."""
    store = kept(node.engine)
    before = generation(session, network)
    key = fragments.digest("list", network.id, before, filters, after, limit, credited)
    found = store.lookup(key)
    if found is not None:
        running = [e for e in found.entries if _running(e, now)]
        if len(running) > limit or (found.next is None and len(running) == len(found.entries)):
            shown = _credited(session, node, running) if credited else running
            return first_page(shown, limit, found.next)
    page = upcoming_page(
        session,
        node,
        network,
        filters,
        since=now,
        after=after,
        limit=limit + SPARE,
        credited=credited,
    )
    if generation(session, network) == before:  # nothing came between (see month_page)
        store.keep(key, page)
    return first_page(page.entries, limit, page.next)


def highlights(
    session: Session, node: NodeContext, network: LocalActor, limit: int
) -> tuple[list[Entry], list[Entry]]:
    """highlights.network_highlights (the profile's next events and latest calls and news),
    kept under the network's generation: the events with SPARE more, served while at least
    ``limit`` of them still run (or all do); the latest depend on no clock. Their credit
    lines read now, in one statement for both."""
    store = kept(node.engine)
    before = generation(session, network)
    keys = [fragments.digest(part, network.id, before, limit) for part in ("next", "latest")]
    coming, latest = (store.lookup(key) for key in keys)
    shown = None if coming is None else _still_running(coming.entries, now_utc(), limit)
    if shown is not None and latest is not None:
        credited = _credited(session, node, shown + latest.entries)
        return credited[: len(shown)], credited[len(shown) :]
    upcoming, newest = network_highlights(session, node, network, limit, spare=SPARE)
    if generation(session, network) == before:  # nothing came between (see month_page)
        store.keep(keys[0], Page(upcoming, None))
        store.keep(keys[1], Page(newest, None))
    return upcoming[:limit], newest


def upcoming(session: Session, node: NodeContext, filters: Filters, limit: int) -> list[Entry]:
    """The node's next ``limit`` events passing ``filters`` (highlights.node_upcoming), from
    the kept slice while at least ``limit`` of its events are still running (or none of them
    has ended: the slice was every event there was); their credit lines read now."""
    store = kept(node.engine)
    before = node_generation(session)
    key = fragments.digest("upcoming", before, filters, limit)
    found = store.lookup(key)
    shown = None if found is None else _still_running(found.entries, now_utc(), limit)
    if shown is not None:
        return _credited(session, node, shown)
    entries = node_upcoming(session, node, limit, filters, spare=SPARE)
    if node_generation(session) == before:  # nothing came between (see month_page)
        store.keep(key, Page(entries, None))
    return entries[:limit]


def _still_running(entries: list[Entry], now: datetime, limit: int) -> list[Entry] | None:
    """The first ``limit`` of a kept slice's events still running ``now``, when they are the
    first ``limit`` not over now: at least ``limit`` of them run, or all do (the slice was
    every event there was); None when the slice must be read again."""
    running = [e for e in entries if _running(e, now)]
    if len(running) >= limit or len(running) == len(entries):
        return running[:limit]
    return None


def _running(entry: Entry, now: datetime) -> bool:
    ends = over_at(entry.start, entry.end)
    return ends is not None and ends >= now


def _credited(session: Session, node: NodeContext, entries: list[Entry]) -> list[Entry]:
    """Kept entries with each author's credit line as it is now (one statement)."""
    profiles = _Profiles(session, node)
    profiles.preload({entry.author.actor for entry in entries})
    if any(profiles(e.author.actor) != e.author for e in entries):
        return [replace(e, author=profiles(e.author.actor)) for e in entries]
    return entries
