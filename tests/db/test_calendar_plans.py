"""Every read of ``network_item`` behind the calendar pages, ``upcomingEvents`` and the
calendars is an index range, as each database plans it: on SQLite a SEARCH with the network
and a bounded time range (never a SCAN of the table); on PostgreSQL (sequential and bitmap
scans switched off, so the plan says what the index can do, not what a ten-row table costs)
an Index Scan whose Index Cond holds the network and the range's bounds. The list's and the
collection's ranges of what is to come are open above and stop at their LIMIT; the month's,
each class of duration's (what is still running of the events begun before now) and the recent
past are closed on both sides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from node.features.feeds.entries import calendar_events
from node.features.networks.facts import SPANS
from node.features.networks.queries import Filters
from node.features.networks.upcoming import Cursor, upcoming_page
from node.federation.context import NodeContext
from node.settings import Settings
from tests.db.network_support import local, remote
from tests.db.test_calendar_bounds import ORG, file_events, timed


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@contextmanager
def recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements reading ``network_item`` run meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if re.search(r"FROM network_item\b", statement):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sqlite_plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [str(row[-1]) for row in rows]


def pg_scans(engine: Engine, statement: str, parameters: Any) -> list[dict[str, Any]]:
    """The plan's reads of ``network_item``, each with ``limited``: whether a Limit is above it
    with only a Sort or a Subquery Scan between (the range stops at that LIMIT), and ``stops``:
    whether nothing between reads the whole range first (a Limit right above it, or above an
    Incremental Sort; a plain Sort sorts every row of the range before the Limit takes any)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        [[plan]] = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).all()
        conn.rollback()
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], limited: bool, stops: bool) -> None:
        if node.get("Relation Name") == "network_item":
            found.append({**node, "limited": limited, "stops": stops})
        kind = node["Node Type"]
        below = kind == "Limit" or (limited and kind in ("Sort", "Incremental Sort"))
        stopping = kind == "Limit" or (stops and kind == "Incremental Sort")
        for child in node.get("Plans", []):
            walk(child, below, stopping)

    walk(plan[0]["Plan"], False, False)
    return found


def ranges(engine: Engine, statement: str, parameters: Any) -> list[set[str]]:
    """How the database reads ``network_item`` in this statement, one set per read: "network"
    (equality on the network), "lower" and "upper" (the time range's bounds in the index),
    "limited" (PostgreSQL: a LIMIT stops the range; "stops": before reading all of it), "key"
    (the rows of a page's keys, read by primary key once the ranges chose them), "span" (a
    range of one class of duration, by ``(network_id, span_class, start_time, ends_at)``), or
    "scan"."""
    found: list[set[str]] = []
    if engine.dialect.name == "sqlite":
        for detail in sqlite_plan(engine, statement, parameters):
            if re.match(r"SCAN network_item\b", detail):
                found.append({"scan"})
            if re.match(r"SEARCH network_item USING INTEGER PRIMARY KEY", detail):
                found.append({"key"})
            match = re.match(r"SEARCH network_item USING INDEX (\w+) \((.*)\)", detail)
            if match:
                index, terms = match[1], match[2]
                spanned = index == "ix_network_item_network_span_start" and "span_class=?" in terms
                one = {"span"} if spanned else set()
                one |= {"network"} if "network_id=?" in terms else set()
                one |= {"lower"} if re.search(r"start_time>", terms) else set()
                one |= {"upper"} if re.search(r"start_time<", terms) else set()
                found.append(one)
        return found
    for scan in pg_scans(engine, statement, parameters):
        if scan["Node Type"] not in ("Index Scan", "Index Only Scan"):
            found.append({"scan"})
            continue
        cond = scan.get("Index Cond", "")
        one = {"limited"} if scan["limited"] else set()
        one |= {"stops"} if scan["stops"] else set()
        if scan.get("Index Name") == "network_item_pkey":
            one.add("key")
        if scan.get("Index Name") == "ix_network_item_network_span_start":
            one |= {"span"} if "span_class =" in cond else set()
        one |= {"network"} if "network_id =" in cond else set()
        one |= {"lower"} if re.search(r"start_time >=? ", cond) else set()
        one |= {"upper"} if re.search(r"start_time <=? ", cond) else set()
        found.append(one)
    return found


