"""What a network's pages and collections show: its timeline (everything below it), its
calendar of upcoming events (filterable), its member directory. Queries and plain data; the
routes render them as HTML or ActivityStreams.

A network's own events are in its calendar too, next to what it aggregated; an organization's
"calendar" (its ``upcomingEvents``) is its own events.
"""

from __future__ import annotations

import calendar as calendar_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from node.db import as_utc, unindexed
from node.features.networks import clean
from node.features.networks.facts import ShownItem, item_facts
from node.features.networks.profiles import Credit, credits_of, profile_of
from node.features.networks.rules import SHOWN_STATES
from node.federation.context import NodeContext
from node.models import Item, LocalActor
from node.models.networks import NetworkItem

MAX_ENTRIES = 2000  # a calendar or timeline never loads more rows than this
MAX_EVENT_DAYS = 31  # a month view shows a long event on at most this many days
CALENDAR_FILTERS = ("region", "tag", "category", "online")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # never in a filter (PostgreSQL refuses a NUL)


@dataclass(frozen=True)
class Filters:
    """Calendar and directory filters; empty means any."""

    region: str = ""
    tag: str = ""
    category: str = ""
    online: bool | None = None
    sector: str = ""
    kind: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        """From a request's query parameters (bounded, case-folded where it matters)."""

        def get(name: str, limit: int = 200) -> str:
            value = params.get(name) or ""
            return _CONTROL.sub("", str(value)).strip()[:limit]

        online = get("online").lower()
        return cls(
            region=get("region"),
            tag=get("tag", 64).lstrip("#").lower(),
            category=get("category", 64).upper(),
            online=True
            if online in ("1", "yes", "true")
            else False
            if online in ("0", "no", "false")
            else None,
            sector=get("sector", 500),
            kind=get("kind", 16),
        )

    def admits(
        self, region: str, country: str, tags: tuple[str, ...], category: str, online: bool
    ) -> bool:
        """Whether an item with these facts passes (``region`` matches a region, a locality or
        a country code, case-insensitively)."""
        if self.region and self.region.lower() not in {region.lower(), country.lower()}:
            return False
        if self.tag and self.tag not in tags:
            return False
        if self.category and category != self.category:
            return False
        return self.online is None or online == self.online

    def calendar_query(self) -> dict[str, str]:
        """The non-empty filters a calendar takes (``region``, ``tag``, ``category``,
        ``online``; ``sector`` and ``kind`` are the directory's)."""
        return {k: v for k, v in self.as_query().items() if k in CALENDAR_FILTERS}

    def as_query(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them."""
        values = {
            "region": self.region,
            "tag": self.tag,
            "category": self.category,
            "online": "" if self.online is None else ("yes" if self.online else "no"),
            "sector": self.sector,
            "kind": self.kind,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Entry(ShownItem):
    """One item in a timeline or calendar, with its author for the credit line."""

    object_id: str
    document: dict[str, Any]
    kind: str
    author: Credit
    start: datetime | None
    end: datetime | None
    region: str
    country: str
    tags: tuple[str, ...]
    category: str
    online: bool
    source: str  # own | member | followed
    received: datetime
    via: str = ""
    # the cleaning rules a filed document was cleaned under (clean.shown); 0 for our own items,
    # whose documents are cleaned when shown, as before
    clean_rules: int = 0

    @property
    def local_start(self) -> datetime | None:
        """The start as the organizer wrote it (its own offset), for display."""
        return parse_local(self.document.get("startTime"))


def parse_local(value: Any) -> datetime | None:
    """An RFC 3339 time keeping its offset (None when unreadable or out of range)."""
    return clean.moment(value)


class _Profiles:
    """Authors' credit lines looked up once per request; ``named=False`` for a reader that
    shows no credit line (an ActivityStreams collection embeds each document, whose
    ``attributedTo`` credits its author): each author is then its bare id, and nothing is read."""

    def __init__(self, session: Session, node: NodeContext, *, named: bool = True) -> None:
        self.session, self.node, self.named = session, node, named
        self.cache: dict[str, Credit] = {}
        self.pending: set[str] = set()

    def expect(self, actors: Iterable[str]) -> None:
        """These actors will be needed: looked up with the next :meth:`preload`'s (one query
        for two lists of a page, not one each)."""
        self.pending.update(a for a in actors if a not in self.cache)

    def preload(self, actors: Iterable[str]) -> None:
        """Look up these actors (and those expected) at once (one query for the remote
        ones)."""
        missing = {a for a in actors if a not in self.cache} | self.pending
        self.pending = set()
        if missing and self.named:
            self.cache.update(credits_of(self.session, self.node, missing))

    def __call__(self, actor: str) -> Credit:
        if self.pending:
            self.preload(())
        if actor not in self.cache:
            self.cache[actor] = (
                profile_of(self.session, self.node, actor)
                if self.named
                else Credit(actor, actor, "", actor)
            )
        return self.cache[actor]


def _from_row(row: NetworkItem, profiles: _Profiles) -> Entry:
    return Entry(
        object_id=row.object_id,
        document=row.document,
        kind=row.kind,
        author=profiles(row.author),
        start=as_utc(row.start_time) if row.start_time else None,
        end=as_utc(row.end_time) if row.end_time else None,
        region=row.region,
        country=row.country,
        tags=tuple(row.tags.split()),
        category=row.category,
        online=row.online,
        source=row.source,
        received=as_utc(row.received_at),
        via=row.via,
        clean_rules=row.clean_rules,
    )


def _from_item(item: Item, profiles: _Profiles, author: str) -> Entry:
    facts = item_facts(item.document)
    return Entry(
        object_id=item.ap_id,
        document=item.document,
        kind=item.kind,
        author=profiles(author),
        start=facts.start_time,
        end=facts.end_time,
        region=facts.region,
        country=facts.country,
        tags=facts.tags,
        category=facts.category,
        online=facts.online,
        source="own",
        received=as_utc(item.published),
    )


def _matches(entry: Entry, filters: Filters) -> bool:
    return filters.admits(entry.region, entry.country, entry.tags, entry.category, entry.online)


def network_rows(network_ids: list[int], filters: Filters) -> Any:
    """The rows shown by these networks that pass the filters (a select to refine)."""
    return shown_rows(filters).where(col(NetworkItem.network_id).in_(network_ids))


def shown_rows(filters: Filters) -> Any:
    """The rows shown (of any network) that pass the filters (a select to refine)."""
    query = _shown_but_region(filters)
    if filters.region:
        region = filters.region.lower()
        query = query.where(
            or_(func.lower(NetworkItem.region) == region, func.lower(NetworkItem.country) == region)
        )
    return query


def shown_branches(filters: Filters) -> list[Any]:
    """:func:`shown_rows` as selects that each read one facet index (migration 0025), to be
    ordered and limited each on its own and joined by UNION ALL: a region matches an item's
    region or its country, two indexes, so a region filter is two selects (the second leaves
    out what the first found). A region or category that few events have is then an index
    range of those events, not a walk of every event in time order looking for them (a region
    nobody uses cost ~250 ms of CPU on a network of a million items)."""
    query = _shown_but_region(filters)
    if not filters.region:
        return [query]
    region = filters.region.lower()
    in_region = func.lower(NetworkItem.region)
    return [
        query.where(in_region == region),
        query.where(func.lower(NetworkItem.country) == region, in_region != region),
    ]


def shown_unindexed(filters: Filters) -> Any:
    """:func:`shown_rows` with its facets (region, category) compared as expressions no index
    holds, for a range that another index bounds better: what still runs of the events begun
    before now, one range per class of duration on its own index (event_ranges.py), which a
    facet index would look for among every event of that region or category begun since the
    class's lower bound."""
    query = select(NetworkItem).where(col(NetworkItem.state).in_(SHOWN_STATES))
    if filters.region:
        region = filters.region.lower()
        query = query.where(
            or_(
                unindexed(func.lower(NetworkItem.region)) == region,
                unindexed(func.lower(NetworkItem.country)) == region,
            )
        )
    return _facets(query, replace(filters, region=""), indexed=False)


