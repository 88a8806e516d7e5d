"""A month of a network's calendar, kept while nothing it is drawn from has changed.

A month's page reads the same hundred events again and again: the statement that finds them,
and above all decoding their documents, was a third of the page (docs/benchmarks.md, "The
month page kept"). Unlike the list (events not over *now*), a month's slice depends on no
clock: only on the network's filed items and its own, the filters, the month and the cursor.
Database triggers (migration 0016) bump the network's ``calendar_stamp.generation`` in the
same transaction as any insert, update or delete of either (a new event, an Update, a
moderation decision, a reclean, a member's items removed), so the slice is kept under that
generation with everything else it was asked with: a change is a new key, and a kept slice is
never stale, only unused.

The credit lines are not in the generation (a remote author's new name changes no item): they
are read again on every request, one statement, and an entry whose author's credit moved is
given the new one. Entries are frozen; their documents are only read, never changed.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from node.byte_lru import ByteLRU
from node.db import select_rows
from node.features.networks.queries import Filters, _Profiles
from node.features.networks.upcoming import Cursor, Page, upcoming_page
from node.federation.context import NodeContext
from node.models import LocalActor
from node.models.networks import CalendarStamp
from node.web import fragments

# What a kept entry costs: its decoded document (~840 bytes of JSON, ~3.5 KiB as Python
# objects, measured with tracemalloc on the seeded network) and its Entry.
ENTRY_BYTES = 4096
# ~12 months of 100 events: this month and the next of a few networks or filters.
MAX_BYTES = 5 * 2**20


@lru_cache(maxsize=1)
def _generation() -> Any:
    """The network's calendar generation (built once, its id bound at each call)."""
    return select(col(CalendarStamp.generation)).where(CalendarStamp.actor_id == bindparam("actor"))


def generation(session: Session, network: LocalActor) -> int:
    """How many changes the network's items and its own have seen (0: none yet)."""
    rows = select_rows(session, _generation(), {"actor": network.id})
    return int(rows[0][0]) if rows else 0


def _cost(page: Page) -> int:
    return ENTRY_BYTES * (len(page.entries) + 1)


class _ByEngine:
    """The kept months of each database (generations restart with a new database: tests, a
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
        return _credited(session, node, found)
    page = upcoming_page(
        session, node, network, filters, since=since, until=until, after=after, limit=limit
    )
    # read again: on PostgreSQL each statement sees what was committed before it, so a change
    # may have come between the generation and the rows (those are then not kept)
    if generation(session, network) == before:
        store.keep(key, page)
    return page


def _credited(session: Session, node: NodeContext, page: Page) -> Page:
    """The kept page with each author's credit line as it is now (one statement)."""
    profiles = _Profiles(session, node)
    profiles.preload({entry.author.actor for entry in page.entries})
    entries = page.entries
    if any(profiles(e.author.actor) != e.author for e in entries):
        entries = [replace(e, author=profiles(e.author.actor)) for e in entries]
    return Page(entries, page.next)
