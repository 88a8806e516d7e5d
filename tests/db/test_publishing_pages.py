"""The public pages: an event with its programme, JSON-LD and Open Graph, in the reader's language;
registering without a fediverse account; replies once approved; the profile and its lists."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Interaction
from tests.db.publishing_support import Api, Page, fixture, future, make_org

CONFERENCE = fixture("conference.json")


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def publish_conference(api: Api) -> dict[str, Any]:
    conference = api.post("/api/v1/events", future(CONFERENCE["conference"])).json()
    for session in CONFERENCE["sessions"]:
        api.post("/api/v1/events", future(session) | {"parent": conference["id"]})
    return dict(conference)


def assert_accessible_structure(page: Page, lang: str) -> None:
    """Landmarks, one h1, headings that never skip a level, labelled inputs, the language."""
    assert page.find("html")[0]["lang"] == lang
    assert page.find("header", role="banner") and page.find("main", id="main")
    assert page.find("footer", role="contentinfo")
    assert [level for level, _ in page.headings].count(1) == 1
    levels = [level for level, _ in page.headings]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    labels = {a.get("for") for a in page.find("label")}
    for field in page.find("input"):
        assert field.get("type") == "hidden" or field.get("id") in labels, field
    assert all("alt" in img for img in page.find("img"))


def test_an_event_page_in_spanish_with_programme_json_ld_and_open_graph(
    api: Api, client: TestClient
) -> None:
    conference = publish_conference(api)
    answer = client.get(conference["url"], headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert answer.status_code == 200
    page = Page(answer.text)
    assert_accessible_structure(page, "es")
    assert (1, "Fortaleciendo juntos la economía solidaria") in page.headings
    # The description has no Spanish translation: it says it is English.
    assert page.find("div", class_="content", lang="en")
    assert (2, "Programa") in page.headings
    assert (3, "mié 3 nov 2027") in page.headings and (4, "Policy and Advocacy") in page.headings
    switch = page.find("a", hreflang="en")
    assert switch and switch[0]["href"].endswith("?lang=en")
    assert page.find("a", hreflang="es", **{"aria-current": "true"})

    [event] = page.jsonld()
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert event["name"] == "Fortaleciendo juntos la economía solidaria"
    assert event["startDate"] == "2027-11-03T10:00:00-04:00"
    assert event["endDate"] == "2027-11-05T17:00:00-04:00"
    # Approval-only: the online link is for approved participants, the page stands for it.
    assert event["location"] == {"@type": "VirtualLocation", "url": conference["url"]}
    assert "venue.example.org" not in answer.text
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert event["organizer"]["name"] == "New Economy Coalition"
    assert page.meta("og:title") == event["name"]
    assert page.meta("og:url") == conference["url"]
    assert page.meta(
        "og:image:alt",
    ).startswith("Poster")  # type: ignore[union-attr]

    english = Page(client.get(conference["url"] + "?lang=en").text)
    assert english.find("html")[0]["lang"] == "en"
    assert (1, "Strengthening the Solidarity Economy Together") in english.headings
    assert (2, "Programme") in english.headings


def test_a_session_page_links_its_conference_and_a_hybrid_event_is_mixed_attendance(
    api: Api, client: TestClient
) -> None:
    conference = publish_conference(api)
    sessions = api.get("/api/v1/events").json()["items"]
    keynote = next(s for s in sessions if s["source"].get("track") == "Innovation in Action")
    page = Page(client.get(keynote["url"]).text)
    assert page.find("a", href=conference["url"])
    [event] = page.jsonld()
    assert event["superEvent"]["url"] == conference["url"]
    assert [p["name"] for p in event["performer"]] == ["Aisha Thompson", "Marisol Vega"]

    forum = api.post(
        "/api/v1/events", future(fixture("forum_series.json")) | {"recurrence": None}
    ).json()
    [hybrid] = Page(client.get(forum["url"]).text).jsonld()
    assert hybrid["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    place, online = hybrid["location"]
    assert place["address"]["postalCode"] == "M1 1AA" and place["geo"]["latitude"] == 53.4808
    assert online == {"@type": "VirtualLocation", "url": "https://forum.example.org/live"}


def register(client: TestClient, url: str, **fields: str) -> Any:
    page = Page(client.get(url).text)
    token = page.find("input", name="token")[0]["value"]
    form = {"token": token, "lang": "en"} | fields
    return client.post(f"{url}/register", data=form, follow_redirects=False)


def test_registering_on_the_page_without_a_fediverse_account(api: Api, client: TestClient) -> None:
    event = api.post(
        "/api/v1/events",
        future(fixture("forum_series.json"))
        | {"recurrence": None, "joinMode": "free", "maximumAttendeeCapacity": 1},
    ).json()
    done = register(client, event["url"], name="Rosa Parks", email="rosa@example.org")
    assert done.status_code == 303
    assert done.headers["location"].startswith(event["url"] + "/registrations/")
    confirmation = Page(client.get(done.headers["location"]).text)
    assert "Thank you, you are registered." in confirmation.text
    stranger = TestClient(client.app, base_url=str(client.base_url))
    after = Page(stranger.get(event["url"]).text)
    assert "1 taking part" in after.text and "This event is full." in after.text
    # The registrant's browser is shown its registration instead.
    assert "You are registered for this event" in client.get(event["url"]).text
    [person] = api.get(f"/api/v1/events/{event['uid']}/participants").json()["items"]
    assert (person["actor"], person["name"], person["email"]) == (
        None,
        "Rosa Parks",
        "rosa@example.org",
    )
    assert api.get(event["api"]).json()["activitypub"]["participantCount"] == 1


def test_the_registration_form_refuses_forgeries_and_says_what_is_missing(
    api: Api, client: TestClient
) -> None:
    event = api.post(
        "/api/v1/events",
        future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "restricted"},
    ).json()
    # Another site can post the form, but not with our cookie: refused, and the page says why.
    stranger = TestClient(client.app, base_url=str(client.base_url))
    token = Page(client.get(event["url"]).text).find("input", name="token")[0]["value"]
    forged = stranger.post(f"{event['url']}/register", data={"token": token, "name": "Mallory"})
    assert forged.status_code == 409
    assert Page(forged.text).find("div", class_="errors", role="alert")

    empty = register(client, event["url"], name="  ", email="not-an-address")
    assert empty.status_code == 422
    page = Page(empty.text)
    assert page.find("input", id="reg-name", **{"aria-invalid": "true"})
    assert page.find("input", id="reg-email", **{"aria-invalid": "true"})

    pending = register(client, event["url"], name="Ada")
    assert pending.headers["location"].startswith(event["url"] + "/registrations/")
    waiting = client.get(pending.headers["location"]).text
    assert "the organizer will confirm your registration" in waiting
    listed = api.get(f"/api/v1/events/{event['uid']}/participants?state=pending").json()
    assert [p["name"] for p in listed["items"]] == ["Ada"]


def test_replies_show_under_the_item_once_approved(
    api: Api, client: TestClient, engine: Engine
) -> None:
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    with session_scope(engine) as session:
        session.add(
            Interaction(
                activity_id="https://mastodon.example/statuses/1",
                kind="reply",
                actor="https://mastodon.example/users/ana",
                object_id=news["id"],
                content="<p>Our food co-op has a story to share!</p>",
                document={"url": "https://mastodon.example/@ana/1"},
                state="pending",
            )
        )
    assert "Our food co-op" not in client.get(news["url"]).text
    [reply] = api.get("/api/v1/replies?state=pending").json()["items"]
    assert reply["inReplyTo"] == news["id"]
    assert api.post(f"/api/v1/replies/{reply['id']}/approve", None).json()["state"] == "approved"
    page = Page(client.get(news["url"]).text)
    assert "Our food co-op has a story to share!" in page.text
    assert page.find("a", href="https://mastodon.example/@ana/1")
    api.post(f"/api/v1/replies/{reply['id']}/hide", None)
    assert "Our food co-op" not in client.get(news["url"]).text
    other = Api(client, make_org(engine, "sjn", "Social Justice Network"))
    assert other.post(f"/api/v1/replies/{reply['id']}/approve", None).status_code == 404
    assert api.get("/api/v1/replies?state=lost").json()["field"] == "state"


def test_the_profile_shows_sections_and_the_lists_page(api: Api, client: TestClient) -> None:
    publish_conference(api)
    api.post("/api/v1/calls", fixture("call_group_purchasing.json"))
    api.post("/api/v1/news", fixture("news_share_stories.json"))
    forum = future(fixture("forum_series.json")) | {"recurrence": None}
    for day in range(10, 24):
        api.post(
            "/api/v1/events",
            forum | {"startTime": f"2027-02-{day}T18:30:00", "endTime": f"2027-02-{day}T20:00:00"},
        )
    profile = Page(client.get("/@nec").text)
    assert_accessible_structure(profile, "en")
    assert [h for h in profile.headings if h[0] == 2][-4:] == [
        (2, "Upcoming events"),
        (2, "Calls for collaboration"),
        (2, "News"),
        (2, "Put these events on your website"),  # the widget's embed code, last
    ]
    # Sessions appear in their conference's programme, not in the lists.
    assert "Opening keynote" not in profile.text
    assert "Group purchasing of insurance" in profile.text and "Share your stories" in profile.text

    first = Page(client.get("/@nec/events").text)
    assert_accessible_structure(first, "en")
    assert len(first.find("li", class_="item item-event")) == 12
    [following] = first.find("a", rel="next")
    second = Page(client.get(following["href"]).text)
    assert len(second.find("li", class_="item item-event")) == 3  # 14 forums + the conference
    assert second.find("a", rel="prev")
    assert client.get("/@nec/nothing").status_code == 404
    assert client.get("/@nobody/events").status_code == 404
    tagged = Page(client.get("/tags/SocialJustice").text)
    assert (1, "Tagged #SocialJustice") in tagged.headings
    assert len(tagged.find("li", class_="item item-event")) == 12


def test_call_and_news_pages(api: Api, client: TestClient) -> None:
    call = api.post("/api/v1/calls", fixture("call_group_purchasing.json")).json()
    page = Page(client.get(call["url"]).text)
    assert_accessible_structure(page, "en")
    assert "We need" in page.text and "Fri 15 Jan 2027" in page.text
    assert page.jsonld() == []
    assert page.meta("og:title") == call["source"]["name"]
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    page = Page(client.get(news["url"]).text)
    assert page.meta("og:type") == "article"
    assert page.find("a", rel="tag", href="http://127.0.0.1:8000/tags/casestudies")
