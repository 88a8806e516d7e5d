"""The one statement that finds this node's own events not over yet (an organization's, or
everyone's): the ids of its ranges, each bounded on both sides or by a LIMIT, their union cut
to the page. The calendars, their lists and feeds, and ``upcomingEvents`` read ours with it
(node/features/networks/upcoming.py: own_events), beside what each network files
(event_ranges.py, the same ranges on ``network_item``).

* starting at or after ``since`` (and before ``until``): ``(actor_id, kind, start_time, id)``
  for an organization's, ``(start_time)`` for the node's, from ``max(since, cursor)``, LIMIT
  ``limit``;
* begun before ``since``, one range per class of duration (``item.span_class``,
  node/models/spans.py: 0 for a day or less or without an end, k for up to 4^k days; migration
  0026): an event of class k still running at ``since`` began in [since - SPANS[k], since), so
  each class is a range of ``(actor_id, kind, span_class, start_time, id)`` (an
  organization's) or ``(kind, span_class, start_time, id)`` (the node's) closed on both sides
  (from the cursor when it is later), ordered by start, LIMIT ``limit``; the end is checked on
  its rows.

"Not over at ``since``" is what it always was for our items: the end from ``since`` on, or, an
event without an end, a start from ``since - NO_END`` on. Every event has a class, so none is
left out however many run at once, and no range walks the node's past from its first event.

On SQLite the classes are members of the union, each ordered by (start, ap id). On PostgreSQL
they are one LATERAL subquery, planned once and run once per class (twelve members of a union
cost ~1 ms of planning a read), and each range is ordered by start alone and cut after the ties
of the last (``FETCH FIRST n ROWS WITH TIES``), the index's order, so it stops at the page's
size; the union orders the ties by ap id (see event_ranges.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, bindparam, literal_column, or_, true, union_all
from sqlmodel import col, select

from node.features.networks.event_ranges import window
from node.models import Item
from node.models.span_ranges import span_classes
from node.models.spans import NO_END, SPANS

SPANS_K = range(len(SPANS))


class Shape(NamedTuple):
    """What a read's statement is built of: one organization's events or the node's, an end
    (``until``), a cursor, and the ranges of what began before ``since`` (not once the cursor
    is past it)."""

    scoped: bool
    bounded: bool
    cursor: bool
    running: bool
    lateral: bool


def asked(
    actor: int | None,
    since: datetime,
    until: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
    lateral: bool,
) -> tuple[Shape, dict[str, Any]]:
    """The shape of the statement a read needs and the values of its parameters: each range's
    lower bound is the later of its own and the cursor's start, so the index is entered where
    the page goes on (event_ranges.window, shared with the networks' read)."""
    running, values = window(since, until, after, limit)
    values["no_end"] = since - NO_END
    if actor is not None:
        values["actor"] = actor
    shape = Shape(actor is not None, until is not None, after is not None, running, lateral)
    return shape, values


# Built once per shape with bound parameters, and reused (see event_ranges.soonest).
@lru_cache(maxsize=32)
def soonest(scoped: bool, bounded: bool, cursor: bool, running: bool, lateral: bool) -> Any:
    """The ids of the ``limit`` soonest events of the ranges (see the module), ordered by
    (start, ap id), as one select: each range ordered and limited on its own index, their
    union (at most ``limit`` a range, or its ties) ordered and cut."""
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
    parts = [select(*_keyed(coming, limit, lateral).subquery().c)]
    if running and lateral:
        parts.append(_classes_lateral(base, limit))
    elif running:
        classes = [_running(base, literal_column(str(k)), bindparam(f"span{k}")) for k in SPANS_K]
        parts += [select(*_keyed(r, limit, lateral).subquery().c) for r in classes]
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


def _keyed(query: Any, limit: Any, lateral: bool) -> Any:
    """A range's keys, soonest first, at most ``limit``: ties by ap id (SQLite), or (PostgreSQL)
    ordered by start alone and cut after the ties of the last, the index's own order, so the
    range stops at the page's size (the union orders the ties by ap id; ordered by start and ap
    id, PostgreSQL sorted every row of the range first)."""
    start, key = col(Item.start_time), col(Item.ap_id)
    keyed = query.with_only_columns(Item.id, Item.start_time, Item.ap_id)
    if lateral:
        return keyed.order_by(start).fetch(limit, with_ties=True)
    return keyed.order_by(start, key).limit(limit)


def _running(base: Any, span_class: Any, lower: Any) -> Any:
    """Of ``base``'s events, those of ``span_class`` (a literal on SQLite: each range's plan
    made for its class) begun from ``lower`` until ``began`` and not over at ``since``."""
    start, end = col(Item.start_time), col(Item.end_time)
    return base.where(
        col(Item.span_class) == span_class,
        start >= lower,
        start < bindparam("began"),
        or_(end >= bindparam("since"), and_(end.is_(None), start >= bindparam("no_end"))),
    )


def _classes_lateral(base: Any, limit: Any) -> Any:
    """The classes' ranges as one LATERAL subquery, run once for each (class, lower bound) of
    a list of constants (PostgreSQL plans each member of a union on its own: twelve cost
    ~1 ms of planning a read; see event_ranges._classes_lateral)."""
    classes = span_classes("span", "classes")
    running = _running(base, classes.c.k, classes.c.lower)
    found = _keyed(running, limit, True).lateral("running")
    return select(*found.c).select_from(classes).join(found, true())
