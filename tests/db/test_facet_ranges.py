"""A region's or a category's events, read on their own index (migration 0025).

A co-op network in Catalunya and one in Gauteng share a national hub. Someone follows the hub's
``/regions/Catalunya`` page; a crawler asks for ``/regions/<anything>``. Before, each of those
walked every upcoming event of every network in time order, looking for the few that matched
(~250 ms of CPU a request on a million items, for a region nobody uses). Now each filter reads
one index range of the events that have it: the stories below show what each database plans,
and that the pages still list every matching event once, in order, however they are paged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from node import migrations
from node.db import make_engine
from node.features.feeds.entries import calendar_events
from node.features.networks.queries import Filters
from node.features.networks.upcoming import upcoming_page
from node.federation.context import NodeContext
from node.models import LocalActor
from node.settings import Settings
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.db.network_support import event as remote_event
from tests.db.network_support import local, remote, upcoming_walk
from tests.db.test_calendar_bounds import ORG, file_events
from tests.db.test_calendar_plans import pg_scans, recorded, sqlite_plan

NOW = datetime.now(UTC).replace(microsecond=0)
PLACES = [  # (addressRegion, addressCountry, category): a few of each, and two that collide
    ("Catalunya", "ES", "MEETING"),
    ("Gauteng", "ZA", "WORKSHOP"),
    ("Kerala", "IN", "MARKET"),
    ("", "ES", "MEETING"),  # a place in Spain without a region
    ("es", "ES", "PARTY"),  # a region spelled like its country: listed once, not twice
]
FACET_INDEXES = {
    "ix_network_item_network_region_start",
    "ix_network_item_network_country_start",
    "ix_network_item_network_category_start",
}


def node_of(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def placed(n: int, start: datetime, end: datetime, place: tuple[str, str, str]) -> dict[str, Any]:
    region, country, category = place
    address = {"type": "PostalAddress", "addressCountry": country}
    if region:
        address["addressRegion"] = region
    doc = remote_event(ORG, n, name=f"Event {n}", startTime=start.isoformat())
    doc.update(
        endTime=end.isoformat(),
        category=category,
        location={"type": "Place", "name": f"Hall {n}", "address": address},
    )
    return doc


def hub(engine: Engine) -> LocalActor:
    """A network with 150 upcoming events across the places, a few of them running already
    (started yesterday, or a week-long fair), and some over."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    docs = []
    for n in range(150):
        start = NOW + timedelta(hours=3 * n - 30)
        long = n % 37 == 0
        end = start + (timedelta(days=8) if long else timedelta(hours=2))
        docs.append(placed(n, start, end, PLACES[n % len(PLACES)]))
    file_events(engine, network, docs)
    return network


def expected(filters: Filters) -> list[str]:
    """The titles that pass ``filters`` and are not over, soonest first (computed here, not by
    the node: from the scene itself)."""
    names = []
    for n in range(150):
        start = NOW + timedelta(hours=3 * n - 30)
        end = start + (timedelta(days=8) if n % 37 == 0 else timedelta(hours=2))
        region, country, category = PLACES[n % len(PLACES)]
        if end < NOW or not filters.admits(region, country, (), category, False):
            continue
        names.append(f"Event {n}")
    return names


def walked(session: Session, node: NodeContext, network: LocalActor, filters: Filters) -> list[str]:
    walk = upcoming_walk(session, node, network, filters, since=NOW, limit=7)
    return [str(e.document.get("name")) for e in walk]


def test_a_regions_events_are_listed_once_in_order_by_any_page_size(
    settings: Settings, engine: Engine
) -> None:
    node, network = node_of(settings, engine), hub(engine)
    with Session(engine) as session:
        for filters in (
            Filters(region="Catalunya"),
            Filters(region="es"),  # Spain: the region spelled "es" once, the country twice
            Filters(region="GAUTENG"),
            Filters(category="MEETING"),
            Filters(region="ES", category="PARTY"),
            Filters(region="Nowhere"),
        ):
            assert walked(session, node, network, filters) == expected(filters), filters
        assert expected(Filters(region="es")), "the scene has Spanish events"
        # the calendar (.ics) reads the same ranges, and the recent past on the same indexes
        spain = calendar_events(session, node, network, Filters(region="ES"), since=NOW)
        ids = [e.object_id for e in spain]
        assert len(ids) == len(set(ids))
        started = {str(e.document.get("name")) for e in spain}
        assert set(expected(Filters(region="es"))) <= started
        assert "Event 8" in started  # started yesterday, over: a place in Spain's recent past


