"""The search page draws each hit once and keeps it (node/features/search/routes.py), and builds
its statements once per shape of filters (statements.py): a visitor searching again after the
network changed sees the change at once — an item filed, updated, hidden or deleted, its author
renamed — never a hit kept from before."""

from __future__ import annotations

import re

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
from tests.db.publishing_support import Page

ORG = "https://coop.example/actors/riverside"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def shown(client: TestClient, q: str, lang: str = "en") -> list[tuple[str, str]]:
    """(title, author) of each hit of the search page, in order."""
    response = client.get("/search", params={"q": q}, headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    titles = [text for level, text in Page(response.text).headings if level == 2]
    authors = re.findall(r'<p class="meta">[^<]* <a href="[^"]*">([^<]*)</a></p>', response.text)
    assert len(authors) == len(titles), response.text
    return list(zip(titles, authors, strict=True))


async def test_a_search_again_shows_what_changed_since_never_a_kept_hit(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    fragments.kept.clear()
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    first = event(ORG, 1, name="Riverside assembly")
    await deliver(node, activity("Create", ORG, first, to=[PUBLIC]))
    assert shown(client, "assembly") == [("Riverside assembly", "Riverside")]
    assert len(fragments.kept) == 1  # drawn once, kept

    # filed after the search: listed, soonest first (the new one is a year earlier)
    second = event(ORG, 2, name="Spring assembly", startTime="2098-05-01T18:00:00-04:00")
    await deliver(node, activity("Create", ORG, second, to=[PUBLIC]))
    assert shown(client, "assembly") == [
        ("Spring assembly", "Riverside"),
        ("Riverside assembly", "Riverside"),
    ]

    # updated: the new title, not the kept one
    renamed = first | {"name": "Riverside general assembly"}
    await deliver(node, activity("Update", ORG, renamed, to=[PUBLIC]))
    assert shown(client, "assembly") == [
        ("Spring assembly", "Riverside"),
        ("Riverside general assembly", "Riverside"),
    ]

    # its author renamed (the cached actor refreshed): every hit's credit line follows
    with session_scope(engine) as session:
        cached = session.exec(select(RemoteActor).where(RemoteActor.ap_id == ORG)).one()
        cached.name = "Riverside Food Co-op"
        session.add(cached)
    assert shown(client, "assembly") == [
        ("Spring assembly", "Riverside Food Co-op"),
        ("Riverside general assembly", "Riverside Food Co-op"),
    ]

    # hidden by the network's admin: gone
    with session_scope(engine) as session:
        hiding = session.exec(select(LocalActor).where(LocalActor.slug == "ussen")).one()
        rules.hide_item(session, node, hiding, second["id"], "admin")
    assert shown(client, "assembly") == [("Riverside general assembly", "Riverside Food Co-op")]

    # deleted by its author: gone, and the search finds nothing
    await deliver(node, activity("Delete", ORG, first["id"], to=[PUBLIC]))
    assert shown(client, "assembly") == []
    assert client.get("/api/v1/search", params={"q": "assembly"}).json()["items"] == []


async def test_each_language_draws_its_own_hits_and_the_filters_bind_their_values(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    """A hit kept in English is not served to a Spanish page; two searches of the same shape
    (the statement built once) with different values find each its own items."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    online = event(ORG, 1, name="Harvest webinar", location=None, category="WORKSHOP")
    await deliver(node, activity("Create", ORG, online | {"attachment": []}, to=[PUBLIC]))
    await deliver(node, activity("Create", ORG, event(ORG, 2, name="Harvest fair"), to=[PUBLIC]))
    english = client.get("/search", params={"q": "harvest"}, headers={"accept-language": "en"})
    spanish = client.get("/search", params={"q": "harvest"}, headers={"accept-language": "es"})
    assert ">Event" in english.text and ">Evento" not in english.text
    assert ">Evento" in spanish.text and ">Event " not in spanish.text

    def titles(**params: str) -> list[str]:
        items = client.get("/api/v1/search", params={"q": "harvest", **params}).json()["items"]
        return [hit["title"] for hit in items]

    assert titles(category="WORKSHOP") == ["Harvest webinar"]
    assert titles(category="MEETING") == ["Harvest fair"]
    assert titles(region="massachusetts") == ["Harvest fair"]
    assert titles(region="oregon") == []
    assert titles(kind="event", region="us") == ["Harvest fair"]
