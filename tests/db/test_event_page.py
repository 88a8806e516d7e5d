"""What an event page offers besides its facts: add to calendar (the one event's ``.ics``,
Google and Outlook links), share links, the zone's UTC offset, and a programme where a
cancelled session says so in words, not only by strike-through."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.publishing_support import Api, Page, fixture, future, make_org

CONFERENCE = fixture("conference.json")


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def forum(api: Api, **changes: Any) -> dict[str, Any]:
    body = future(fixture("forum_series.json")) | {"recurrence": None} | changes
    return dict(api.post("/api/v1/events", body).json())


def test_add_to_calendar_and_share_links(api: Api, client: TestClient) -> None:
    event = forum(api, startTime="2027-07-15T18:30:00", endTime="2027-07-15T20:00:00")
    page = Page(client.get(event["url"]).text)
    # Summer in London: the zone and its offset, without JavaScript.
    assert "(Europe/London, UTC+01:00)" in page.text
    [ics] = page.find("a", class_="ics")
    assert ics["href"] == f"{event['url']}/event.ics"
    google = next(
        a["href"]
        for a in page.find("a")
        if a.get("href", "").startswith("https://calendar.google.com/")
    )
    query = parse_qs(urlsplit(google).query)
    assert query["dates"] == ["20270715T173000Z/20270715T190000Z"]
    assert query["text"] == [event["source"]["name"]]
    assert query["location"] == ["Community Arts Centre, 12 High Street, Manchester"]
    outlook = next(a["href"] for a in page.find("a") if "outlook.live.com" in a.get("href", ""))
    assert parse_qs(urlsplit(outlook).query)["startdt"] == ["2027-07-15T17:30:00+00:00"]
    [mail] = [a for a in page.find("a") if a.get("href", "").startswith("mailto:")]
    assert "%20" in mail["href"] and "+" not in mail["href"]
    [share] = page.find("input", id="share-url")
    assert share["value"] == event["url"] and share.get("readonly") is not None
    assert page.find(
        "a", href="https://www.openstreetmap.org/?mlat=53.4808&mlon=-2.2426#map=17/53.4808/-2.2426"
    )

    answer = client.get(ics["href"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["content-disposition"] == f'attachment; filename="{event["uid"]}.ics"'
    [vevent] = icalendar.Calendar.from_ical(answer.text).walk("VEVENT")
    assert str(vevent["uid"]) == event["id"]
    assert vevent.decoded("dtstart").isoformat() == "2027-07-15T18:30:00+01:00"
    again = client.get(ics["href"], headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_only_live_events_have_an_ics(api: Api, client: TestClient) -> None:
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    assert client.get(f"{news['url']}/event.ics").status_code == 404
    assert client.get("/items/no-such-thing/event.ics").status_code == 404
    event = forum(api)
    assert api.delete(event["api"]).status_code in (200, 204)
    assert client.get(f"{event['url']}/event.ics").status_code == 404


def test_a_cancelled_session_says_so_in_the_programme(api: Api, client: TestClient) -> None:
    conference = api.post("/api/v1/events", future(CONFERENCE["conference"])).json()
    sessions = [
        api.post("/api/v1/events", future(s) | {"parent": conference["id"]}).json()
        for s in CONFERENCE["sessions"]
    ]
    assert api.patch(sessions[0]["api"], {"status": "cancelled"}).status_code == 200
    text = client.get(conference["url"]).text
    page = Page(text)
    assert len(page.find("li", class_="session session-cancelled")) == 1
    assert len(page.find("strong", class_="session-status")) == 1
    programme = text.split('class="programme"', 1)[1]
    assert '<strong class="session-status">Cancelled</strong>' in programme
    # Registering for the conference covers its sessions; a session page says so.
    session_page = Page(client.get(sessions[1]["url"]).text)
    assert len(session_page.find("p", class_="session-optional")) == 1
    assert "That covers its sessions: registering for this one is optional" in session_page.text
    assert "session-optional" not in text


def test_lists_show_a_conference_once_with_its_number_of_sessions(
    api: Api, client: TestClient
) -> None:
    conference = api.post(
        "/api/v1/events", future(CONFERENCE["conference"]) | {"tags": ["SSE2026"]}
    ).json()
    for s in CONFERENCE["sessions"]:
        api.post("/api/v1/events", future(s) | {"parent": conference["id"], "tags": ["SSE2026"]})
    for path in ("/@nec/events", "/tags/SSE2026"):
        page = Page(client.get(path).text)
        assert len(page.find("li", class_="item item-event")) == 1, path
        assert "3 sessions" in client.get(path).text, path


def test_event_pages_may_run_our_one_script_and_no_other_page_any(
    api: Api, client: TestClient
) -> None:
    event = forum(api)
    csp = client.get(event["url"]).headers["content-security-policy"]
    assert csp.endswith("; script-src 'self'") and "unsafe-inline" not in csp.split("script-src")[1]
    assert '<script src="/static/localtime.js" defer></script>' in client.get(event["url"]).text
    assert "script-src" not in client.get("/@nec").headers["content-security-policy"]
    script = client.get("/static/localtime.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
