"""Which region and category calendars are worth offering: those with events to come on this node
(the front page lists them). Bounded reads: each network's next MAX_ROWS filed events and the
node's own next MAX_ROWS events not over yet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from node.db import now_utc
from node.features.networks import upcoming
from node.features.networks.facts import item_facts
from node.features.networks.rules import SHOWN_STATES
from node.models.networks import NetworkItem

MAX_SCOPES = 30
MAX_ROWS = 1000


@dataclass(frozen=True)
class Scopes:
    """Regions (as written, countries as codes) and categories, most events first."""

    regions: list[str]
    categories: list[str]


def upcoming_scopes(session: Session) -> Scopes:
    """The regions and categories of the events to come."""
    now = now_utc()
    regions: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    rows: list[Any] = []
    for network in upcoming.network_ids(session, None):
        # per network, by (network_id, start_time) from now: an IN over networks, or no
        # network at all, would sort every event to come before the LIMIT
        rows += session.exec(
            select(NetworkItem.region, NetworkItem.country, NetworkItem.category)
            .where(
                NetworkItem.network_id == network,
                NetworkItem.kind == "event",
                col(NetworkItem.state).in_(SHOWN_STATES),
                col(NetworkItem.start_time) >= now,
            )
            .order_by(col(NetworkItem.start_time))
            .limit(MAX_ROWS)
        ).all()
    facts = [(str(r), str(c), str(cat)) for r, c, cat in rows]
    # the node's own events not over yet, soonest first: ranges of the start and of each class
    # of duration (own_ranges.py), where an OR on the end walked every past event from the first
    for item in upcoming.own_events(session, None, now, None, None, MAX_ROWS):
        found = item_facts(dict(item.document))
        facts.append((found.region, found.country, found.category))
    for region, country, category in facts:
        regions.update(p for p in {region.strip(), country.strip()} if p)
        if category:
            categories[category] += 1
    return Scopes(
        regions=[r for r, _ in regions.most_common(MAX_SCOPES)],
        categories=[c for c, _ in categories.most_common(MAX_SCOPES)],
    )
