"""A hub's 2,500 followers and a network's 2,500 members, read to the bottom and back: the
collections walked by ``next`` visit every accepted follower (admitted member) exactly once, in
order, and by ``prev`` from the last page exactly once again, on SQLite and PostgreSQL; every
page says the kept ``totalItems``; old ``?page=N`` links land on the same place. (The issue: a
``count(*)`` and an OFFSET per page, so a deep page of a big hub cost as much as the whole list.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.collections_support import actor, followers, members

AP = {"Accept": "application/activity+json"}
N = 2_500


def walk(client: TestClient, url: str, link: str) -> list[list[str]]:
    """The pages from ``url`` on by ``link`` (next or prev), each page's items."""
    pages: list[list[str]] = []
    seen_urls: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        assert next_url not in seen_urls, next_url
        seen_urls.add(next_url)
        doc: dict[str, Any] = client.get(next_url, headers=AP).json()
        assert doc["type"] == "OrderedCollectionPage" and doc["id"] == next_url
        pages.append(doc["orderedItems"])
        next_url = doc.get(link)
    return pages


def walk_both_ways(client: TestClient, collection: str, want: list[str]) -> None:
    root = client.get(collection, headers=AP).json()
    assert root["type"] == "OrderedCollection" and root["totalItems"] == len(want)
    first = client.get(root["first"], headers=AP).json()
    assert "prev" not in first and first["totalItems"] == len(want)
    onward = walk(client, root["first"], "next")
    assert [i for page in onward for i in page] == want
    assert all(len(page) == 20 for page in onward[:-1])
    # and back up by prev from the last page: every item once more, none twice
    last_url = _last_page_url(client, root["first"])
    backward = walk(client, last_url, "prev")
    assert [i for page in reversed(backward) for i in page] == want
    # an old page number lands on the same 20 items
    old = client.get(f"{collection}?page=51", headers=AP, follow_redirects=False)
    assert old.status_code == 301
    deep = client.get(old.headers["location"], headers=AP).json()
    assert deep["orderedItems"] == want[1000:1020]
    assert deep["next"] and deep["prev"]
    # past the end, and nonsense: the first page, never an error
    past = client.get(f"{collection}?page=99999", headers=AP, follow_redirects=False)
    assert past.headers["location"].endswith("?page=1")
    for nonsense in ("?before=yesterday", "?after=-3", "?page=x", f"?before={10**30}"):
        answer = client.get(collection + nonsense, headers=AP)
        assert answer.status_code == 200 and answer.json()["orderedItems"] == want[:20]
    # a cursor beyond every id (and PostgreSQL's integers): the collection's far end
    for far in ("before=99999999999", "after=99999999999", "after=2147483647", "before=0"):
        assert client.get(f"{collection}?{far}", headers=AP).status_code == 200, far


def _last_page_url(client: TestClient, first: str) -> str:
    url = first
    while True:
        nxt = client.get(url, headers=AP).json().get("next")
        if nxt is None:
            return url
        url = nxt


def test_a_hubs_followers_walk_to_the_bottom_and_back(client: TestClient, engine: Engine) -> None:
    hub, other = actor(engine, "hub"), actor(engine, "other")
    want = followers(engine, hub, other, N)
    assert len(want) == N - N // 50
    walk_both_ways(client, "/actors/hub/followers", want)
    # the other actor's followers, between the hub's, are its own collection
    assert client.get("/actors/other/followers", headers=AP).json()["totalItems"] == N


def test_a_networks_members_walk_to_the_bottom_and_back(client: TestClient, engine: Engine) -> None:
    network = actor(engine, "ussen", "network")
    want = members(engine, network, N)
    walk_both_ways(client, "/actors/ussen/members", want)


def test_an_empty_page_beyond_the_end_points_back(client: TestClient, engine: Engine) -> None:
    hub, other = actor(engine, "hub"), actor(engine, "other")
    want = followers(engine, hub, other, 30)
    oldest = client.get("/actors/hub/followers?page=1", headers=AP).json()["next"]
    last = client.get(oldest, headers=AP).json()
    assert last["orderedItems"] == want[20:] and "next" not in last
    # a cursor past the oldest follower: nothing there, and prev leads back to the oldest
    beyond = client.get("/actors/hub/followers?before=1", headers=AP).json()
    assert beyond["orderedItems"] == [] and "next" not in beyond
    back = client.get(beyond["prev"], headers=AP).json()
    assert back["orderedItems"] == want[-20:]
    # and past the newest the other way: nothing there, and next leads to the newest
    ahead = client.get("/actors/hub/followers?after=999999", headers=AP).json()
    assert ahead["orderedItems"] == [] and "prev" not in ahead
    assert client.get(ahead["next"], headers=AP).json()["orderedItems"] == want[:20]
