"""The network's profile and its member directory join kept per-member fragments
(node/features/networks/member_cards.py): a member read again and again is drawn once. These
stories change what a member's ``<li>`` is drawn from between two reads of the same pages (its
cached actor document, refreshed as an actor's Update refreshes it; a member network's own
members; the reader's language) and check that both pages show the change at once: a kept
fragment must never show an old name, an old place, an old classification or another
language's words."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation.context import NodeContext
from node.federation.remote.actor_cache import store_actor
from node.models import LocalActor, Membership
from node.settings import Settings
from node.web import fragments
from tests.db.network_support import AS, BASE, admitted, local, remote

ORG = "https://coop.example/actors/riverside"
PAGES = ["/@ussen", "/networks/ussen/members"]
ESSGLOBAL = "http://purl.org/essglobal/standard/sectors-of-activity/"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def ussen(engine: Engine) -> LocalActor:
    return local(engine, "ussen", "network")


def organization(name: str, region: str, country: str, sector: str) -> dict[str, Any]:
    """Riverside's actor document as its server serves it (a Mobilizon-style place, an
    ESSGlobal sector as a top-level term)."""
    return {
        "@context": [AS, "https://w3id.org/security/v1"],
        "id": ORG,
        "type": "Organization",
        "preferredUsername": "riverside",
        "name": name,
        "inbox": f"{ORG}/inbox",
        "followers": f"{ORG}/followers",
        "endpoints": {"sharedInbox": "https://coop.example/inbox"},
        "publicKey": f"{ORG}#main-key",
        "location": {
            "type": "Place",
            "address": {
                "type": "PostalAddress",
                "addressRegion": region,
                "addressCountry": country,
            },
        },
        "economicSector": [ESSGLOBAL + sector],
    }


def read_both(client: TestClient, lang: str = "en") -> dict[str, str]:
    """Each page twice: the second read is joined from kept fragments."""
    headers = {"Accept-Language": lang}
    for path in PAGES:
        assert client.get(path, headers=headers).status_code == 200, path
    hits = fragments.kept.hits
    pages = {path: client.get(path, headers=headers).text for path in PAGES}
    assert fragments.kept.hits >= hits + len(PAGES)
    return pages


async def test_a_member_that_renames_moves_and_changes_sector_shows_it_on_both_pages(
    node: NodeContext, client: TestClient, ussen: LocalActor
) -> None:
    await store_actor(node, organization("Riverside", "Massachusetts", "US", "A"))
    admitted(node.engine, ussen, ORG)
    for path, page in read_both(client).items():
        assert ">Riverside</a>" in page and "Massachusetts, US" in page, path
    directory = read_both(client)["/networks/ussen/members"]
    assert f'href="{ESSGLOBAL}A"' in directory

    # its server answers a refresh (an actor's Update) with a new name, place and sector
    await store_actor(node, organization("Riverside Growers", "Québec", "CA", "C"))
    for path, page in read_both(client).items():
        assert ">Riverside Growers</a>" in page and "Québec, CA" in page, path
        assert ">Riverside</a>" not in page and "Massachusetts" not in page, path
    directory = read_both(client)["/networks/ussen/members"]
    assert f'href="{ESSGLOBAL}C"' in directory and f'href="{ESSGLOBAL}A"' not in directory


async def test_a_member_networks_new_member_is_listed_under_it(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    regional = local(engine, "regional", "network")
    admitted(engine, ussen, f"{BASE}/actors/regional", kind="network")
    admitted(engine, regional, remote(engine, ORG))
    profile = read_both(client)["/@ussen"]
    assert "Its members:" in profile and f'<a href="{ORG}">Riverside</a>' in profile
    assert "Bakery" not in profile

    admitted(engine, regional, remote(engine, "https://bread.example/actors/bakery"))
    profile = read_both(client)["/@ussen"]
    assert f'<a href="{ORG}">Riverside</a>, ' in profile
    assert '<a href="https://bread.example/actors/bakery">Bakery</a></p>' in profile

    # and one that leaves it is no longer listed under it
    with session_scope(engine) as session:
        row = session.exec(
            select(Membership).where(Membership.member == "https://bread.example/actors/bakery")
        ).one()
        row.state = "removed"
        session.add(row)
    profile = read_both(client)["/@ussen"]
    assert "Bakery" not in profile and f'<a href="{ORG}">Riverside</a></p>' in profile


async def test_a_spanish_reader_after_an_english_one_reads_spanish_members(
    node: NodeContext, client: TestClient, ussen: LocalActor
) -> None:
    await store_actor(node, organization("Riverside", "Massachusetts", "US", "A"))
    admitted(node.engine, ussen, ORG)
    english, spanish = read_both(client, "en"), read_both(client, "es")
    for path in PAGES:
        assert '<p class="meta">Organization' in english[path], path
        assert '<p class="meta">Organización' in spanish[path], path
        assert '<p class="meta">Organization' not in spanish[path], path
    assert '<p class="meta">Organization' in read_both(client, "en")["/@ussen"]
