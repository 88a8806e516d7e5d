"""The online link of an approval-only event appears in no public page, feed, calendar or
ActivityStreams object: only approved participants get it (their registration page)."""

from __future__ import annotations

import json
from typing import Any

import icalendar
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.publishing_support import Api, add_follower, fixture, future, make_org, outbox

CONFERENCE = fixture("conference.json")
SECRET_HOST = "venue.example.org"  # the conference's online venue and its session rooms
AS_JSON = "application/activity+json"


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def publish_conference(api: Api) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conference = api.post("/api/v1/events", future(CONFERENCE["conference"])).json()
    sessions = [
        api.post("/api/v1/events", future(s) | {"parent": conference["id"]}).json()
        for s in CONFERENCE["sessions"]
        if s.get("joinMode") == "restricted"
    ]
    return dict(conference), sessions


def test_the_online_link_of_an_approval_only_event_is_in_nothing_public(
    api: Api, client: TestClient, engine: Engine
) -> None:
    add_follower(engine, "nec")
    conference, sessions = publish_conference(api)
    assert conference["source"]["joinMode"] == "restricted"
    events = [conference, *sessions]
    # Moved online: the status note that tells followers must not carry it either.
    moved = api.patch(conference["api"], {"status": "movedOnline"})
    assert moved.status_code == 200, moved.text

    def get(path: str, **headers: str) -> str:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, path
        return str(answer.text)

    public = {
        **{e["url"]: get(e["url"]) for e in events},
        **{f"AS {e['id']}": get(e["id"], Accept=AS_JSON) for e in events},
        **{
            path: get(path)
            for path in (
                "/@nec",
                "/@nec/events",
                "/@nec/feed.rss",
                "/@nec/feed.atom",
                "/@nec/feed.json",
                "/@nec/calendar.ics",
                "/tags/solidarityeconomy/calendar.ics",
                "/tags/solidarityeconomy/feed.rss",
                "/actors/nec/outbox?page=1",
            )
        },
        **{f"{e['url']}/event.ics": get(f"{e['url']}/event.ics") for e in events},
        "sent": json.dumps(outbox(engine)),
    }
    notes = [a for a in outbox(engine, "Create") if a["object"]["type"] == "Note"]
    assert len(notes) == 1 and "Moved online" in notes[0]["object"]["content"]
    for where, body in public.items():
        assert body and SECRET_HOST not in body, where
    # The feeds do say it is online, and where to ask: the event's page.
    calendar = icalendar.Calendar.from_ical(client.get(f"{conference['url']}/event.ics").text)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["location"]) == conference["url"]


def test_a_free_event_keeps_its_online_link_public(api: Api, client: TestClient) -> None:
    conference = api.post(
        "/api/v1/events", future(CONFERENCE["conference"]) | {"joinMode": "free"}
    ).json()
    assert SECRET_HOST in client.get(conference["url"]).text
    assert SECRET_HOST in client.get(f"{conference['url']}/event.ics").text