def _shown_but_region(filters: Filters) -> Any:
    query = select(NetworkItem).where(col(NetworkItem.state).in_(SHOWN_STATES))
    return _facets(query, filters, indexed=True)


def _facets(query: Any, filters: Filters, *, indexed: bool) -> Any:
    """``query`` narrowed by the filters but the region."""
    if filters.tag:
        query = query.where(col(NetworkItem.tags).contains(f" {filters.tag} "))
    if filters.category:
        category: Any = col(NetworkItem.category)
        query = query.where((category if indexed else unindexed(category)) == filters.category)
    if filters.online is not None:
        query = query.where(NetworkItem.online == filters.online)
    return query


def _id(actor: LocalActor) -> int:
    assert actor.id is not None
    return actor.id


def published_at(entry: Entry) -> datetime:
    """When the author published it (``published``, read defensively), else when it arrived:
    a network files a new member's recent posts all at once, so arrival is no date order."""
    stated = clean.moment(entry.document.get("published"))
    if stated is None or stated > entry.received:
        return entry.received
    return stated


@dataclass
class Day:
    """One cell of a month view."""

    day: date
    in_month: bool
    entries: list[Entry] = field(default_factory=list)


def month_grid(year: int, month: int, entries: list[Entry]) -> list[list[Day]]:
    """Weeks (Monday first) of the month, each event on the days it spans (local dates)."""
    weeks = [
        [Day(d, d.month == month) for d in week]
        for week in calendar_lib.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    cells = {cell.day: cell for week in weeks for cell in week}
    for entry in entries:
        start = entry.local_start or entry.start
        if start is None:
            continue
        end = parse_local(entry.document.get("endTime")) or start
        first, last = start.date(), max(start.date(), end.date())
        for offset in range(min((last - first).days, MAX_EVENT_DAYS) + 1):
            cell = cells.get(first + timedelta(days=offset))
            if cell is not None:
                cell.entries.append(entry)
    return weeks