def bounds(engine: Engine, statement: str, parameters: Any) -> set[str]:
    """Every way the statement reads ``network_item`` (see :func:`ranges`), together."""
    return set().union(*ranges(engine, statement, parameters))


def scene(engine: Engine) -> Any:
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    now = datetime.now(UTC)
    docs = [timed(n, now + timedelta(hours=n - 30), None) for n in range(60)]
    docs.append(timed(99, now - timedelta(days=3), now + timedelta(days=3), "Week-long fair"))
    docs.append(timed(98, now - timedelta(days=400), now + timedelta(days=900), "Exhibition"))
    file_events(engine, network, docs)
    return network


def test_every_calendar_read_of_network_item_is_an_index_range(
    engine: Engine, node: NodeContext
) -> None:
    network = scene(engine)
    now = datetime.now(UTC)
    june, july = datetime(2099, 6, 1, tzinfo=UTC), datetime(2099, 7, 1, tzinfo=UTC)
    with Session(engine) as session:
        with recorded(engine) as listing:
            page = upcoming_page(session, node, network, since=now, limit=20)
            assert page.next is not None
            upcoming_page(session, node, network, since=now, after=page.next, limit=20)
            deep = Cursor(now - timedelta(hours=5), "")  # a page still among the running ones
            upcoming_page(session, node, network, since=now, after=deep, limit=20)
        with recorded(engine) as month:
            upcoming_page(session, node, network, since=june, until=july, limit=300)
        with recorded(engine) as calendar:
            calendar_events(session, node, network, Filters(), since=now)
            calendar_events(session, node, None, Filters(region="Massachusetts"), since=now)

    assert listing and month and calendar
    # a page of the list or the month is one statement: its three ranges and its rows
    assert len(listing) == 3 and len(month) == 1, [st for st, _ in [*listing, *month]]
    keyed = 0
    for statement, parameters in [*listing, *month, *calendar]:
        for found in ranges(engine, statement, parameters):
            keyed += "key" in found
            assert "scan" not in found, (statement, found)
            assert found == {"key"} or {"network", "lower"} <= found, (statement, found)
    assert keyed  # the pages' documents are read by key, after the ranges
    for statement, parameters in month:
        for found in ranges(engine, statement, parameters):
            assert found & {"upper", "key"}, (statement, found)
    # what is still running of the events begun before now: a range per class of duration on
    # the classes' index, closed on both sides (SQLite: one member of the union each;
    # PostgreSQL: one LATERAL range run once per class), on the first page, the month's and a
    # page whose cursor is among them; none once the cursor is past now
    spans = [
        [found for found in ranges(engine, statement, parameters) if "span" in found]
        for statement, parameters in [*listing, *month]
    ]
    per_class = len(SPANS) if engine.dialect.name == "sqlite" else 1
    assert [len(s) for s in spans] == [per_class, 0, per_class, per_class]
    for found in [f for s in spans for f in s]:
        assert {"network", "lower", "upper"} <= found, found
        # PostgreSQL cannot tell how many rows a class has when planning the LATERAL: each run
        # reads its range in the index's order and stops at the page's size (and its ties)
        assert "stops" in found or engine.dialect.name == "sqlite", found
    # the list's open-ended range stops at its LIMIT
    for statement, parameters in listing:
        for found in ranges(engine, statement, parameters):
            closed = found & {"upper", "key"}
            if engine.dialect.name == "postgresql":
                assert closed or "limited" in found, (statement, found)
            else:
                assert closed or "LIMIT" in statement, statement
