"""Feeds and calendars: iCalendar round trips (zones across DST, status, SEQUENCE, GEO), conditional
GET, RSS/Atom/JSON Feed read back by feedparser, a network's aggregated calendar, autodiscovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import icalendar
import pytest
from sqlalchemy import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import LocalActor
from node.models.networks import NetworkItem
from tests.db.network_support import event as remote_event
from tests.db.network_support import local, remote
from tests.db.publishing_support import Api, Page, make_org

YEAR = datetime.now(UTC).year + 1


def body(name: str = "Coop assembly", **extra: Any) -> dict[str, Any]:
    """An event in New York on 20 March, after the switch to daylight time (UTC-4)."""
    return {
        "name": name,
        "content": "Come & <talk> about *cooperatives*.",
        "startTime": f"{YEAR}-03-20T18:30:00",
        "endTime": f"{YEAR}-03-20T20:00:00",
        "timezone": "America/New_York",
        "location": {
            "name": "Union Hall",
            "address": {
                "streetAddress": "1 Main St",
                "addressLocality": "Brooklyn",
                "addressCountry": "US",
            },
            "latitude": 40.6782,
            "longitude": -73.9442,
            "url": "https://meet.example/coop",
        },
        "joinMode": "none",
        "category": "MEETING",
        "tags": ["Coops"],
        "languages": ["en"],
    } | extra


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def publish(api: Api, **extra: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/events", body(**extra))
    assert answer.status_code == 201, answer.json()
    return dict(answer.json())


def read_feed(answer: Any) -> Any:
    """feedparser (its 6.0 release reads no JSON Feed: that one is mapped to its shape here)."""
    if "json" in answer.headers["content-type"]:
        doc = answer.json()
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        entries = [
            feedparser.FeedParserDict(
                title=i["title"], id=i["id"], link=i["url"], author=i["authors"][0]["name"]
            )
            for i in doc["items"]
        ]
        return feedparser.FeedParserDict(
            bozo=0, feed=feedparser.FeedParserDict(title=doc["title"]), entries=entries
        )
    return feedparser.parse(
        answer.content, response_headers={"content-type": answer.headers["content-type"]}
    )


def events(text: bytes) -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_the_calendar_of_an_organization_round_trips(api: Api, client: TestClient) -> None:
    first = publish(api)
    second = publish(api, name="Winter market", startTime=f"{YEAR}-01-10T10:00:00")
    second = second | {"endTime": None}
    answer = client.get("/@nec/calendar.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(answer.content)
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == {"America/New_York"}
    found = events(answer.content)
    assert set(found) == {first["id"], second["id"]}
    event = found[first["id"]]
    assert str(event["SUMMARY"]) == "Coop assembly"
    start = event.decoded("DTSTART")
    # After the March switch: 18:30 EDT is 22:30 UTC; in January (EST) it is five hours.
    assert start.utcoffset() == timedelta(hours=-4)
    assert start.astimezone(UTC) == datetime(YEAR, 3, 20, 22, 30, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    winter = found[second["id"]].decoded("DTSTART")
    assert winter.utcoffset() == timedelta(hours=-5)
    assert str(event["STATUS"]) == "CONFIRMED"
    geo = event["GEO"]
    assert (round(geo.latitude, 4), round(geo.longitude, 4)) == (40.6782, -73.9442)
    assert "Union Hall" in str(event["LOCATION"]) and "Brooklyn" in str(event["LOCATION"])
    assert str(event["URL"]) == first["url"]
    assert "https://meet.example/coop" in str(event["DESCRIPTION"])
    # Markdown and HTML are gone, the author's own characters stay (no "&lt;" left over).
    assert str(event["DESCRIPTION"]).startswith("Come & <talk> about cooperatives.")
    assert str(event["CONFERENCE"]) == "https://meet.example/coop"
    assert int(event["SEQUENCE"]) == 0


def test_a_cancelled_and_updated_event_bumps_the_sequence(api: Api, client: TestClient) -> None:
    created = publish(api)
    uid = created["id"].rsplit("/", 1)[-1]
    before = events(client.get("/@nec/calendar.ics").content)[created["id"]]
    patched = api.patch(f"/api/v1/events/{uid}", {"status": "cancelled"})
    assert patched.status_code == 200, patched.json()
    after = events(client.get("/@nec/calendar.ics").content)[created["id"]]
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    api.patch(f"/api/v1/events/{uid}", {"name": "Coop assembly (off)"})
    again = events(client.get("/@nec/calendar.ics").content)[created["id"]]
    assert int(again["SEQUENCE"]) > int(after["SEQUENCE"])
    assert str(again["SUMMARY"]) == "Coop assembly (off)"


def test_conditional_get_answers_304(api: Api, client: TestClient) -> None:
    publish(api)
    paths = (
        "/@nec/calendar.ics",
        "/@nec/feed.rss",
        "/tags/coops/calendar.ics",
        "/regions/brooklyn/calendar.ics",
        "/categories/MEETING/calendar.ics",
        "/@nec/calendar.ics?category=MEETING",
    )
    for path in paths:
        first = client.get(path)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert client.get(path, headers={"If-Modified-Since": old}).status_code == 200


def test_rss_atom_and_json_feed_read_back(api: Api, client: TestClient) -> None:
    created = publish(api)
    news = api.post(
        "/api/v1/news",
        {"name": "Bakery <joins> & grows", "content": "A **new** member.", "languages": ["en"]},
    )
    assert news.status_code == 201, news.json()
    for fmt, media in (
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ):
        answer = client.get(f"/@nec/feed.{fmt}")
        assert answer.headers["content-type"].startswith(media)
        parsed = read_feed(answer)
        assert not parsed.bozo, (fmt, parsed.get("bozo_exception"))
        assert parsed.feed.title == "New Economy Coalition"
        titles = [e.title for e in parsed.entries]
        # published in the same second: the order between them is not defined
        assert sorted(titles) == ["Bakery <joins> & grows", "Coop assembly"], (fmt, titles)
        guids = {e.id for e in parsed.entries}
        assert created["id"] in guids and news.json()["id"] in guids
        assert created["url"] in {e.link for e in parsed.entries}
        only = read_feed(client.get(f"/@nec/feed.{fmt}?kind=event"))
        assert [e.title for e in only.entries] == ["Coop assembly"]
    tagged = read_feed(client.get("/tags/coops/feed.atom"))
    assert [e.id for e in tagged.entries] == [created["id"]]
    assert tagged.entries[0].author == "New Economy Coalition"
    assert client.get("/@nec/feed.xml").status_code == 404
    assert client.get("/@nec/feed.rss?kind=poem").status_code == 404
    assert client.get("/@nobody/calendar.ics").status_code == 404


def test_a_network_calendar_has_events_from_two_levels_below(
    engine: Engine, client: TestClient
) -> None:
    network = local(engine, "solnet", kind="network")
    assert network.id is not None
    regional = remote(engine, "https://mid.example/actors/regional", kind="Group")
    coop = remote(engine, "https://far.example/actors/bakery")
    doc = remote_event(coop, name="Bakery open day")
    with session_scope(engine) as session:
        session.add(
            NetworkItem(
                network_id=network.id,
                object_id=doc["id"],
                author=coop,
                via=regional,
                document=doc,
                kind="event",
                start_time=datetime(2099, 5, 1, 22, tzinfo=UTC),
                end_time=datetime(2099, 5, 2, 0, tzinfo=UTC),
            )
        )
    found = events(client.get("/@solnet/calendar.ics").content)
    assert set(found) == {doc["id"]}
    start = found[doc["id"]].decoded("DTSTART")
    assert start.utcoffset() == timedelta(hours=-4)
    feed = read_feed(client.get("/@solnet/feed.json"))
    assert [e.title for e in feed.entries] == ["Bakery open day"]
    assert feed.entries[0].author == "Bakery"  # credit kept


def test_pages_link_their_feeds(api: Api, client: TestClient) -> None:
    publish(api)
    for path, base in (
        ("/@nec", "http://127.0.0.1:8000/@nec"),
        ("/tags/coops", "http://127.0.0.1:8000/tags/coops"),
    ):
        page = Page(client.get(path, headers={"Accept": "text/html"}).text)
        links = {a["type"]: a["href"] for a in page.find("link", rel="alternate")}
        assert links["text/calendar"] == f"{base}/calendar.ics"
        assert links["application/rss+xml"] == f"{base}/feed.rss"
        assert links["application/atom+xml"] == f"{base}/feed.atom"
        assert links["application/feed+json"] == f"{base}/feed.json"
        webcal = base.replace("http://", "webcal://")
        assert f"{webcal}/calendar.ics" in {a.get("href") for a in page.find("a")}


def test_a_polled_feed_shows_every_change_at_once(
    api: Api, client: TestClient, engine: Engine
) -> None:
    """A feed is answered from its validator while nothing it lists changed (as a calendar
    is): each new, changed or removed item, of any kind, and a new name show at the next poll."""
    publish(api)
    first = client.get("/@nec/feed.atom")
    assert client.get("/@nec/feed.atom").headers["etag"] == first.headers["etag"]
    assert client.get("/@nec/feed.rss").content != first.content  # one answer per format
    news = api.post("/api/v1/news", {"name": "Bakery joins", "content": "Hi.", "languages": ["en"]})
    assert news.status_code == 201, news.json()
    titles = sorted(e.title for e in read_feed(client.get("/@nec/feed.atom")).entries)
    assert titles == ["Bakery joins", "Coop assembly"]
    with session_scope(engine) as session:
        org = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        org.name = "New Economy"
    assert read_feed(client.get("/@nec/feed.atom")).feed.title == "New Economy"

    network = local(engine, "solnet", kind="network")
    coop = remote(engine, "https://far.example/actors/bakery")
    assert read_feed(client.get("/@solnet/feed.json")).entries == []
    doc = remote_event(coop, name="Bakery open day")
    with session_scope(engine) as session:
        row = NetworkItem(
            network_id=network.id or 0, object_id=doc["id"], author=coop, document=doc, kind="call"
        )
        session.add(row)
    assert [e.title for e in read_feed(client.get("/@solnet/feed.json")).entries] == [
        "Bakery open day"
    ]
    with session_scope(engine) as session:
        found = session.exec(select(NetworkItem).where(NetworkItem.object_id == doc["id"])).one()
        session.delete(found)
    assert read_feed(client.get("/@solnet/feed.json")).entries == []
