"""The one statement that finds a slice's events not over yet (node/features/networks/
upcoming.py): the keys of its ranges, each bounded on both sides or by a LIMIT, their union cut
to the page.

* starting at or after ``since`` (and before ``until``): ``(network_id, start_time)``, from
  ``max(since, cursor)``, LIMIT ``limit``;
* begun before ``since``, one range per class of duration (``span_class``, facts.SPANS: 0 for
  a day or less, k for up to 4^k days): an event of class k still running at ``since`` began in
  [since - SPANS[k], since), so each class is a range of ``(network_id, span_class,
  start_time, ends_at)`` closed on both sides (from the cursor when it is later), the end
  checked in the index, ordered by start, LIMIT ``limit``. Twelve classes reach past any
  datetime (migration 0022), so no event is left out however many run at once: there is no
  window of "the N ending soonest", and a page of ``limit`` reads at most ``limit`` keys a
  class. A class's range holds its events begun within its longest; when their starts are
  spread evenly, at least a quarter of them still run (each lasts over a quarter of it).

On SQLite the classes are members of the union (its planning of one costs little, and its sort
of a range's ties by id stops at the LIMIT). PostgreSQL plans each member of a union on its own
(twelve more cost ~1 ms of planning a page), so there they are one LATERAL subquery, planned
once and run once for each class and its lower bound, ordered by start alone and cut after the
ties of the last (``FETCH FIRST n ROWS WITH TIES``): the index's order, so each run stops at
the page's size; the union orders the ties by id.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, bindparam, literal_column, or_, true, union_all
from sqlmodel import Session, col, select

from node.db import unindexed
from node.features.networks.facts import SPANS
from node.features.networks.queries import Filters, shown_branches, shown_unindexed
from node.models.networks import NetworkItem
from node.models.span_ranges import span_classes
from node.models.spans import class_lowers


class Shape(NamedTuple):
    """What a slice's statement is built of: an end (``until``), a cursor, the ranges of what
    began before ``since`` (not once the cursor is past it), and LATERAL (PostgreSQL)."""

    bounded: bool
    cursor: bool
    running: bool
    lateral: bool


def lateral(session: Session) -> bool:
    """Whether the classes' ranges are one LATERAL subquery run once per class (PostgreSQL
    plans each member of a union on its own: twelve ranges cost ~1 ms of planning a page) or
    a union of them (SQLite has no LATERAL; its planning of a range is cheap)."""
    return session.connection().dialect.name == "postgresql"


def asked(
    network_id: int,
    since: datetime,
    until: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
    lateral: bool,
) -> tuple[Shape, dict[str, Any]]:
    """The shape of the statement a slice needs (an end, a cursor (start, object id), the
    running ranges, LATERAL) and the values of its parameters: each range's lower bound is
    the later of its own and the cursor's start, so the index is entered where the page goes
    on."""
    running, values = window(since, until, after, limit)
    shape = Shape(until is not None, after is not None, running, lateral)
    return shape, values | {"network": network_id}


def window(
    since: datetime, until: datetime | None, after: tuple[datetime, Any] | None, limit: int
) -> tuple[bool, dict[str, Any]]:
    """Whether a read of the events not over at ``since`` (starting before ``until``, after the
    cursor ``after``) still reads the ranges of what began before ``since``, and the values of
    the parameters those statements share (this module's and own_ranges.py's), the absent
    ones left out: each range's lower bound is the later of its own and the cursor's start."""
    after_start, after_key = after if after is not None else (None, None)
    began = min(since, until) if until is not None else since
    running = after_start is None or after_start < began
    values: dict[str, Any] = {
        "since": since,
        "until": until,
        "began": began,
        "limit": limit,
        "coming": since if after_start is None else max(since, after_start),
        "after_start": after_start,
        "after_key": after_key,
    }
    if running:
        values |= {f"span{k}": lower for k, lower in enumerate(class_lowers(since, after_start))}
    return running, {k: v for k, v in values.items() if v is not None}


# The statements are built once per shape (filters, an end, a cursor, the running ranges) with
# bound parameters, and reused: SQLAlchemy took longer to build this union of selects (~1.5 ms
# for three) than the database took to answer it.
@lru_cache(maxsize=128)
def soonest(filters: Filters, bounded: bool, cursor: bool, running: bool, lateral: bool) -> Any:
    """The keys (id, start_time, object_id) of the ``limit`` soonest events of the ranges (see
    the module), as one select: each range ordered and limited on its own index, their union
    (at most ``limit`` keys a range) ordered and cut. One round trip instead of one per range
    (on PostgreSQL each statement is a round trip)."""
    limit = bindparam("limit", type_=Integer)
    parts = []
    for branch in shown_branches(filters):
        coming = _within(branch, cursor).where(col(NetworkItem.start_time) >= bindparam("coming"))
        if bounded:
            coming = coming.where(col(NetworkItem.start_time) < bindparam("until"))
        # each range in a subquery of its own: SQLite takes no ORDER BY or LIMIT on the members
        # of a compound select
        parts.append(select(*_keyed(coming, limit).subquery().c))
    if running:
        # the classes' ranges on their own index, the facets and the kind compared as
        # expressions no index holds: a facet index would look for what still runs among
        # every event of that region begun since the class's lower bound (year 1 for the
        # last), and SQLite, with statistics for some indexes and none for others, read
        # them through (network_id, kind), every event of the network (0.7 s on a million)
        base = _within(shown_unindexed(filters), cursor, kind_indexed=False)
        if lateral:
            parts.append(_classes_lateral(base, limit))
        else:
            parts += [select(*_keyed(r, limit).subquery().c) for r in _class_ranges(base)]
    found = union_all(*parts).subquery("ranges")
    return (
        select(found.c.id, found.c.start_time, found.c.object_id)
        .order_by(found.c.start_time, found.c.object_id)
        .limit(limit)
    )


def _within(shown: Any, cursor: bool, *, kind_indexed: bool = True) -> Any:
    """The network's events of ``shown`` (a select of queries.shown_branches or
    shown_unindexed), from the cursor on: the ranges start at the cursor's start; of its
    ties, those after its id."""
    start, key = col(NetworkItem.start_time), col(NetworkItem.object_id)
    kind: Any = col(NetworkItem.kind)
    event = (kind if kind_indexed else unindexed(kind)) == "event"
    base = shown.where(NetworkItem.network_id == bindparam("network"), event)
    if cursor:
        at: Any = bindparam("after_start")
        base = base.where(or_(start > at, key > bindparam("after_key")))
    return base


def _keyed(query: Any, limit: Any) -> Any:
    """A range's keys, soonest first (ties by object id), at most ``limit``."""
    start, key = col(NetworkItem.start_time), col(NetworkItem.object_id)
    keys = (NetworkItem.id, NetworkItem.start_time, NetworkItem.object_id)
    return query.with_only_columns(*keys).order_by(start, key).limit(limit)


