"""A network's pages join kept per-entry fragments (node/features/networks/cards.py): the same
member's event, read again and again, is drawn once. These stories change what an entry is
drawn from between two reads of the same pages, and check that each page shows the change at
once: a kept fragment must never show an old title, an old author's name, a hidden or deleted
item, or another language's words."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks import rules
from node.federation.context import NodeContext
from node.models import LocalActor, RemoteActor
from node.settings import Settings
from node.web import fragments
from tests.db.network_support import PUBLIC, activity, admitted, deliver, event, local, remote

ORG = "https://coop.example/actors/riverside"
# Every page that draws a network's entries, with the heading level its entries take.
PAGES = ["/networks/ussen/calendar", "/networks/ussen", "/@ussen", "/regions/Massachusetts", "/"]
MONTH = "/networks/ussen/calendar?month=2099-05"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def ussen(engine: Engine) -> LocalActor:
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, net, ORG)
    return net


def create(obj: dict[str, object]) -> dict[str, object]:
    return activity("Create", ORG, obj, to=[PUBLIC])


def read_all(client: TestClient, lang: str = "en") -> dict[str, str]:
    """Each page twice: the second read is drawn from kept fragments."""
    headers = {"Accept-Language": lang}
    for path in [*PAGES, MONTH]:
        assert client.get(path, headers=headers).status_code == 200, path
    return {path: client.get(path, headers=headers).text for path in [*PAGES, MONTH]}


async def test_an_updated_event_shows_its_new_title_on_every_page(
    node: NodeContext, client: TestClient, ussen: LocalActor
) -> None:
    ev = event(ORG, name="Seed swap")
    await deliver(node, create(ev))
    hits = fragments.kept.hits
    assert all("Seed swap" in page for page in read_all(client).values())
    assert fragments.kept.hits > hits  # the second reads were joined from kept fragments

    # only the document's name changes: no filed column (start, place, tags) moves with it
    changed = ev | {"name": "Seed and tool swap"}
    assert "updated" in await deliver(node, activity("Update", ORG, changed, to=[PUBLIC]))
    for path, page in read_all(client).items():
        assert "Seed and tool swap" in page, path
        assert ">Seed swap<" not in page, path


async def test_a_deleted_or_hidden_event_leaves_every_page(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    deleted, hidden = event(ORG, 1, name="Compost day"), event(ORG, 2, name="Repair cafe")
    for ev in (deleted, hidden):
        await deliver(node, create(ev))
    assert all("Compost day" in p and "Repair cafe" in p for p in read_all(client).values())

    tomb = {"id": deleted["id"], "type": "Tombstone"}
    assert "removed" in await deliver(node, activity("Delete", ORG, tomb, to=[PUBLIC]))
    with session_scope(engine) as session:
        rules.hide_item(session, node, ussen, str(hidden["id"]), "cli:ana", "off topic")
    for path, page in read_all(client).items():
        assert "Compost day" not in page, path
        assert "Repair cafe" not in page, path


async def test_a_blocked_members_events_and_a_deleted_members_events_vanish(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    other = remote(engine, "https://other.example/actors/bakery")
    admitted(engine, ussen, other)
    await deliver(node, create(event(ORG, 1, name="Riverside picnic")))
    await deliver(node, activity("Create", other, event(other, 2, name="Bread class"), to=[PUBLIC]))
    assert all("Riverside picnic" in p and "Bread class" in p for p in read_all(client).values())

    with session_scope(engine) as session:
        assert rules.block_domain(session, node, ussen, "coop.example", "cli:ana") == 1
    await deliver(node, activity("Delete", other, other, to=[PUBLIC]))
    for path, page in read_all(client).items():
        assert "Riverside picnic" not in page, path
        assert "Bread class" not in page, path


async def test_a_renamed_member_is_credited_by_its_new_name(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, name="Seed swap")))
    assert all("Riverside" in page for page in read_all(client).values())
    with session_scope(engine) as session:
        row = session.exec(select(RemoteActor).where(RemoteActor.ap_id == ORG)).one()
        row.name = "Riverside Growers"
        session.add(row)
    for path, page in read_all(client).items():
        assert "Riverside Growers</a>" in page or "(Riverside Growers)" in page, path
        assert "Riverside</a>" not in page and "(Riverside)" not in page, path


async def test_a_spanish_page_shows_spanish_dates_after_an_english_one(
    node: NodeContext, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, name="Seed swap")))
    english = read_all(client, "en")
    spanish = read_all(client, "es")
    for path in PAGES:
        assert "Fri 1 May 2099, 18:00 (America/New_York)" in english[path], path
        assert "By <a" in english[path], path
        assert "vie 1 may 2099, 18:00 (America/New_York)" in spanish[path], path
        assert "De <a" in spanish[path] and "By <a" not in spanish[path], path
        assert "Fri 1 May" not in spanish[path], path
    # and English again, from its own fragments
    assert "Fri 1 May 2099, 18:00" in read_all(client, "en")[PAGES[0]]


async def test_each_page_keeps_its_own_heading_level(
    node: NodeContext, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, name="Seed swap")))
    pages = read_all(client)
    # the calendar, the timeline and a region's page list entries under their h1; the profile
    # and the front page under their sections' h2
    for path in ("/networks/ussen/calendar", "/networks/ussen", "/regions/Massachusetts"):
        assert '<h2 class="card-title"><a href=' in pages[path], path
    for path in ("/@ussen", "/"):
        assert '<h3 class="card-title"><a href=' in pages[path], path
        assert '<h2 class="card-title">' not in pages[path], path
