"""The lists of items on public pages: an organization's upcoming and past events, its calls and
news, a hashtag's items; one page at a time, paged by cursor at any depth.

A list is one or more index ranges read one after the other (:class:`Range`): the open calls,
then the closed ones; the events already running (one range per class of duration, their
union: running_ranges.py), then those still to come. A page reads each
range from the cursor on (``(key, id)`` beyond the cursor's, in the range's order) with
``LIMIT size + 1``, bounded by its owner and kind and by the cursor: no OFFSET, no count, the
same cost on page 1 and page 400. The cursor (node/keyset.py) is the last row's range letter
and key, e.g. ``f~20270105T180000.000000Z~8812``; a page back reads the ranges the other way.

Old ``?page=N`` links are answered by :func:`cursor_at`: the key of the last row of page
``N - 1``, found in one statement on the ranges' keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, literal, tuple_, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from node import keyset
from node.db import as_utc, now_utc
from node.features.publishing import running_ranges
from node.models import Item, ItemTag, LocalActor

Section = Literal["events", "past", "calls", "news"]
SECTIONS: tuple[Section, ...] = ("events", "past", "calls", "news")
PAGE_SIZE = 12
PROFILE_SIZE = 4
# An old ?page=N link beyond this is sent to the first page (finding its cursor reads the keys
# of every row before it: 6,000 at most).
MAX_LEGACY_PAGE = 500
# A hashtag as a URL segment (/tags/<tag>, and the tag feeds in node/features/feeds/routes.py).
TAG_RE = re.compile(r"^\w{1,64}$")

Key = tuple[Any, ...]  # (range letter, *key values) of a row: a cursor


@dataclass(frozen=True)
class Range:
    """One index range of a list: its rows (``query``), read in the order of ``columns``
    (ascending, or descending when ``descending``); ``mark`` names it in a cursor."""

    mark: str
    query: SelectOfScalar[Item]
    columns: tuple[Any, ...]
    descending: bool
    # set: the range is the events of ``owner`` running at this moment, read one class of
    # duration at a time (running_ranges.py; ``query`` names them); ``former``: the marks of
    # the ranges it took the place of, whose cursors it answers (their rows are its rows, in
    # its order)
    running_at: datetime | None = None
    owner: int | None = None
    former: tuple[str, ...] = ()

    def key(self, item: Item) -> Key:
        """The cursor of a row of this range."""
        if len(self.columns) == 1:
            return (self.mark, item.id)
        first = getattr(item, self.columns[0].key)
        return (self.mark, as_utc(first), item.id)


@dataclass(frozen=True)
class Ranges:
    """A list: its ranges in order, and the kinds of its cursor's parts."""

    ranges: tuple[Range, ...]
    kinds: tuple[type, ...]

    def parse(self, raw: str | None) -> Key | None:
        """The cursor a URL carries, None when absent, malformed or not of this list."""
        found = keyset.parse(raw, str, *self.kinds)
        if found is None:
            return None
        for r in self.ranges:
            if found[0] == r.mark:
                return found
            if found[0] in r.former:
                return (r.mark, *found[1:])
        return None


@dataclass(frozen=True)
class Listing:
    """One page of a list: its items and the cursors of its neighbours (None at an end; no
    count: nothing shows one, and a ``count(*)`` per section per request read every item)."""

    items: list[Item]
    next: str | None = None
    previous: str | None = None
    first: bool = True
    # sessions of the conferences on this page, by conference id (a card says "N sessions")
    sessions: dict[int, int] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        """Whether there are more items after this page."""
        return self.next is not None


_visible = running_ranges.listed