def _running(query: Any, span_class: Any, lower: Any) -> Any:
    """Of ``query``'s rows, those of ``span_class`` begun from ``lower`` until ``began`` and
    not over at ``since``."""
    start = col(NetworkItem.start_time)
    return query.where(
        col(NetworkItem.span_class) == span_class,
        start >= lower,
        start < bindparam("began"),
        col(NetworkItem.ends_at) >= bindparam("since"),
    )


def _class_ranges(base: Any) -> list[Any]:
    """One range per class, its class a literal (each range's plan made for its class)."""
    return [
        _running(base, literal_column(str(k)), bindparam(f"span{k}")) for k in range(len(SPANS))
    ]


def _classes_lateral(base: Any, limit: Any) -> Any:
    """The classes' ranges as one LATERAL subquery, run once for each (class, lower bound) of
    a list of constants: planned once, each run the same bounded range as a member of the
    union."""
    classes = span_classes("span", "classes")
    # ordered by start alone, and cut after the ties of the last: the index's own order, so
    # the scan stops at the limit (ordered by start and id too, each run sorted every row of
    # its range: the planner cannot tell how many a class has)
    start = col(NetworkItem.start_time)
    keys = (NetworkItem.id, NetworkItem.start_time, NetworkItem.object_id)
    running = _running(base, classes.c.k, classes.c.lower).with_only_columns(*keys)
    found = running.order_by(start).fetch(limit, with_ties=True).lateral("running")
    return select(*found.c).select_from(classes).join(found, true())
