"""Every read of our own events behind ``upcomingEvents``, the calendars and an organization's
events list is an index range, as each database plans it (see test_calendar_plans.py for the
networks' events): what still runs of the events begun before now is one range per class of
duration on ``(actor_id, kind, span_class, start_time, id)`` (an organization's) or ``(kind,
span_class, start_time, id)`` (the node's), closed on both sides, on the first page, a page whose
cursor is among them, and a page back; never a range open below that walks the past. (On
PostgreSQL an organization's class it expects a row or two of may be read on the node's index:
closed on both sides all the same.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks.upcoming import Cursor, own_events
from node.models import Item, LocalActor
from node.models.spans import SPANS
from tests.db.collections_support import actor
from tests.db.test_reads_explained import _sqlite_plan, captured

CLASS_INDEXES = ("ix_item_actor_kind_span_start", "ix_item_kind_span_start")


def _events(engine: Engine, slug: str, now: datetime) -> LocalActor:
    """600 past events, 60 running of every length, 200 to come."""
    owner = actor(engine, slug)
    rows = []
    for n in range(860):
        if n < 600:
            start, end = (
                now - timedelta(days=1, hours=3 * n),
                now - timedelta(days=1, hours=3 * n - 2),
            )
        elif n < 660:
            start = now - timedelta(hours=(n - 600) ** 3 + 1)
            end = now + timedelta(hours=n - 590)
        else:
            start = now + timedelta(hours=n - 659)
            end = start + timedelta(hours=2)
        doc = {"type": "Event", "name": f"{slug} {n}", "startTime": start.isoformat()}
        rows.append(Item(ap_id=f"https://x.example/{slug}/{n}", actor_id=owner.id or 0,
                         kind="event", document=doc, source={}, start_time=start,
                         end_time=end, published=now, updated=now))  # fmt: skip
    with session_scope(engine) as session:
        session.add_all(rows)
    return owner


def _others(engine: Engine, now: datetime) -> None:
    """Four other organizations as busy (the organization's events are a fifth of the node's,
    so its own index is the one to read)."""
    for n in range(4):
        _events(engine, f"other{n}", now)


def ranges(engine: Engine, statement: str, params: Any) -> list[set[str]]:
    """How the statement reads ``item``, one set per read: "span" (a range of one class, on a
    class index), "lower" and "upper" (the start's bounds in the index), "actor", "stops"
    (PostgreSQL: a Limit right above the range), "key" (by primary key), "scan"."""
    found: list[set[str]] = []
    if engine.dialect.name == "sqlite":
        for detail in _sqlite_plan(engine, statement, params):
            if re.match(r"SCAN item\b", detail):
                found.append({"scan"})
            if re.match(r"SEARCH item USING INTEGER PRIMARY KEY", detail):
                found.append({"key"})
            match = re.match(r"SEARCH item USING (?:COVERING )?INDEX (\w+) \((.*)\)", detail)
            if match:
                index, terms = match[1], match[2]
                one = {"span"} if index in CLASS_INDEXES and "span_class=?" in terms else set()
                one |= {"actor"} if "actor_id=?" in terms else set()
                one |= {"lower"} if "start_time>" in terms else set()
                one |= {"upper"} if "start_time<" in terms else set()
                found.append(one)
        return found
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        [[plan]] = cur.fetchall()
        cur.close()
        conn.rollback()

    def walk(node: dict[str, Any], stops: bool) -> None:
        if node.get("Relation Name") == "item":
            if node["Node Type"] not in ("Index Scan", "Index Only Scan"):
                found.append({"scan"})
            else:
                cond = node.get("Index Cond", "")
                one = {"stops"} if stops else set()
                one |= {"key"} if node.get("Index Name") == "item_pkey" else set()
                spanned = node.get("Index Name") in CLASS_INDEXES and "span_class =" in cond
                one |= {"span"} if spanned else set()
                one |= {"actor"} if "actor_id =" in cond else set()
                one |= {"lower"} if re.search(r"start_time >=? ", cond) else set()
                one |= {"upper"} if re.search(r"start_time <=? ", cond) else set()
                found.append(one)
        for child in node.get("Plans", []):
            walk(child, node["Node Type"] == "Limit")

    walk(plan[0]["Plan"], False)
    return found


def _check_classes(engine: Engine, reads: list[tuple[str, Any]], scoped: bool) -> int:
    """Each statement's class ranges are closed on both sides (and the organization's); no
    read scans. The number of statements with class ranges."""
    per_class = len(SPANS) if engine.dialect.name == "sqlite" else 1
    with_classes = 0
    for statement, params in reads:
        found = ranges(engine, statement, params)
        assert not any("scan" in f for f in found), (statement, found)
        spans = [f for f in found if "span" in f]
        if not spans:
            continue
        with_classes += 1
        assert len(spans) in (per_class, len(SPANS)), (statement, found)
        for one in spans:
            assert {"lower", "upper"} <= one, (statement, one)
            # PostgreSQL may read a class it expects a row or two of on the node's index (as
            # cheap to it): closed on both sides all the same
            if scoped and engine.dialect.name == "sqlite":
                assert "actor" in one, (statement, one)
    return with_classes


def test_own_events_read_each_class_on_its_index_closed_on_both_sides(engine: Engine) -> None:
    now = datetime.now(UTC)
    _others(engine, now)
    nec = _events(engine, "nec", now)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    with Session(engine) as session:
        for who in (nec, None):
            with captured(engine) as seen:
                first = own_events(session, who, now, None, None, 21)
                deep = Cursor(now - timedelta(hours=30), "")  # among the running ones
                own_events(session, who, now, None, deep, 21)
                assert first
            reads = [(s, p) for s, p in seen if "span_class = " in s]
            assert len(reads) == 2
            assert _check_classes(engine, reads, who is not None) == 2
            for statement, params in reads:  # the range of what is to come: from now
                assert all(
                    "key" in f or "span" in f or "lower" in f
                    for f in ranges(engine, statement, params)
                ), statement


def test_the_events_list_reads_each_class_on_its_index_closed_on_both_sides(
    engine: Engine, client: TestClient
) -> None:
    now = datetime.now(UTC)
    _others(engine, now)
    _events(engine, "nec", now)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    with captured(engine) as first:
        page = client.get("/@nec/events")
    following = re.search(r'href="[^"]*(after=r[^"&]*)"', page.text)
    assert following is not None  # a second page still among the running events
    with captured(engine) as second:
        client.get(f"/@nec/events?{following[1]}")
    before = following[1].replace("after=", "before=")
    with captured(engine) as back:
        client.get(f"/@nec/events?{before}")
    for seen in (first, second, back):
        reads = [(s, p) for s, p in seen if "FROM item" in s and "span_class = " in s]
        # (a page back to the start reads the first page again)
        assert _check_classes(engine, reads, True) >= 1, reads