def facet_reads(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """The index each read of ``network_item`` in the statement goes through ("scan": none)."""
    if engine.dialect.name == "sqlite":
        found = []
        for detail in sqlite_plan(engine, statement, parameters):
            if re.match(r"SCAN network_item\b", detail):
                found.append("scan")
            match = re.match(r"SEARCH network_item USING (?:COVERING )?INDEX (\w+)", detail)
            if match:
                found.append(match[1])
        return found
    return [
        scan.get("Index Name", "scan")
        if scan["Node Type"] in ("Index Scan", "Index Only Scan")
        else "scan"
        for scan in pg_scans(engine, statement, parameters)
    ]


def test_a_region_or_category_page_reads_the_facet_indexes_and_the_long_events_their_own(
    settings: Settings, engine: Engine
) -> None:
    node, network = node_of(settings, engine), hub(engine)
    with Session(engine) as session, recorded(engine) as seen:
        upcoming_page(session, node, network, Filters(region="Nowhere"), since=NOW, limit=20)
        upcoming_page(session, node, network, Filters(category="MARKET"), since=NOW, limit=20)
    assert len(seen) == 2
    for statement, parameters in seen:
        reads = facet_reads(engine, statement, parameters)
        assert "scan" not in reads, reads
        ranges = [r for r in reads if r != "network_item_pkey"]
        # what starts from now, and what started the day before: a facet index each (two
        # for a region: its region's and its country's); the long events still running: theirs
        assert set(ranges) - {"ix_network_item_network_span_start"} <= FACET_INDEXES, reads
        assert "ix_network_item_network_span_start" in ranges, reads


@pytest.fixture
def private_engine(
    request: pytest.FixtureRequest, database_url: str, settings: Settings
) -> Iterator[Engine]:
    """A migrated engine whose statistics die with the test: the session's PostgreSQL schema
    is shared by the next tests (emptied between them, its statistics kept), so on PostgreSQL
    this is a schema of its own."""
    if not database_url.startswith("postgresql"):
        own = make_engine(settings)
    else:
        admin = request.getfixturevalue("pg_admin")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        request.addfinalizer(lambda: drop_pg_schema(admin, schema))
        own = make_engine(replace(settings, database_url=pg_schema_url(admin, schema)))
    migrations.upgrade(own)
    yield own
    own.dispose()


def test_the_long_events_keep_their_index_once_the_database_has_statistics(
    settings: Settings, private_engine: Engine
) -> None:
    """SQLite's ``ANALYZE`` knows how many values ``span_class`` and ``kind`` have, not how skewed
    they are. A network of a million items analysed before migration 0025 had none for the
    new indexes (written here as that ``ANALYZE`` wrote them), and its planner then read the
    running long events through (network_id, kind, …), every event of the network: 0.7 s.
    PostgreSQL's own statistics, gathered here, must lead it to the same index."""
    engine = private_engine
    node, network = node_of(settings, engine), hub(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'network_item'")
            for index, stat in MILLION_STATS.items():
                conn.execute(
                    text(
                        "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('network_item', :i, :s)"
                    ),
                    {"i": index, "s": stat},
                )
        else:
            conn.exec_driver_sql("ANALYZE network_item")
    engine.dispose()  # SQLite reads its statistics when a connection opens
    with Session(engine) as session, recorded(engine) as seen:
        upcoming_page(session, node, network, Filters(), since=NOW, limit=20)
        upcoming_page(session, node, network, Filters(category="MEETING"), since=NOW, limit=20)
    for statement, parameters in seen:
        reads = facet_reads(engine, statement, parameters)
        assert "ix_network_item_network_span_start" in reads, reads
        assert "ix_network_item_network_kind_published" not in reads, reads


# sqlite_stat1 of network_item after the benchmark's million-item network was seeded and
# analysed (bench/seed_network.py), before migration 0025 added the facet indexes (0022's class
# index's row as ANALYZE wrote it after that migration)
MILLION_STATS = {
    "ix_network_item_network_kind_published": "1000000 1000000 333334 1 1",
    "ix_network_item_network_published": "1000000 1000000 1 1",
    "ix_network_item_network_span_start": "1000000 1000000 500000 21 5",
    "ix_network_item_object_id": "1000000 1",
    "ix_network_item_network_start": "1000000 1000000 30",
    "ix_network_item_network_received": "1000000 1000000 1",
    "ix_network_item_kind": "1000000 333334",
    "ix_network_item_author": "1000000 500",
    "sqlite_autoindex_network_item_1": "1000000 1000000 1",
}
