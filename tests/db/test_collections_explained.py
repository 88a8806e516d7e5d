"""Every query of the followers and members collections, explained by the database itself: a
page, a page back, the probes for next and prev, the collection with its count, and the
redirect of an old page number each read one range of the ``(owner, state, id)`` index - the
owner and state fixed, the id bounded by the cursor (SQLite ``SEARCH … USING … INDEX
ix_follower_actor_state (actor_id=? AND state=? AND id>? AND id<?)``; PostgreSQL an Index (Only) Scan of
that index with those conditions, under a Limit; the far end of a first page is bounded too,
by 0 or the largest id) - never a scan, never a sort, and no
``count(*)``. The statements are the ones the pages really ran, with their own parameters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.collections_support import actor, analyze, followers, members
from tests.db.test_reads_explained import _nodes, _pg_plan, _sqlite_plan, assert_indexed, captured

AP = {"Accept": "application/activity+json"}


def assert_one_keyed_range(engine: Engine, statement: str, params: Any, index: str) -> None:
    """The statement reads ``index`` from its owner and state, between two ids."""
    assert_indexed(engine, statement, params)
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert len(plan) == 1 and index in plan[0], plan
        assert "_id=? AND state=? AND id>? AND id<?" in plan[0], plan
        return
    root = _pg_plan(engine, statement, params)
    scans = [n for n in _nodes(root) if "Index" in n["Node Type"]]
    assert [n.get("Index Name") for n in scans] == [index], scans
    cond = str(scans[0].get("Index Cond", ""))
    assert "_id = " in cond and re.search(r"\bstate\)?(::text)? = '", cond), cond
    assert "(id > " in cond and "(id < " in cond, cond


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
    # 32 pages with a probe each, and the redirect's walk of the index keys
    assert len(queries) >= 60
    for statement, params in queries:
        assert_one_keyed_range(engine, statement, params, index)
    for statement, params in seen:
        if "FROM local_actor" in statement:
            assert_indexed(engine, statement, params)
