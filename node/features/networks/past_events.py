"""Events that already started, for the calendars (.ics): a network's shown events and this
node's own that started in a window before now, the latest first (node/features/feeds/entries.py
adds them to what is upcoming). Each read is one range of a start-time index, both ends bound."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import union_all
from sqlmodel import Session, col, select

from node.features.networks.queries import Filters, shown_branches
from node.features.networks.upcoming import own_items
from node.models import Item, LocalActor
from node.models.networks import NetworkItem


def past_keys(
    session: Session,
    network_id: int,
    filters: Filters,
    since: datetime,
    until: datetime,
    limit: int,
) -> list[Any]:
    """The keys (id, start, object id) of a network's shown events that started in
    [since, until), the latest first (a calendar reads their rows its own way: filed.py)."""
    return list(session.execute(_started_between(network_id, filters, since, until, limit)).all())


def _started_between(
    network_id: int, filters: Filters, since: datetime, until: datetime, limit: int
) -> Any:
    """One range per facet index (queries.shown_branches), each the latest ``limit`` first,
    their union cut to ``limit``."""
    start = col(NetworkItem.start_time)
    keys = (NetworkItem.id, NetworkItem.start_time, NetworkItem.object_id)
    parts = [
        branch.where(
            NetworkItem.network_id == network_id,
            NetworkItem.kind == "event",
            start >= since,
            start < until,
        )
        .with_only_columns(*keys)
        .order_by(start.desc())
        .limit(limit)
        for branch in shown_branches(filters)
    ]
    if len(parts) == 1:
        return parts[0]
    found = union_all(*[select(*p.subquery().c) for p in parts]).subquery("ranges")
    return (
        select(found.c.id, found.c.start_time, found.c.object_id)
        .order_by(found.c.start_time.desc())
        .limit(limit)
    )


def own_past(
    session: Session, actor: LocalActor | None, since: datetime, until: datetime, limit: int
) -> list[Item]:
    """This node's own events (an actor's, or everyone's) that started in [since, until)."""
    start = col(Item.start_time)
    query = select(col(Item.id)).where(
        Item.kind == "event", col(Item.deleted_at).is_(None), start >= since, start < until
    )
    if actor is not None:
        query = query.where(Item.actor_id == actor.id)
    return own_items(session, query.order_by(start.desc()).limit(limit))
