"""A network of a few thousand items, read to the bottom: the timeline (HTML and by function)
and the outbox walked by their cursors visit every item exactly once, in order, on SQLite and
PostgreSQL; old ``?page=N`` links land on the same place; the outbox's totalItems is the
count send() keeps. (The issue: only the newest 2,000 items were reachable, the outbox
counted a million rows per request.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bench.seed_network import seed
from node.db import as_utc, session_scope
from node.features.networks import timeline
from node.features.networks.rules import SHOWN_STATES
from node.features.publishing.service.items import create_item
from node.federation.context import NodeContext
from node.models import Item, LocalActor, NetworkItem, OutboxActivity
from node.settings import Settings
from tests.db.publishing_support import fixture

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ITEMS = 2_500
AS_JSON = {"Accept": "application/activity+json"}


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def network(engine: Engine, node: NodeContext) -> LocalActor:
    """Ussen with 2,500 filed items (a few hidden by an admin) and three items of its own,
    one published at the very second of a filed item (a tie the order must break)."""
    net = seed(engine, node.urls, "ussen", 40, ITEMS, seed=5, now=NOW)
    with session_scope(engine) as session:
        session.exec(
            update(NetworkItem).where(col(NetworkItem.id) % 97 == 0).values(state="hidden")
        )
        tie = session.exec(select(NetworkItem.published).where(NetworkItem.id == 1234)).one()
        actor = session.get(LocalActor, net.id)
        assert actor is not None
        for when in (as_utc(tie), NOW - timedelta(days=400), NOW - timedelta(minutes=5)):
            create_item(session, node, actor, "news", fixture("news_share_stories.json"), now=when)
    return net


def expected(engine: Engine, network: LocalActor) -> list[str]:
    """Every shown object id, newest first, by (published, filed before own, id)."""
    with Session(engine) as session:
        filed = session.exec(
            select(NetworkItem).where(
                NetworkItem.network_id == network.id, col(NetworkItem.state).in_(SHOWN_STATES)
            )
        ).all()
        own = session.exec(select(Item).where(Item.actor_id == network.id)).all()
    keyed = [((as_utc(r.published), 1, r.id), r.object_id) for r in filed]
    keyed += [((as_utc(i.published), 0, i.id), i.ap_id) for i in own]
    return [ident for _, ident in sorted(keyed, reverse=True)]


def test_the_timeline_walks_to_the_bottom_and_back(
    engine: Engine, node: NodeContext, network: LocalActor
) -> None:
    want = expected(engine, network)
    assert len(want) == ITEMS - ITEMS // 97 + 3
    seen: list[str] = []
    backwards: list[list[str]] = []
    with Session(engine) as session:
        found = timeline.page(session, node, network, 20)
        assert found.newer is None
        while True:
            seen += [e.object_id for e in found.entries]
            if found.older is None:
                break
            found = timeline.page(session, node, network, 20, before=found.older)
        # and up again from the last page, by the "newer" cursors
        while found.newer is not None:
            found = timeline.page(session, node, network, 20, after=found.newer)
            backwards.append([e.object_id for e in found.entries])
    assert seen == want
    last_page_start = (len(want) - 1) // 20 * 20
    assert [i for chunk in reversed(backwards) for i in chunk] == want[:last_page_start]


def _older(html: str) -> str | None:
    older = re.search(r'<a href="([^"]+)" rel="next"', html)
    return older[1].replace("&amp;", "&") if older else None


def test_the_timeline_page_links_and_old_page_numbers(
    client: TestClient, engine: Engine, network: LocalActor, node: NodeContext
) -> None:
    want = expected(engine, network)
    first = client.get("/networks/ussen")
    assert first.status_code == 200
    older = _older(first.text)
    assert older is not None and "before=" in older
    # page 60 of the old numbering: far deeper than the old 2,000-row window reached
    old = client.get("/networks/ussen?page=60", follow_redirects=False)
    assert old.status_code == 301
    with Session(engine) as session:
        cursor = timeline.Cursor.parse(old.headers["location"].split("before=")[1])
        deep = timeline.page(session, node, network, 20, before=cursor)
    assert [e.object_id for e in deep.entries] == want[59 * 20 : 60 * 20]
    page = client.get(old.headers["location"])
    assert page.status_code == 200 and "Older" in page.text and "Newer" in page.text
    # past the end, and nonsense: the first page, never an error
    assert client.get("/networks/ussen?page=99999").status_code == 200
    assert client.get("/networks/ussen?before=yesterday").status_code == 200


def test_the_outbox_walks_every_announce_once_and_counts_without_counting(
    client: TestClient, engine: Engine, network: LocalActor
) -> None:
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxActivity)
            .where(OutboxActivity.actor_id == network.id, col(OutboxActivity.public).is_(True))
            .order_by(col(OutboxActivity.published).desc(), col(OutboxActivity.id).desc())
        ).all()
    want = [r.ap_id for r in rows]
    assert len(want) == ITEMS + 3  # an Announce per relayed item, a Create per own item
    root = client.get("/actors/ussen/outbox", headers=AS_JSON).json()
    assert root["totalItems"] == len(want)
    seen: list[str] = []
    url: str | None = root["first"]
    while url is not None:
        doc: dict[str, Any] = client.get(url, headers=AS_JSON).json()
        assert doc["type"] == "OrderedCollectionPage" and "totalItems" not in doc
        seen += [a["id"] for a in doc["orderedItems"]]
        url = doc.get("next")
    assert seen == want
    old = client.get("/actors/ussen/outbox?page=101", headers=AS_JSON, follow_redirects=False)
    assert old.status_code == 301
    deep = client.get(old.headers["location"], headers=AS_JSON).json()
    assert [a["id"] for a in deep["orderedItems"]] == want[100 * 20 : 101 * 20]


def _member_names(html: str) -> list[str]:
    return re.findall(
        r'<h2 class="card-title"><a href="[^"]*" rel="nofollow noopener">([^<]+)</a>', html
    )


def test_the_directory_pages_by_cursor_through_every_member(
    client: TestClient, engine: Engine, node: NodeContext
) -> None:
    seed(engine, node.urls, "ussen", 130, 0, now=NOW)
    names: list[str] = []
    url: str | None = "/networks/ussen/members"
    pages = 0
    while url is not None:
        html = client.get(url).text
        names += _member_names(html)
        url = _older(html)
        pages += 1
    assert pages == 3 and names == [f"Cooperative {i}" for i in range(130)]
    # filtered (Catalunya is every 12th member's region): every match, on pages that say so
    names, url = [], "/networks/ussen/members?region=catalunya"
    while url is not None:
        html = client.get(url).text
        names += _member_names(html)
        url = _older(html)
    assert names == [f"Cooperative {i}" for i in range(2, 130, 12)]
    assert client.get("/networks/ussen/members?after=nonsense").status_code == 200
