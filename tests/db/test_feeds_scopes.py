"""Calendars per region and per category: the whole node's (its organizations' events and what its
networks aggregated), and an organization's or network's calendar filtered by the same names;
the network calendar page links the filtered calendar. JSON Feed read back by ``reader``, a
feed reader library with its own JSON Feed parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import icalendar
import pytest
from reader import make_reader
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks.facts import item_facts
from node.features.networks.filing import apply_facts
from node.federation.actors.local import get_actor
from node.models.networks import NetworkItem
from tests.db.network_support import event as remote_event
from tests.db.network_support import local, remote
from tests.db.publishing_support import Api, Page, make_org
from tests.db.test_feeds import publish

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def names(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(answer.content)
    return {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}


def calendar_name(answer: Any) -> str:
    return str(icalendar.Calendar.from_ical(answer.content)["X-WR-CALNAME"])


MANCHESTER = {
    "name": "Community Arts Centre",
    "address": {"addressLocality": "Manchester", "addressCountry": "GB"},
}


@pytest.fixture
def scene(api: Api, engine: Engine) -> dict[str, Any]:
    """Three events of New Economy Coalition (Brooklyn, Manchester, online), and a network on
    this node that aggregated a Midwest food co-op's event."""
    publish(api)  # Brooklyn, US, MEETING, #coops
    publish(
        api,
        name="Skill share: bookkeeping",
        location=MANCHESTER,
        category="WORKSHOPS_SKILL_SHARING",
        tags=["Skills"],
    )
    publish(
        api,
        name="Online peer support circle",
        location={"url": "https://meet.example/circle"},
        category="LEARNING",
        tags=["PeerSupport"],
    )
    network = local(engine, "solnet", kind="network")
    assert network.id is not None
    coop = remote(engine, "https://far.example/actors/grocery")
    doc = remote_event(
        coop,
        name="Midwest food co-op gathering",
        category="NETWORKING",
        location={
            "type": "Place",
            "name": "Grange Hall",
            "address": {
                "type": "PostalAddress",
                "addressRegion": "Midwest",
                "addressCountry": "US",
            },
        },
    )
    with session_scope(engine) as session:
        row = NetworkItem(network_id=network.id, object_id=doc["id"], author=coop, document=doc)
        apply_facts(row, item_facts(doc))
        session.add(row)
    return {"remote": doc}


def test_a_region_calendar_has_every_event_of_the_node_in_it(
    scene: dict[str, Any], client: TestClient
) -> None:
    # A locality, any case; a country code; a region only the network's aggregated event has.
    assert names(client.get("/regions/manchester/calendar.ics")) == {"Skill share: bookkeeping"}
    assert names(client.get("/regions/US/calendar.ics")) == {
        "Coop assembly",
        "Midwest food co-op gathering",
    }
    midwest = client.get("/regions/Midwest/calendar.ics")
    assert names(midwest) == {"Midwest food co-op gathering"}
    assert calendar_name(midwest).startswith("Midwest")
    [event] = icalendar.Calendar.from_ical(midwest.content).walk("VEVENT")
    assert str(event["UID"]) == scene["remote"]["id"]
    assert event["ORGANIZER"].params["CN"] == "Grocery"  # the author keeps the credit
    spaced = client.get("/regions/New%20England/calendar.ics")
    assert names(spaced) == set()
    assert str(icalendar.Calendar.from_ical(spaced.content)["SOURCE"]) == (
        f"{BASE}/regions/New%20England/calendar.ics"
    )


def test_an_event_without_a_place_is_in_its_authors_region(
    api: Api, engine: Engine, client: TestClient
) -> None:
    with session_scope(engine) as session:
        actor = get_actor(session, "nec")
        assert actor is not None
        actor.profile = actor.profile | {"region": "Northeast", "country": "US"}
        session.add(actor)
    publish(api, name="Online circle", location={"url": "https://meet.example/circle"})
    assert names(client.get("/regions/northeast/calendar.ics")) == {"Online circle"}


def test_a_category_calendar_and_its_errors(scene: dict[str, Any], client: TestClient) -> None:
    assert names(client.get("/categories/WORKSHOPS_SKILL_SHARING/calendar.ics")) == {
        "Skill share: bookkeeping"
    }
    networking = client.get("/categories/networking/calendar.ics")
    assert names(networking) == {"Midwest food co-op gathering"}
    assert calendar_name(networking).startswith("Networking")
    unknown = client.get("/categories/POETRY/calendar.ics")
    assert unknown.status_code == 404
    assert "POETRY" in unknown.text and "WORKSHOPS_SKILL_SHARING" in unknown.text


