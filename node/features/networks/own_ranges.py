"""The one statement that finds this node's own events not over yet (an organization's, or
everyone's): the ids of its ranges, each bounded on both sides or by a LIMIT, their union cut
to the page. The calendars, their lists and feeds, and ``upcomingEvents`` read ours with it
(node/features/networks/upcoming.py: own_events), beside what each network files
(event_ranges.py, the same ranges on ``network_item``).

* starting at or after ``since`` (and before ``until``): ``(actor_id, kind, start_time, id)``
  for an organization's, ``(start_time)`` for the node's, from ``max(since, cursor)``, LIMIT
  ``limit``;
* begun before ``since``, one range per class of duration (``item.span_class``, node/models/
  spans.py: 0 for a day or less or without an end, k for up to 4^k days; migration 0029): an
  event of class k still running at ``since`` began in [since - SPANS[k], since), so each class
  is a range of ``(actor_id, kind, span_class, start_time, id)`` (an organization's) or
  ``(kind, span_class, start_time, id)`` (the node's) closed on both sides (from the cursor
  when it is later), ordered by start, LIMIT ``limit``; the end is checked on its rows.

"Not over at ``since``" is what it always was for our items: the end from ``since`` on, or, an
event without an end, a start from ``since - NO_END`` on. Every event has a class, so none is
left out however many run at once, and no range walks the node's past from its first event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, literal_column, or_, union_all
from sqlmodel import col, select

from node.models import Item
from node.models.spans import NO_END, SPANS


class Shape(NamedTuple):
    """What a read's statement is built of: one organization's events or the node's, an end
    (``until``), a cursor, and the ranges of what began before ``since`` (not once the cursor
    is past it)."""

    scoped: bool
    bounded: bool
    cursor: bool
    running: bool


def asked(
    actor: int | None,
    since: datetime,
    until: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[Shape, dict[str, Any]]:
    """The shape of the statement a read needs and the values of its parameters: each range's
    lower bound is the later of its own and the cursor's start, so the index is entered where
    the page goes on."""
    after_start, after_key = after if after is not None else (None, None)
    began = min(since, until) if until is not None else since
    running = after_start is None or after_start < began
    values: dict[str, Any] = {
        "actor": actor,
        "since": since,
        "no_end": since - NO_END,
        "until": until,
        "began": began,
        "limit": limit,
        "coming": since if after_start is None else max(since, after_start),
        "after_start": after_start,
        "after_key": after_key,
    }
    if running:
        for k, span in enumerate(SPANS):
            lower = started_from(since, span)
            values[f"span{k}"] = lower if after_start is None else max(lower, after_start)
    shape = Shape(actor is not None, until is not None, after is not None, running)
    return shape, {k: v for k, v in values.items() if v is not None}


def started_from(since: datetime, span: timedelta) -> datetime:
    """``since`` - ``span``, or the earliest datetime when that is earlier (the last classes
    reach back past year 1)."""
    earliest = datetime.min.replace(tzinfo=UTC)
    return since - span if since - earliest > span else earliest


# Built once per shape with bound parameters, and reused (see event_ranges.soonest).
@lru_cache(maxsize=16)
def soonest(scoped: bool, bounded: bool, cursor: bool, running: bool) -> Any:
    """The ids of the ``limit`` soonest events of the ranges (see the module), ordered by
    (start, ap id), as one select: each range ordered and limited on its own index, their
    union (at most ``limit`` a range) ordered and cut."""
    limit = bindparam("limit", type_=Integer)
    base = _within(scoped, cursor)
    start = col(Item.start_time)
    coming = base.where(
        start >= bindparam("coming"),
        # an end before the start (no event published here has one) was never shown
        or_(col(Item.end_time).is_(None), col(Item.end_time) >= bindparam("since")),
    )
    if bounded:
        coming = coming.where(start < bindparam("until"))
    # each range in a subquery of its own: SQLite takes no ORDER BY or LIMIT on the members of
    # a compound select
    parts = [select(*_keyed(coming, limit).subquery().c)]
    if running:
        parts += [select(*_keyed(_running(base, k), limit).subquery().c) for k in range(len(SPANS))]
    found = union_all(*parts).subquery("ranges")
    return select(found.c.id).order_by(found.c.start_time, found.c.ap_id).limit(limit)


def _within(scoped: bool, cursor: bool) -> Any:
    """Our live events (an organization's, with ``scoped``), from the cursor on: the ranges
    start at the cursor's start; of its ties, those after its ap id."""
    start, key = col(Item.start_time), col(Item.ap_id)
    base = select(Item).where(Item.kind == "event", col(Item.deleted_at).is_(None))
    if scoped:
        base = base.where(Item.actor_id == bindparam("actor"))
    if cursor:
        base = base.where(or_(start > bindparam("after_start"), key > bindparam("after_key")))
    return base


def _keyed(query: Any, limit: Any) -> Any:
    """A range's keys, soonest first (ties by ap id), at most ``limit``."""
    start, key = col(Item.start_time), col(Item.ap_id)
    keys = (Item.id, Item.start_time, Item.ap_id)
    return query.with_only_columns(*keys).order_by(start, key).limit(limit)


def _running(base: Any, k: int) -> Any:
    """Of ``base``'s events, those of class ``k`` (a literal: each range's plan made for its
    class) begun from its lower bound until ``began`` and not over at ``since``."""
    start, end = col(Item.start_time), col(Item.end_time)
    return base.where(
        col(Item.span_class) == literal_column(str(k)),
        start >= bindparam(f"span{k}"),
        start < bindparam("began"),
        or_(end >= bindparam("since"), and_(end.is_(None), start >= bindparam("no_end"))),
    )
