"""What a visitor sees of the network: the front page leads with the node's upcoming events,
then calls and news; a network's profile shows its members' events, its latest calls and news,
its members (a member network with its own members) and links to its timeline, calendar and
directory; an organization's profile names its networks; regions and categories have pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from node.cli.demo import load_demo
from node.db import session_scope
from node.features.networks.highlights import network_highlights
from node.federation.context import NodeContext
from node.models import LocalActor, OutgoingMembership
from node.settings import Settings
from tests.db.network_support import (
    BASE,
    PUBLIC,
    activity,
    admitted,
    deliver,
    event,
    local,
    remote,
)
from tests.db.publishing_support import Page

ORG = "https://coop.example/actors/riverside"
CONFERENCE = "Strengthening the Solidarity Economy Together"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
async def nested(
    node: NodeContext, engine: Engine
) -> tuple[LocalActor, LocalActor, dict[str, object]]:
    """ussen (national) has a member network, regional, which has a remote member whose event
    both filed."""
    national = local(engine, "national", "network")
    regional = local(engine, "regional", "network")
    remote(engine, ORG)
    admitted(engine, regional, ORG)
    admitted(engine, national, f"{BASE}/actors/regional", kind="network")
    admitted(engine, national, ORG)
    with session_scope(engine) as session:
        assert regional.id is not None
        session.add(
            OutgoingMembership(
                actor_id=regional.id,
                network=f"{BASE}/actors/national",
                join_id=f"{BASE}/activities/join-1",
                state="admitted",
            )
        )
    ev = event(ORG, name="Riverside cooperative assembly")
    await deliver(node, activity("Create", ORG, ev, to=[PUBLIC], cc=[f"{ORG}/followers"]))
    news = {
        "id": "https://coop.example/items/news-1",
        "type": "Article",
        "attributedTo": ORG,
        "name": "Riverside opens a second store",
        "content": "<p>Now in the north end.</p>",
        "to": [PUBLIC],
    }
    await deliver(node, activity("Create", ORG, news, to=[PUBLIC]))
    return national, regional, ev


def test_the_network_profile_shows_what_is_below_it(
    client: TestClient, nested: tuple[LocalActor, LocalActor, dict[str, object]]
) -> None:
    response = client.get("/@national")
    assert response.status_code == 200
    page = Page(response.text)
    h2 = [text for level, text in page.headings if level == 2]
    assert h2 == [
        "Follow",
        "Upcoming events",
        "Latest calls and news",
        "Members",
        "Put these events on your website",
    ]
    # the box gives the widget's embed code, ready to copy
    assert '&lt;iframe src="http://127.0.0.1:8000/@national/widget"' in response.text
    h3 = [text for level, text in page.headings if level == 3]
    assert "Riverside cooperative assembly" in h3
    assert "Riverside opens a second store" in h3
    assert "Regional" in h3 and "Riverside" in h3  # the members, by name
    assert "Its members: " in response.text  # the member network's own members
    links = {attrs.get("href") for tag, attrs in page.elements if tag == "a"}
    assert {
        "/networks/national",
        "/networks/national/calendar",
        "/networks/national/members",
    } <= links
    # the member network's page names the network it belongs to
    regional = client.get("/@regional")
    assert "Member of" in regional.text
    assert f"{BASE}/@national" in {
        attrs.get("href") for tag, attrs in Page(regional.text).elements if tag == "a"
    }


def test_a_networks_events_section_is_its_calendar(
    client: TestClient, nested: tuple[LocalActor, LocalActor, dict[str, object]]
) -> None:
    response = client.get("/@national/events", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/networks/national/calendar",
    )
    assert "Riverside cooperative assembly" in client.get("/@national/events").text
    # an organization's sections stay its own
    assert client.get("/@regional/news").status_code == 200
    # a name no account can have is a 404, never a database error
    for path in ("/@n%00c", "/@n%00c/events", "/actors/n%00c", "/@" + "x" * 300):
        assert client.get(path).status_code == 404, path


def test_the_front_page_leads_with_upcoming_events_then_calls_and_news(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    list(load_demo(settings, engine))
    response = client.get("/")
    page = Page(response.text)
    h2 = [text for level, text in page.headings if level == 2]
    assert h2[:2] == ["Upcoming events", "Calls and news"]
    titles = [text for level, text in page.headings if level == 3]
    assert CONFERENCE in titles
    assert titles.index(CONFERENCE) < titles.index("New Economy Coalition")
    # the conference, not each of its sessions (they are in its programme)
    assert not [t for t in titles if t.startswith(("Opening keynote", "Panel:", "Workshop:"))]
    # a plain GET search form, in the header and on the page
    forms = [attrs for tag, attrs in page.elements if tag == "form"]
    assert [f["action"] for f in forms] == ["/search", "/search"]
    links = {attrs.get("href") for tag, attrs in page.elements if tag == "a"}
    assert any(link and link.startswith("/categories/") for link in links)
    assert any(link and link.startswith("webcal://") for link in links)
    assert "/tags/solidarityeconomy" in links
    assert "webcal://127.0.0.1:8000/tags/solidarityeconomy/calendar.ics" in links
    assert client.get("/tags/solidarityeconomy").status_code == 200


async def test_region_and_category_pages_list_their_events(
    client: TestClient, nested: tuple[LocalActor, LocalActor, dict[str, object]]
) -> None:
    for path in ("/regions/Massachusetts", "/regions/US", "/categories/MEETING"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Riverside cooperative assembly" in response.text, path
        assert "webcal://" in response.text
    assert "Riverside cooperative assembly" not in client.get("/regions/Oregon").text
    assert "Riverside cooperative assembly" not in client.get("/categories/WORKSHOP").text
    # a control character in a filter is dropped, never a 500
    for path in ("/networks/national/calendar", "/networks/national/members"):
        assert client.get(path, params={"region": "a\x00b", "sector": "\x00"}).status_code == 200


async def test_the_timeline_is_in_publication_order_whatever_the_order_of_arrival(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    # a new member's recent posts arrive all at once, the newest first (as backfill reads them)
    for day, title in (("2026-03-02", "Newer news"), ("2026-03-01", "Older news")):
        news = {
            "id": f"https://coop.example/items/{day}",
            "type": "Article",
            "attributedTo": ORG,
            "name": title,
            "published": f"{day}T09:00:00Z",
            "to": [PUBLIC],
        }
        await deliver(node, activity("Create", ORG, news, to=[PUBLIC]))
    page = Page(client.get("/networks/ussen").text)
    shown = [text for level, text in page.headings if level == 2]
    assert shown == ["Newer news", "Older news"]


async def test_the_latest_calls_and_news_are_the_newest_published_not_the_last_filed(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    """A member posts news today, then the network files six of its posts from years ago (a
    backfill arrives all at once): the profile's latest news is still today's, as on the
    timeline, whatever came in last."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)

    def news(name: str, published: datetime) -> dict[str, object]:
        return {
            "id": f"https://coop.example/items/{uuid.uuid4().hex}",
            "type": "Article",
            "attributedTo": ORG,
            "name": name,
            "content": "<p>News.</p>",
            "published": published.isoformat(),
            "to": [PUBLIC],
        }

    today = datetime.now(UTC) - timedelta(hours=1)
    fresh = news("Riverside opens a third store", today)
    await deliver(node, activity("Create", ORG, fresh, to=[PUBLIC]))
    for year in range(2015, 2021):
        old = news(f"Riverside news of {year}", datetime(year, 3, 1, tzinfo=UTC))
        await deliver(node, activity("Create", ORG, old, to=[PUBLIC]))
    with Session(engine) as session:
        _, latest = network_highlights(session, node, network, 6)
    assert [e.document["name"] for e in latest] == [fresh["name"]] + [
        f"Riverside news of {year}" for year in range(2020, 2015, -1)
    ]
    h3 = [text for level, text in Page(client.get("/@ussen").text).headings if level == 3]
    assert fresh["name"] in h3 and "Riverside news of 2015" not in h3
