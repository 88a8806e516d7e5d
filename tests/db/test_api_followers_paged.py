"""``GET /api/v1/followers`` a page at a time: a hub with 2,500 followers (every 50th waiting for
approval, another actor's followers in between) is walked to its end by the Link header's
``next`` and back to its start by ``prev``, each follower met exactly once in each direction,
all of them or by state; every query of the walk reads one range of the ``(actor_id, state,
id)`` index, as the database's own EXPLAIN shows; bad parameters are refused clearly."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from node.models import Follower
from tests.db.cli_support import command_environment, run
from tests.db.collections_support import actor, analyze, followers
from tests.db.test_collections_explained import assert_one_keyed_range
from tests.db.test_reads_explained import captured

N = 2_500
LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


@pytest.fixture
def hub(engine: Engine) -> dict[str, str]:
    """The hub's 2,500 followers and its API token's header."""
    hub, other = actor(engine, "hub"), actor(engine, "other")
    followers(engine, hub, other, N)
    analyze(engine)
    with session_scope(engine) as session:
        return {"Authorization": f"Bearer {create_token(session, 'hub')}"}


def _expected(engine: Engine, state: str | None) -> list[tuple[str, str]]:
    """The hub's followers as the API lists them: (actor, state), newest first."""
    with Session(engine) as session:
        hub_id = session.exec(select(Follower.actor_id).order_by(col(Follower.id))).first()
        query = select(Follower.remote_id, Follower.state).where(Follower.actor_id == hub_id)
        if state:
            query = query.where(Follower.state == state)
        return [(r, s) for r, s in session.exec(query.order_by(col(Follower.id).desc()))]


def links(response: Any) -> dict[str, str]:
    """The Link header's pages, by rel (the body names the same ones)."""
    found = {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}
    body = response.json()
    assert found == {rel: body[rel] for rel in ("next", "prev") if body[rel]}
    return found


def walk(client: TestClient, auth: dict[str, str], url: str, rel: str) -> list[list[Any]]:
    """The pages from ``url`` on, following ``rel`` until there is none; each page's items
    as (actor, state)."""
    pages: list[list[Any]] = []
    while url:
        response = client.get(url, headers=auth)
        assert response.status_code == 200, response.text
        pages.append([(i["actor"], i["state"]) for i in response.json()["items"]])
        url = links(response).get(rel, "")
        assert len(pages) <= N
    return pages


@pytest.mark.parametrize(("state", "limit"), [(None, 200), ("accepted", None), ("pending", 7)])
def test_a_hub_with_2500_followers_is_walked_both_ways_each_follower_once(
    client: TestClient, engine: Engine, hub: dict[str, str], state: str | None, limit: int | None
) -> None:
    expected = _expected(engine, state)
    assert len(expected) == {None: N, "accepted": N - 50, "pending": 50}[state]
    query = "&".join(([f"state={state}"] if state else []) + ([f"limit={limit}"] if limit else []))
    first = f"/api/v1/followers?{query}"
    forward = walk(client, hub, first, "next")
    size = limit or 40  # the default page
    assert [len(p) for p in forward[:-1]] == [size] * (len(forward) - 1)
    assert 0 < len(forward[-1]) <= size
    assert [item for page in forward for item in page] == expected
    # the first page has nothing newer; the last page's "prev" walks back to the start
    opening = client.get(first, headers=hub)
    assert "prev" not in links(opening)
    last = client.get(first, headers=hub)
    while "next" in links(last):
        last = client.get(links(last)["next"], headers=hub)
    assert "next" not in links(last)
    backward = walk(client, hub, links(last).get("prev", ""), "prev")
    assert [item for page in backward[::-1] for item in page] == expected[: -len(forward[-1])]
    # every link keeps the state and the page size it was asked with
    for url in (links(opening).get("next"), links(last).get("prev")):
        if url is not None:
            params = parse_qs(urlsplit(url).query)
            assert params.get("state") == ([state] if state else None)
            assert params["limit"] == [str(size)]


def test_the_walk_reads_one_index_range_per_state_and_counts_nothing(
    client: TestClient, engine: Engine, hub: dict[str, str]
) -> None:
    with captured(engine) as seen:
        forward = walk(client, hub, "/api/v1/followers?limit=100&state=accepted", "next")
        deep = client.get(f"/api/v1/followers?max_id={N}&limit=50", headers=hub)
        back = walk(client, hub, links(deep)["prev"], "prev")
    # (the hub's ids interleave with the other actor's: max_id 2,500 is half-way down)
    assert len(forward) == 25 and len(back) > 10
    queries = [(s, p) for s, p in seen if "FROM follower" in s]
    assert not any("count(" in s.lower() for s, _ in seen), "a count per request"
    # a page of both states reads the two states' ranges, each with a cursor past page 1
    assert len(queries) >= 25 + 4 * len(back)
    index = "ix_follower_actor_state"
    cursors = sum(assert_one_keyed_range(engine, s, p, index, probed=False) for s, p in queries)
    assert cursors >= 24 + 4 * len(back)


def test_cursors_past_either_end_give_empty_pages_that_point_back(
    client: TestClient, engine: Engine, hub: dict[str, str]
) -> None:
    beyond = client.get("/api/v1/followers?min_id=999999999999", headers=hub)
    assert beyond.json()["items"] == [] and list(links(beyond)) == ["next"]
    newest = client.get(links(beyond)["next"], headers=hub).json()["items"]
    assert newest == client.get("/api/v1/followers", headers=hub).json()["items"]
    below = client.get("/api/v1/followers?max_id=0", headers=hub)
    assert below.json()["items"] == [] and list(links(below)) == ["prev"]
    oldest = client.get(links(below)["prev"], headers=hub).json()["items"]
    assert [i["actor"] for i in oldest][-1] == "https://s0.example/users/u0"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("max_id=-5", "max_id"),
        ("max_id=abc", "max_id"),
        ("min_id=1e3", "min_id"),
        ("min_id=" + "9" * 19, "min_id"),
    ],
)
def test_bad_page_parameters_are_refused_with_400_naming_the_parameter(
    client: TestClient, hub: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/followers?{query}", headers=hub)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert "whole number" in response.json()["error"]


def test_an_unknown_state_is_still_refused_as_before(
    client: TestClient, hub: dict[str, str]
) -> None:
    response = client.get("/api/v1/followers?state=maybe&limit=10", headers=hub)
    assert response.status_code == 422 and response.json()["field"] == "state"


def test_solnode_followers_lists_every_follower_a_page_at_a_time(
    engine: Engine,
    hub: dict[str, str],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    command_environment(monkeypatch, settings)
    status, out = run(capsys, "followers", "hub")
    assert status == 0
    assert [tuple(line.split()[::-1]) for line in out.splitlines()] == _expected(engine, None)
    status, out = run(capsys, "followers", "hub", "--pending")
    assert status == 0 and len(out.splitlines()) == 50
