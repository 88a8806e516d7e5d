"""Every query the timeline and the outbox run for a deep page, explained by the database
itself: each reads an index range (SQLite ``SEARCH … USING INDEX``, never ``SCAN`` nor a temp
B-tree to sort; PostgreSQL an Index Scan or Index Only Scan, under a Limit where the query has
one, never a Seq Scan nor a Sort), so a page costs the same at any depth and any size.

The statements are the ones the pages really ran (captured from the engine while the test
client fetched them), explained with their own parameters. On PostgreSQL sequential scans are
switched off for the EXPLAIN: with a test's few thousand rows a scan may be cheaper, and the
question is whether an index serves the query, not which plan today's statistics pick."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session
from starlette.testclient import TestClient

from bench.seed_network import seed
from node.federation.context import NodeContext
from node.models.content import Item
from node.settings import Settings

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AS_JSON = {"Accept": "application/activity+json"}
TABLES = ("network_item", "outbox_activity", "item", "remote_actor", "local_actor")
# a deep page's rows: the index range is bounded by the owner AND the cursor, on both ends
PAGED = ("FROM network_item", "FROM outbox_activity", "FROM item ")


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs run on ``engine`` meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _sqlite_plan(engine: Engine, statement: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        rows = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
    return [str(row[-1]) for row in rows]


def _pg_plan(engine: Engine, statement: str, params: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
            found = cur.fetchone()
        finally:
            cur.close()
        assert found is not None
        plan = found[0]
        conn.rollback()
    doc = plan if isinstance(plan, list) else json.loads(plan)
    return dict(doc[0]["Plan"])


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def assert_indexed(engine: Engine, statement: str, params: Any) -> None:
    """The statement reads index ranges only (and, with a LIMIT, needs no sort)."""
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert plan, statement
        for line in plan:
            assert not line.startswith("SCAN"), (line, statement)
            assert "TEMP B-TREE" not in line, (line, statement)
            # a SCALAR SUBQUERY is run once (a correlated one, once a row, is not allowed)
            allowed = ("SEARCH", "USING", "MULTI-INDEX", "LIST SUBQUERY", "SCALAR SUBQUERY")
            assert line.startswith(allowed), line
        if any(t in statement for t in PAGED):
            assert any("published<" in line or "published>" in line for line in plan), plan
        return
    root = _pg_plan(engine, statement, params)
    kinds = [n["Node Type"] for n in _nodes(root)]
    assert "Seq Scan" not in kinds and "Sort" not in kinds, (kinds, statement)
    assert any(k in ("Index Scan", "Index Only Scan", "Bitmap Index Scan") for k in kinds), kinds
    if " LIMIT " in statement.upper():
        assert root["Node Type"] == "Limit", (kinds, statement)
    if any(t in statement for t in PAGED):
        bounds = " ".join(str(n.get("Index Cond", "")) for n in _nodes(root))
        assert "published" in bounds and "_id = " in bounds, bounds


@pytest.fixture
def seeded(engine: Engine, node: NodeContext) -> None:
    # enough members that a planner with statistics (the seed analyzes) looks authors up by
    # index rather than reading a tiny table whole
    network = seed(engine, node.urls, "ussen", 600, 1_500, seed=9, now=NOW)
    # and the network's own items, of every kind: with none, a planner costs every index of
    # ``item`` that starts with the actor alike and may take one that needs a sort
    kinds = ("news", "event", "call", "note")
    assert network.id is not None
    with Session(engine) as session:
        for n in range(300):
            session.add(
                Item(
                    ap_id=f"{node.urls.base}/items/own-{n}",
                    actor_id=network.id,
                    kind=kinds[n % len(kinds)],
                    published=NOW - timedelta(hours=5 * n),
                )
            )
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE item"))


def _explain_all(engine: Engine, seen: list[tuple[str, Any]]) -> int:
    explained = 0
    for statement, params in seen:
        if any(f"FROM {t}" in statement for t in TABLES):
            assert_indexed(engine, statement, params)
            explained += 1
    return explained


def test_every_query_of_a_deep_timeline_page_reads_an_index_range(
    client: TestClient, engine: Engine, seeded: None
) -> None:
    deep = client.get("/networks/ussen?page=70", follow_redirects=False).headers["location"]
    with captured(engine) as seen:
        assert client.get(deep).status_code == 200
    sql = " ".join(s for s, _ in seen)
    assert "FROM network_item" in sql and "FROM item" in sql and "FROM remote_actor" in sql
    assert _explain_all(engine, seen) >= 4


def test_every_query_of_a_deep_outbox_page_reads_an_index_range(
    client: TestClient, engine: Engine, seeded: None
) -> None:
    deep = client.get("/actors/ussen/outbox?page=70", headers=AS_JSON, follow_redirects=False)
    with captured(engine) as seen:
        page = client.get(deep.headers["location"], headers=AS_JSON)
        assert page.status_code == 200 and len(page.json()["orderedItems"]) == 20
        root = client.get("/actors/ussen/outbox", headers=AS_JSON)
        assert root.json()["totalItems"] == 1_500
    assert "FROM outbox_activity" in " ".join(s for s, _ in seen)
    assert _explain_all(engine, seen) >= 3


def test_a_directory_page_is_one_index_range(
    client: TestClient, engine: Engine, node: NodeContext
) -> None:
    seed(engine, node.urls, "ussen", 120, 0, now=NOW)
    first = client.get("/networks/ussen/members").text
    after = first.split("after=")[1].split('"')[0]
    with captured(engine) as seen:
        assert client.get(f"/networks/ussen/members?after={after}").status_code == 200
    members = [(s, p) for s, p in seen if "FROM membership" in s]
    assert len(members) == 1  # the page's one query: memberships with their profiles
    statement, params = members[0]
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert not any(line.startswith("SCAN") or "TEMP B-TREE" in line for line in plan), plan
        assert any("id>?" in line for line in plan), plan
    else:
        root = _pg_plan(engine, statement, params)
        kinds = [n["Node Type"] for n in _nodes(root)]
        assert "Seq Scan" not in kinds and "Sort" not in kinds and root["Node Type"] == "Limit"
        bounds = " ".join(str(n.get("Index Cond", "")) for n in _nodes(root))
        # the cursor bounds the range (on one network's node the planner may take the primary
        # key and filter the network: the same rows, in the same order)
        assert "id >" in bounds, bounds


def test_an_old_page_link_deeper_than_any_we_made_reads_no_rows(
    client: TestClient, engine: Engine, node: NodeContext
) -> None:
    """Finding an old ``?page=N`` link's cursor skips the keys of every row before it, so
    past MAX_LEGACY_PAGE (500) the answer is the first page, read from nothing: a crawler
    asking ``?page=99999`` of a collection of a million costs no skip of a million keys."""
    seed(engine, node.urls, "ussen", 30, 60, seed=3, now=NOW)
    asked = {
        "/actors/ussen/outbox?page=501": ("outbox_activity", "/actors/ussen/outbox?page=1"),
        "/actors/ussen/followers?page=99999": ("follower", "/actors/ussen/followers?page=1"),
        "/actors/ussen/members?page=99999": ("membership", "/actors/ussen/members?page=1"),
        "/@ussen/news?page=501": ("item", "/@ussen/news"),
        "/tags/coop?page=99999": ("item", "/tags/coop"),
    }
    for url, (table, first) in asked.items():
        with captured(engine) as seen:
            moved = client.get(url, headers=AS_JSON, follow_redirects=False)
        assert moved.status_code in (301, 302) and moved.headers["location"].endswith(first), url
        assert not [s for s, _ in seen if f"FROM {table}" in s], url
    # and the deepest old link still answered: its cursor, found in one statement
    with captured(engine) as seen:
        moved = client.get("/actors/ussen/outbox?page=3", headers=AS_JSON, follow_redirects=False)
    assert "?before=" in moved.headers["location"]
    assert len([s for s, _ in seen if "FROM outbox_activity" in s]) == 1
