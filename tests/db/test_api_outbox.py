"""ActivityPub client-to-server: a bearer-authorized POST to the actor's outbox publishes through
the same services as the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.publishing_support import Api, fixture, future, make_org, outbox

AP = {"Content-Type": "application/activity+json"}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def post(api: Api, body: object, slug: str = "nec") -> Any:
    return api.client.post(f"/actors/{slug}/outbox", json=body, headers=api.headers | AP)


def test_create_update_and_delete_of_an_event_through_the_outbox(
    api: Api, client: TestClient, engine: Engine
) -> None:
    event = {
        "type": "Event",
        "name": "Worker co-op open day",
        "startTime": "2027-03-06T10:00:00-05:00",
        "endTime": "2027-03-06T16:00:00-05:00",
        "timezone": "America/New_York",
        "content": "<p>Come and <strong>meet</strong> the co-ops.</p>",
        "source": {"content": "Come and **meet** the co-ops.", "mediaType": "text/markdown"},
        "location": {
            "type": "Place",
            "name": "Union Hall",
            "address": {"type": "PostalAddress", "addressLocality": "Springfield"},
        },
        "tag": [{"type": "Hashtag", "name": "#CoopDay"}],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    created = post(api, {"type": "Create", "object": event})
    assert created.status_code == 201, created.json()
    activity = created.json()
    assert created.headers["location"] == activity["id"]
    assert activity["type"] == "Create" and activity["object"]["type"] == "Event"
    obj = activity["object"]
    assert obj["content"] == "<p>Come and <strong>meet</strong> the co-ops.</p>"
    assert obj["location"]["address"]["addressLocality"] == "Springfield"
    assert obj["tag"][0]["name"] == "#CoopDay"

    updated = post(
        api,
        {
            "type": "Update",
            "object": {"id": obj["id"], "type": "Event", "eventStatus": "EventCancelled"},
        },
    )
    assert updated.status_code == 201
    assert updated.json()["object"]["status"] == "CANCELLED"
    # The same rules as the API: the cancellation also went out as a reply Note.
    assert outbox(engine, "Create")[-1]["object"]["inReplyTo"] == obj["id"]

    deleted = post(api, {"type": "Delete", "object": obj["id"]})
    assert deleted.status_code == 201
    assert deleted.json()["object"]["type"] == "Tombstone"
    assert post(api, {"type": "Delete", "object": obj["id"]}).status_code == 410


def test_a_bare_object_is_wrapped_and_calls_and_articles_map_too(api: Api) -> None:
    call = {
        "type": "Note",
        "name": "Bulk flour for bakeries",
        "purpose": "offer",
        "publishes": {
            "type": "Intent",
            "action": "transfer",
            "name": "Organic flour",
            "resourceQuantity": {"hasUnit": "kilogram", "hasNumericalValue": "500"},
        },
        "hasEnd": "2027-02-01",
        "content": "From our mill.",
    }
    answer = post(api, call)
    assert answer.status_code == 201, answer.json()
    note = answer.json()["object"]
    assert note["publishes"]["resourceQuantity"] == {
        "hasUnit": "kilogram",
        "hasNumericalValue": "500",
    }
    news = fixture("news_share_stories.json") | {"type": "Article"}
    assert post(api, {"type": "Create", "object": news}).status_code == 201


def test_outbox_refusals(api: Api, client: TestClient, engine: Engine) -> None:
    other = make_org(engine, "sjn", "Social Justice Network")
    event = future(fixture("conference.json")["conference"]) | {"type": "Event"}
    assert post(api, {"type": "Create", "object": event}, slug="sjn").status_code == 403
    assert client.post("/actors/nec/outbox", json={"type": "Create"}, headers=AP).status_code == 401
    bad = post(api, {"type": "Create", "object": event | {"startTime": "soon"}})
    assert (bad.status_code, bad.json()["field"]) == (422, "object.startTime")
    assert post(api, {"type": "Like", "object": "x"}).json()["field"] == "type"
    wrong = post(api, {"type": "Create", "object": {"type": "Video"}})
    assert wrong.json()["field"] == "object.type"
    missing = post(api, {"type": "Update", "object": {"id": "https://elsewhere.example/x"}})
    assert missing.status_code == 404
    assert other and outbox(engine) == []