def test_an_actors_calendar_takes_the_same_filters(
    scene: dict[str, Any], client: TestClient
) -> None:
    assert names(client.get("/@nec/calendar.ics?online=yes")) == {"Online peer support circle"}
    assert names(client.get("/@nec/calendar.ics?category=learning")) == {
        "Online peer support circle"
    }
    assert names(client.get("/@nec/calendar.ics?tag=coops")) == {"Coop assembly"}
    assert names(client.get("/@nec/calendar.ics?region=GB")) == {"Skill share: bookkeeping"}
    filtered = client.get("/@solnet/calendar.ics?region=midwest&kind=ignored")
    assert names(filtered) == {"Midwest food co-op gathering"}
    cal = icalendar.Calendar.from_ical(filtered.content)
    assert str(cal["SOURCE"]) == f"{BASE}/@solnet/calendar.ics?region=midwest"
    assert str(cal["X-WR-CALNAME"]) == "Solnet (midwest)"
    assert names(client.get("/@solnet/calendar.ics?category=MEETING")) == set()


def test_the_network_calendar_page_links_its_filtered_calendar(
    scene: dict[str, Any], client: TestClient
) -> None:
    page = Page(client.get("/networks/solnet/calendar?region=Midwest&tag=&online=").text)
    links = [a["href"] for a in page.find("link", rel="alternate", type="text/calendar")]
    assert f"{BASE}/@solnet/calendar.ics?region=Midwest" in links
    assert f"{BASE}/@solnet/calendar.ics" in links
    anchors = {a.get("href") for a in page.find("a")}
    assert "webcal://127.0.0.1:8000/@solnet/calendar.ics?region=Midwest" in anchors
    plain = Page(client.get("/networks/solnet/calendar").text)
    assert [a["href"] for a in plain.find("link", rel="alternate", type="text/calendar")] == [
        f"{BASE}/@solnet/calendar.ics"
    ]


def test_the_front_page_offers_the_region_and_category_calendars(
    scene: dict[str, Any], client: TestClient
) -> None:
    page = Page(client.get("/", headers={"Accept": "text/html"}).text)
    hrefs = {a.get("href") for a in page.find("a")}
    webcal = "webcal://127.0.0.1:8000"
    for region in ("Midwest", "Manchester", "GB", "US", "Brooklyn"):
        assert f"{webcal}/regions/{region}/calendar.ics" in hrefs, region
    for category in ("NETWORKING", "WORKSHOPS_SKILL_SHARING", "MEETING", "LEARNING"):
        assert f"{webcal}/categories/{category}/calendar.ics" in hrefs, category
    # Each link answers with the events it names.
    assert names(client.get("/regions/Brooklyn/calendar.ics")) == {"Coop assembly"}


def test_json_feed_read_by_an_independent_reader(
    api: Api, client: TestClient, tmp_path: Path
) -> None:
    created = publish(api)
    news = api.post(
        "/api/v1/news",
        {"name": "Bakery <joins> & grows", "content": "A **new** member.", "languages": ["en"]},
    )
    assert news.status_code == 201, news.json()
    (tmp_path / "nec.json").write_bytes(client.get("/@nec/feed.json").content)
    (tmp_path / "coops.json").write_bytes(client.get("/tags/coops/feed.json?kind=event").content)
    reader = make_reader(":memory:", feed_root=str(tmp_path))
    try:
        for name in ("nec.json", "coops.json"):
            reader.add_feed(name)
        reader.update_feeds()
        feed = reader.get_feed("nec.json")
        assert feed.last_exception is None, feed.last_exception
        assert feed.version == "json11"
        assert feed.title == "New Economy Coalition"
        assert feed.link == f"{BASE}/@nec"
        entries = {e.id: e for e in reader.get_entries(feed="nec.json")}
        assert set(entries) == {created["id"], news.json()["id"]}
        event = entries[created["id"]]
        assert event.title == "Coop assembly"
        assert event.link == created["url"]
        assert [a.name for a in event.authors] == ["New Economy Coalition"]
        assert event.published is not None
        html = [c.value for c in event.content if c.type == "text/html"]
        assert html and "<em>cooperatives</em>" in html[0] and "<talk>" not in html[0]
        assert entries[news.json()["id"]].title == "Bakery <joins> & grows"
        tagged = [e.id for e in reader.get_entries(feed="coops.json")]
        assert tagged == [created["id"]]
    finally:
        reader.close()


def test_bad_region_names_are_refused(client: TestClient) -> None:
    assert client.get("/regions/%20/calendar.ics").status_code == 404
    assert client.get("/regions/" + "x" * 201 + "/calendar.ics").status_code == 404
    refused = client.get("/regions/a%0Ab/calendar.ics")
    assert refused.status_code == 404 and "region" in refused.text