def section_list(actor: LocalActor, section: Section, now: datetime) -> Ranges:
    """The ranges of one section of a profile, in the order it is shown."""
    query = select(Item).where(Item.actor_id == actor.id, *_visible())
    start, published, ident = col(Item.start_time), col(Item.published), col(Item.id)
    end = col(Item.end_time)
    kinds = (datetime, int)
    if section in ("events", "past"):
        events = query.where(Item.kind == "event")
        if section == "past":
            over = events.where(start < now, end < now)
            return Ranges((Range("p", over, (start, ident), True),), kinds)
        # Running now, then still to come: start-ordered ranges (an event starting later is
        # not over yet, so the last range is bounded by now and the cursor). The running ones
        # are one range a class of duration (item.span_class, 0026): one of class k running
        # now began in [now - SPANS[k], now), a range of (actor_id, kind, span_class,
        # start_time, id) closed on both sides, their union ordered by start (before, those
        # begun within a year were one range, and the earlier ones were read on the end index
        # through every event to come: "l" cursors are this range's).
        ahead = events.where(start >= now, end >= now)
        order = (start, ident)
        return Ranges(
            (
                Range("r", events, order, False, running_at=now, owner=actor.id, former=("l",)),
                Range("f", ahead, order, False),
            ),
            kinds,
        )
    if section == "calls":
        # Open calls first (no deadline, or a deadline ahead), newest first within each.
        calls = query.where(Item.kind == "call")
        still_open = calls.where(or_(end.is_(None), end >= now))
        closed = calls.where(end < now)
        return Ranges(
            (
                Range("o", still_open, (published, ident), True),
                Range("c", closed, (published, ident), True),
            ),
            kinds,
        )
    news = query.where(Item.kind == "news")
    return Ranges((Range("n", news, (published, ident), True),), kinds)


def tag_list(tag: str) -> Ranges:
    """Items with a hashtag (any organization of this node), newest (latest item id) first:
    the ``(tag, item_id)`` index read downwards, each row joined to its item."""
    query = (
        select(Item)
        .join(ItemTag, col(ItemTag.item_id) == col(Item.id))
        .where(ItemTag.tag == tag.lower()[:64], *_visible())
    )
    return Ranges((Range("t", query, (col(ItemTag.item_id),), True),), (int,))


def _beyond(rng: Range, cursor: Key, onward: bool) -> Any:
    """The rows of ``rng`` after (``onward``) or before the cursor, in the range's order."""
    columns = rng.columns
    key = tuple_(*columns) if len(columns) > 1 else columns[0]
    at = cursor[1:] if len(rng.columns) > 1 else cursor[1]
    bound = tuple_(*at) if len(rng.columns) > 1 else at
    return key < bound if onward == rng.descending else key > bound


def _ordered(rng: Range, query: Any, onward: bool) -> Any:
    descending = rng.descending == onward
    return query.order_by(*(c.desc() if descending else c for c in rng.columns))


def _walk(
    session: Session, lst: Ranges, cursor: Key | None, onward: bool, size: int
) -> list[tuple[Range, Item]]:
    """Up to ``size + 1`` rows from the cursor on (or back), across the ranges in turn."""
    ranges = list(lst.ranges if onward else reversed(lst.ranges))
    if cursor is not None:
        ranges = ranges[[r.mark for r in ranges].index(cursor[0]) :]
    elif not onward:
        return []
    rows: list[tuple[Range, Item]] = []
    for rng in ranges:
        at = cursor if cursor is not None and rng.mark == cursor[0] else None
        wanted = size + 1 - len(rows)
        if rng.running_at is not None:
            way, values = _running(rng, at, onward, wanted)
            query = running_ranges.rows(way, _lateral(session))
            rows += [(rng, item) for item in session.exec(query, params=values)]
        else:
            query = rng.query if at is None else rng.query.where(_beyond(rng, at, onward))
            query = _ordered(rng, query, onward).limit(wanted)
            rows += [(rng, item) for item in session.exec(query)]
        if len(rows) > size:
            break
    return rows


def _running(
    rng: Range, cursor: Key | None, onward: bool, limit: int
) -> tuple[running_ranges.Way, dict[str, Any]]:
    """The statement and parameters of a running range's read (running_ranges.py)."""
    assert rng.running_at is not None and rng.owner is not None
    at = (cursor[1], cursor[2]) if cursor is not None else None
    return running_ranges.asked(rng.owner, rng.running_at, at, onward, limit)


def _lateral(session: Session) -> bool:
    """Whether the classes are one LATERAL subquery (PostgreSQL; running_ranges.keys)."""
    return session.connection().dialect.name == "postgresql"


