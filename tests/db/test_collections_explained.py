"""Every query of the followers and members collections, explained by the database itself: a
page, a page back, the probes for next and prev, the collection with its count, and the
redirect of an old page number each read one range of the ``(owner, state, id)`` index - the
owner and state fixed, the id bounded by the cursor (SQLite ``SEARCH … USING … INDEX
ix_follower_actor_state (actor_id=? AND state=? AND id<?)``; PostgreSQL an Index (Only) Scan of
that index with those conditions, under a Limit, where the open end of a first page is
bounded too, by 0 or the largest id) - never a scan, never a sort, and no
``count(*)``. The statements are the ones the pages really ran, with their own parameters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from bench.seed_network import seed
from node.settings import Settings
from node.urls import Urls
from tests.db.collections_support import actor, analyze, followers, members
from tests.db.test_reads_explained import _nodes, _pg_plan, _sqlite_plan, assert_indexed, captured

AP = {"Accept": "application/activity+json"}
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def assert_one_keyed_range(
    engine: Engine,
    statement: str,
    params: Any,
    index: str,
    *,
    probed: bool = True,
    joined: tuple[str, str] | None = None,
) -> bool:
    """The statement reads ``index`` from its owner and state, from the cursor's id on when it
    has one (PostgreSQL: between two ids always); a collection page by cursor (``probed``)
    reads, in the same statement, one more range of that index the other way (the probe for
    its other link: a subquery run once, not once a row). ``joined`` (table, index): each row
    found is joined to that table's row by a lookup of that index, nothing more. True when a
    cursor starts the range."""
    assert_indexed(engine, statement, params)
    cursor = re.search(r"\.id [<>] (\?|%\()", statement) is not None
    expected = 2 if cursor and probed else 1
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        if joined is not None:
            table, key = joined
            lookups = [line for line in plan if line.startswith(f"SEARCH {table} ")]
            assert len(lookups) == 1 and f"USING INDEX {key} (" in lookups[0], plan
            plan = [line for line in plan if line not in lookups]
        ranges = [line for line in plan if line.startswith("SEARCH")]
        assert len(ranges) == expected and len(plan) <= 3, plan
        assert set(plan) - set(ranges) <= {"SCALAR SUBQUERY 1"}, plan
        for line in ranges:
            assert index in line and "_id=? AND state=?" in line, plan
            if cursor:
                assert "id>?" in line or "id<?" in line, plan
        return cursor
    root = _pg_plan(engine, statement, params)
    scans = [n for n in _nodes(root) if "Index" in n["Node Type"]]
    if joined is not None:
        table, key = joined
        joins = [n for n in scans if n.get("Relation Name") == table]
        assert [n.get("Index Name") for n in joins] == [key], scans
        # looked up row by row beside the range (a nested loop under the Limit), never hashed
        kinds = [n["Node Type"] for n in _nodes(root)]
        assert "Nested Loop" in kinds and "Hash Join" not in kinds, kinds
        scans = [n for n in scans if n not in joins]
    assert [n.get("Index Name") for n in scans] == [index] * expected, scans
    for scan in scans:
        cond = str(scan.get("Index Cond", ""))
        assert "_id = " in cond and re.search(r"\bstate\)?(::text)? = '", cond), cond
        assert "ROW(" in cond and ") > ROW(" in cond and ") < ROW(" in cond, cond
        if cursor:
            # the cursor itself starts the range (the row comparisons alone do not, beside
            # the owner's equality: the scan would start at the owner's far end)
            assert re.search(r"\(id [<>] \d+\)", cond), cond
    # the probe is computed once (an InitPlan), never once per row (a SubPlan)
    relations = {n.get("Parent Relationship") for n in _nodes(root)}
    assert "SubPlan" not in relations, root
    return cursor


def pages_of(client: TestClient, collection: str) -> None:
    """The collection, a deep page by next, a page back by prev, an old page number."""
    root = client.get(collection, headers=AP).json()
    url = root["first"]
    for _ in range(30):
        url = client.get(url, headers=AP).json()["next"]
    deep = client.get(url, headers=AP).json()
    assert len(deep["orderedItems"]) == 20
    assert client.get(deep["prev"], headers=AP).json()["next"]
    old = client.get(f"{collection}?page=40", headers=AP, follow_redirects=False)
    assert old.status_code == 301


@pytest.mark.parametrize(
    ("collection", "table", "index"),
    [
        ("/actors/hub/followers", "follower", "ix_follower_actor_state"),
        ("/actors/ussen/members", "membership", "ix_membership_network_state"),
    ],
)
def test_every_query_of_a_big_collection_reads_one_index_range(
    client: TestClient, engine: Engine, collection: str, table: str, index: str
) -> None:
    hub, other = actor(engine, "hub"), actor(engine, "other")
    followers(engine, hub, other, 1_500)
    members(engine, actor(engine, "ussen", "network"), 1_500)
    analyze(engine)
    with captured(engine) as seen:
        pages_of(client, collection)
    queries = [(s, p) for s, p in seen if f"FROM {table}" in s]
    assert not any("count(" in s.lower() for s, _ in seen), "a count per request"
    # 32 pages, each one statement (its probe inside), and the redirect's walk of the index keys
    assert len(queries) >= 32
    cursors = sum(assert_one_keyed_range(engine, s, p, index) for s, p in queries)
    assert cursors >= 30, "the pages by cursor start their ranges at the cursor"
    for statement, params in seen:
        if "FROM local_actor" in statement:
            assert_indexed(engine, statement, params)


def test_the_network_profiles_members_and_latest_news_read_bounded_ranges(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    """``/@ussen``: its first members, the networks it belongs to, its latest calls and news
    (one range of ``(network_id, kind, published, id)`` per kind) and its follower count (the
    kept one: no count)."""
    seed(engine, Urls(settings.base_url), "ussen", 600, 1_500, seed=9, now=NOW)
    with captured(engine) as seen:
        assert client.get("/@ussen").status_code == 200
    # (the sections of the network's own items count those: page_data.py, not a collection)
    relations = ("FROM follower", "FROM membership", "FROM outgoing_membership")
    counted = [s for s, _ in seen if "count(" in s.lower() and any(t in s for t in relations)]
    assert counted == [], "a count of followers or members per request"
    ranges = {
        "FROM membership": "ix_membership_network_state",
        "FROM outgoing_membership": "ix_outgoing_membership_actor_state",
    }
    # the members are read with their cached profiles: each one's remote_actor row by its id
    profiles = ("remote_actor", "ix_remote_actor_ap_id")
    checked = 0
    for statement, params in seen:
        for table, index in ranges.items():
            if table in statement and "ORDER BY" in statement:
                joined = profiles if "JOIN remote_actor" in statement else None
                assert_one_keyed_range(engine, statement, params, index, joined=joined)
                checked += 1
        if "network_item.kind = " in statement and "BY network_item.published DESC" in statement:
            _assert_newest_of_one_kind(engine, statement, params)
            checked += 1
    assert checked >= 4, [s for s, _ in seen]
    members = [s for s, _ in seen if "FROM membership" in s]
    assert len(members) == 1 and "JOIN remote_actor" in members[0], members


def _assert_newest_of_one_kind(engine: Engine, statement: str, params: Any) -> None:
    """The newest few of one kind: the range of one network and kind, read from its newest end
    (no cursor: the LIMIT ends it), no scan, no sort."""
    index = "ix_network_item_network_kind_published"
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert len(plan) == 1 and "TEMP B-TREE" not in plan[0], plan
        assert plan[0].startswith("SEARCH") and index in plan[0], plan
        assert "(network_id=? AND kind=?)" in plan[0], plan
        return
    root = _pg_plan(engine, statement, params)
    kinds = [n["Node Type"] for n in _nodes(root)]
    assert "Seq Scan" not in kinds and "Sort" not in kinds and root["Node Type"] == "Limit", kinds
    scans = [n for n in _nodes(root) if n.get("Index Name") == index]
    assert scans, root
    assert "network_id = " in str(scans[0]["Index Cond"]), scans
