"""An organization's events running at a moment (begun before it, not over), for its events
list (listings.py), read one class of duration at a time: an event of class k (``item.
span_class``, node/models/spans.py; migration 0026) running at ``now`` began in [now -
SPANS[k], now), so each class is a range of ``(actor_id, kind, span_class, start_time, id)``
closed on both sides (from the cursor's start when the page goes on from there, to it when it
goes back), its end checked on its rows; their union is ordered by (start, id) and cut to the
page. The statements are built once per direction with bound parameters (SQLAlchemy took
longer to build and compile the union of twelve than the database took to answer it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, literal_column, or_, true, union_all
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from node.models import Item
from node.models.span_ranges import span_classes
from node.models.spans import SPANS, class_lowers

# (onward, from a cursor): the list's order from its start or a cursor, or back from one (or
# from its end)
Way = tuple[bool, bool]
TICK = timedelta(microseconds=1)


def asked(
    owner: int, now: datetime, cursor: tuple[datetime, int] | None, onward: bool, limit: int
) -> tuple[Way, dict[str, Any]]:
    """The direction of the read and its parameters: each class's range from the later of its
    lower bound and the cursor's start (onward), up to now or to the cursor's start (back)."""
    values: dict[str, Any] = {"running_owner": owner, "running_now": now}
    values |= {"running_upper": now, "running_limit": limit}
    way: Way = (onward, cursor is not None)
    at = cursor[0] if cursor is not None else None
    if cursor is not None:
        values |= {"running_at": cursor[0], "running_key": cursor[1]}
    if at is not None and not onward and at < now:
        values["running_upper"] = at + TICK  # up to the cursor's start, its ties included
    lowers = class_lowers(now, at if onward else None)
    values |= {f"running_span{k}": lower for k, lower in enumerate(lowers)}
    return way, values


def listed() -> list[Any]:
    """What a profile's lists hold of an actor's items (listings.py and these ranges alike): not
    deleted, and no child (sessions are listed in their conference's programme, status notes
    under their event)."""
    return [col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None)]


@lru_cache(maxsize=8)
def keys(way: Way, lateral: bool) -> Any:
    """(id, start_time) of the running events, in the list's order (or backwards), at most
    ``running_limit``: one range per class, each ordered and limited on its own index (in a
    subquery of its own: SQLite takes no ORDER BY or LIMIT on the members of a compound). On
    PostgreSQL (``lateral``) the classes are one LATERAL subquery run once per class and its
    lower bound: planned once (twelve members of a union cost ~1 ms of planning a page, 0.15 ->
    1.1 ms)."""
    start, ident, end = col(Item.start_time), col(Item.id), col(Item.end_time)
    limit = bindparam("running_limit", type_=Integer)
    base = select(ident, start).where(
        Item.actor_id == bindparam("running_owner"),
        *listed(),
        Item.kind == "event",
        start < bindparam("running_upper"),
        end >= bindparam("running_now"),
    )
    onward, cursor = way
    at: Any = bindparam("running_at")
    key: Any = bindparam("running_key")
    if cursor:
        base = base.where(or_(start > at, ident > key) if onward else or_(start < at, ident < key))
    order = (start, ident) if onward else (start.desc(), ident.desc())
    if lateral:
        classes = span_classes("running_span", "spans")
        one = base.where(col(Item.span_class) == classes.c.k, start >= classes.c.lower)
        ran = one.order_by(*order).limit(limit).lateral("ran")
        found = select_columns(*ran.c).select_from(classes).join(ran, true()).subquery("classes")
    else:
        parts = []
        for k in range(len(SPANS)):
            one = base.where(
                col(Item.span_class) == literal_column(str(k)),
                start >= bindparam(f"running_span{k}"),
            )
            parts.append(select_columns(*one.order_by(*order).limit(limit).subquery().c))
        found = union_all(*parts).subquery("classes")
    ordered = (found.c.start_time, found.c.id)
    return (
        select_columns(found.c.id, found.c.start_time)
        .order_by(*(c if onward else c.desc() for c in ordered))
        .limit(limit)
    )


@lru_cache(maxsize=8)
def rows(way: Way, lateral: bool) -> Any:
    """The items of :func:`keys`, in its order."""
    found = keys(way, lateral).subquery("running")
    ordered = (found.c.start_time, found.c.id)
    return (
        select(Item)
        .join(found, col(Item.id) == found.c.id)
        .order_by(*(c if way[0] else c.desc() for c in ordered))
    )