def read(
    session: Session,
    lst: Ranges,
    size: int = PAGE_SIZE,
    *,
    after: Key | None = None,
    before: Key | None = None,
) -> Listing:
    """The page of ``size`` items after the cursor ``after`` (the first page without one), or
    the page before ``before``; the first page when nothing lies before ``before``."""
    if before is not None:
        rows = _walk(session, lst, before, False, size)
        if len(rows) > size:
            rows = rows[:size][::-1]
            return _listing(session, rows, True, rows[0], rows[-1])
        # back at the start: the first page, whole
    rows = _walk(session, lst, after if before is None else None, True, size)
    shown = rows[:size]
    first = after is None or before is not None
    return _listing(
        session, shown, not first, shown[0] if shown else None, shown[-1] if rows[size:] else None
    )


def _listing(
    session: Session,
    rows: list[tuple[Range, Item]],
    back: bool,
    head: tuple[Range, Item] | None,
    tail: tuple[Range, Item] | None,
) -> Listing:
    items = [item for _, item in rows]
    return Listing(
        items,
        next=keyset.token(*tail[0].key(tail[1])) if tail else None,
        previous=keyset.token(*head[0].key(head[1])) if back and head else None,
        first=not back,
        sessions=session_counts(session, items),
    )


def cursor_at(session: Session, lst: Ranges, position: int) -> Key | None:
    """The cursor after the first ``position`` rows of a list (an old ``?page=N`` link asks
    for ``(N - 1) * PAGE_SIZE``), None past the end: one statement, each range's first
    ``position`` keys merged in the list's order and skipped to the one asked for, on the
    ranges' keys alone (only that row comes back). Its cost grows with ``position``, hence
    MAX_LEGACY_PAGE."""
    if position < 1:
        return None
    parts: list[Any] = []
    params: dict[str, Any] = {}  # a running range's (built once: running_ranges.py)
    for rank, rng in enumerate(lst.ranges):
        names = ["k0", "k1"][: len(rng.columns)]
        if rng.running_at is not None:
            way, params = _running(rng, None, True, position)
            keys = running_ranges.keys(way, _lateral(session)).subquery()
            keyed = select_columns(
                literal(rank).label("rank"), keys.c.start_time.label("k0"), keys.c.id.label("k1")
            )
            parts.append(keyed.subquery())
            continue
        keyed = rng.query.with_only_columns(
            literal(rank).label("rank"),
            *(c.label(n) for c, n in zip(rng.columns, names, strict=True)),
        )
        parts.append(_ordered(rng, keyed, True).limit(position).subquery())
    merged = union_all(*[select_columns(*part.c) for part in parts]).subquery("keys")
    descending = lst.ranges[0].descending
    order = [c.desc() if descending else c for c in merged.c if c.name != "rank"]
    found = (
        session.connection()
        .execute(
            select_columns(*merged.c).order_by(merged.c.rank, *order).offset(position - 1).limit(1),
            params,
        )
        .first()
    )
    if found is None:
        return None
    values = tuple(as_utc(v) if isinstance(v, datetime) else int(v) for v in found[1:])
    return (lst.ranges[int(found[0])].mark, *values)


def session_counts(session: Session, items: list[Item]) -> dict[int, int]:
    """How many live sessions each of these events has (only those that have any)."""
    ids = [i.id for i in items if i.kind == "event" and i.id is not None]
    if not ids:
        return {}
    query = (
        select(Item.parent_id, func.count())
        .where(col(Item.parent_id).in_(ids), Item.kind == "event", col(Item.deleted_at).is_(None))
        .group_by(col(Item.parent_id))
    )
    return {int(parent): int(n) for parent, n in session.exec(query) if parent is not None}


def profile_sections(session: Session, actor: LocalActor) -> dict[str, Listing]:
    """The first few of each section, for the profile page: a bounded index range or two
    each, and no count (see :class:`Listing`)."""
    now = now_utc()
    return {
        name: read(session, section_list(actor, name, now), PROFILE_SIZE)
        for name in ("events", "calls", "news")
    }


def page_number(raw: str | None) -> int | None:
    """``?page=``: a whole number from 1 (an old link's), None when absent or not a number."""
    if raw is None or not raw.isdigit() or len(raw) > 9:
        return None
    return max(1, int(raw))
