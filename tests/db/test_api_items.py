"""Publishing through the JSON API: an organization's token, its events, calls and news; what
goes into the outbox and the job queue; the errors a client sees. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.federation.outbox.signing import sign_stored
from node.models import Item, ItemTag, Tombstone
from tests.db.publishing_support import (
    BASE,
    Api,
    add_follower,
    fanout_jobs,
    fixture,
    future,
    make_org,
    outbox,
)

AS_ACCEPT = {"Accept": "application/activity+json"}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    token = make_org(engine)
    add_follower(engine, "nec")
    return Api(client, token)


@pytest.mark.parametrize(
    ("collection", "body", "ap_type"),
    [
        ("events", future(fixture("conference.json")["conference"]), "Event"),
        ("calls", fixture("call_group_purchasing.json"), "Note"),
        ("news", fixture("news_share_stories.json"), "Article"),
    ],
)
def test_publishing_answers_201_with_the_activitypub_id_the_page_and_where_to_edit(
    api: Api,
    client: TestClient,
    engine: Engine,
    collection: str,
    body: dict[str, Any],
    ap_type: str,
) -> None:
    answer = api.post(f"/api/v1/{collection}", body)
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    uid = created["uid"]
    assert created["id"] == f"{BASE}/items/{uid}" == created["url"]
    assert answer.headers["location"] == f"{BASE}/api/v1/{collection}/{uid}" == created["api"]
    assert created["source"] == body  # the API JSON as received, for editing
    assert created["activitypub"]["type"] == ap_type

    # The id serves the same document to ActivityPub clients, and a page to browsers.
    served = client.get(created["id"], headers=AS_ACCEPT)
    assert served.headers["content-type"].startswith("application/activity+json")
    assert served.json() == created["activitypub"]
    assert client.get(created["url"]).headers["content-type"].startswith("text/html")

    # One Create to the followers, through ONE fan-out job.
    [create] = outbox(engine, "Create")
    assert create["object"]["id"] == created["id"]
    assert create["actor"] == f"{BASE}/actors/nec"
    # The activity carries the object's inline terms, so an LD signature covers them too.
    assert all(term in create["@context"] for term in created["activitypub"]["@context"])
    # ... and is signed in the body for relays and networks by its fan-out job, outside the
    # request's write transaction (node/federation/outbox/signing.py)
    assert "signature" not in create
    assert sign_stored(engine, create["id"])
    [create] = outbox(engine, "Create")
    assert create["signature"]["type"] == "RsaSignature2017" and create["proof"]
    [job] = fanout_jobs(engine)
    assert job["activity_id"] == create["id"]
    assert job["audience"]["followers"] is True
    assert api.get(answer.headers["location"]).json()["id"] == created["id"]


def test_an_event_row_keeps_utc_times_and_the_tags_are_indexed(api: Api, engine: Engine) -> None:
    body = future(fixture("conference.json")["conference"])
    created = api.post("/api/v1/events", body).json()
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == created["id"])).one()
        tags = session.exec(select(ItemTag.tag).where(ItemTag.item_id == item.id)).all()
    assert item.start_time is not None and item.end_time is not None
    start = item.start_time.replace(tzinfo=None) if item.start_time.tzinfo else item.start_time
    assert start == datetime(2027, 11, 3, 14, 0)  # 10:00 in New York (EDT) is 14:00 UTC
    assert sorted(tags) == ["nec", "solidarityeconomy", "sse2026"]


def test_errors_name_the_field_and_use_the_right_status(
    api: Api, client: TestClient, engine: Engine
) -> None:
    body = future(fixture("conference.json")["conference"])
    bad = body | {"location": {"name": "Hall", "address": {"postalCode": 12345}}}
    answer = api.post("/api/v1/events", bad)
    assert answer.status_code == 422
    assert answer.json() == {"error": "must be a string", "field": "location.address.postalCode"}
    assert api.post("/api/v1/events", body | {"naem": "x"}).json()["field"] == "naem"
    missing = api.post("/api/v1/calls", {"name": "A call without a purpose", "resource": "x"})
    assert (missing.status_code, missing.json()["field"]) == (422, "purpose")

    assert client.post("/api/v1/events", json=body).status_code == 401
    unknown = client.post("/api/v1/events", json=body, headers={"Authorization": "Bearer sn_no"})
    assert unknown.status_code == 401
    assert "invalid_token" in unknown.headers["www-authenticate"]
    assert unknown.json()["error"]

    headers = dict(api.headers)
    not_json = client.post(
        "/api/v1/events", content=b"name=x", headers=headers | {"Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    broken = client.post(
        "/api/v1/events", content=b"{", headers=headers | {"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]
    huge = client.post(
        "/api/v1/news",
        content=b'{"name": "' + b"x" * 1_100_000 + b'"}',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert api.get("/api/v1/events/nothing-here").status_code == 404
    # PostgreSQL answers NUL in a string with an error: such names never reach the database.
    assert api.get("/api/v1/events/a%00b").status_code == 404
    assert api.delete("/api/v1/series/a%00b").status_code == 404
    assert client.get("/items/a%00b").status_code == 404
    assert client.get("/tags/a%00b").status_code == 404
    assert client.get("/@n%00c/events").status_code == 404
    assert api.post("/api/v1/events", [1, 2]).status_code == 422
    assert outbox(engine) == []  # nothing was published by any of these


def test_lists_are_paged_with_an_opaque_cursor(api: Api) -> None:
    news = fixture("news_share_stories.json")
    uids = [api.post("/api/v1/news", news | {"name": f"Story {n}"}).json()["uid"] for n in range(3)]
    first = api.get("/api/v1/news?limit=2").json()
    assert [i["uid"] for i in first["items"]] == uids[::-1][:2]
    assert first["next"] is not None
    second = api.get(first["next"].removeprefix(BASE)).json()
    assert [i["uid"] for i in second["items"]] == [uids[0]]
    assert second["next"] is None
    assert api.get("/api/v1/news?cursor=nonsense").json()["field"] == "cursor"
    assert api.get("/api/v1/news?limit=0").status_code == 400
    assert api.get("/api/v1/events").json() == {"items": [], "next": None}


def test_an_edit_sends_an_update_with_a_newer_updated(api: Api, engine: Engine) -> None:
    created = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    edited = api.patch(created["api"].removeprefix(BASE), {"name": "Share your stories, please"})
    assert edited.status_code == 200
    doc = edited.json()["activitypub"]
    assert doc["name"] == "Share your stories, please"
    assert edited.json()["source"]["content"] == created["source"]["content"]  # merged
    assert doc["updated"] > created["activitypub"]["updated"]  # Mastodon needs it newer
    assert doc["published"] == created["activitypub"]["published"]
    [update] = outbox(engine, "Update")
    assert update["object"]["id"] == created["id"]
    assert update["object"]["updated"] == doc["updated"]
    assert edited.json()["statusNote"] is None
    # null removes a field (JSON Merge Patch); a bad value names the field
    assert "image" not in api.patch(created["api"], {"image": None}).json()["source"]
    assert api.patch(created["api"], {"kind": "poem"}).json()["field"] == "kind"


def test_cancelling_an_event_sends_the_update_and_a_reply_note(
    api: Api, client: TestClient, engine: Engine
) -> None:
    created = api.post(
        "/api/v1/events", future(fixture("forum_series.json") | {"recurrence": None})
    ).json()
    answer = api.patch(created["api"], {"status": "cancelled"})
    assert answer.status_code == 200
    assert answer.json()["activitypub"]["eventStatus"] == "EventCancelled"
    note_id = answer.json()["statusNote"]
    [update] = outbox(engine, "Update")
    assert update["object"]["status"] == "CANCELLED"
    creates = outbox(engine, "Create")
    note = creates[-1]["object"]
    assert note["id"] == note_id and note["type"] == "Note"
    assert note["inReplyTo"] == created["id"]
    assert note["content"].startswith("<p>Cancelled: Monthly peer support forum")
    assert client.get(note_id, headers=AS_ACCEPT).json()["inReplyTo"] == created["id"]
    # A new date without a status is announced as a new date; an unchanged date is not.
    moved = api.patch(
        created["api"],
        {
            "status": "scheduled",
            "startTime": "2027-01-21T18:30:00",
            "endTime": "2027-01-21T20:00:00",
        },
    ).json()
    assert moved["statusNote"] is not None
    assert "Confirmed" in outbox(engine, "Create")[-1]["object"]["content"]
    again = api.patch(
        created["api"], {"startTime": "2027-01-28T18:30:00", "endTime": "2027-01-28T20:00:00"}
    )
    assert "New date" in outbox(engine, "Create")[-1]["object"]["content"]
    assert again.json()["source"]["status"] == "scheduled"
    assert api.patch(created["api"], {"name": "Forum"}).json()["statusNote"] is None


def test_deleting_sends_a_delete_and_the_id_answers_410_with_a_tombstone(
    api: Api, client: TestClient, engine: Engine
) -> None:
    created = api.post("/api/v1/calls", fixture("call_group_purchasing.json")).json()
    assert api.delete(created["api"]).status_code == 204
    [delete] = outbox(engine, "Delete")
    assert delete["object"] == {
        "id": created["id"],
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": delete["object"]["deleted"],
    }
    gone = client.get(created["id"], headers=AS_ACCEPT)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert client.get(created["id"]).status_code == 410
    assert api.get(created["api"]).status_code == 410
    assert api.delete(created["api"]).status_code == 410
    with Session(engine) as session:
        assert session.exec(select(Tombstone).where(Tombstone.ap_id == created["id"])).one()


def test_sessions_belong_to_their_conference_of_the_same_organization(
    api: Api, client: TestClient, engine: Engine
) -> None:
    data = fixture("conference.json")
    conference = api.post("/api/v1/events", future(data["conference"])).json()
    sessions = [
        api.post("/api/v1/events", future(s) | {"parent": conference["id"]}).json()
        for s in data["sessions"]
    ]
    assert {s["activitypub"]["superEvent"] for s in sessions} == {conference["id"]}
    assert "Part of: <a href" in sessions[0]["activitypub"]["summary"]

    other = Api(client, make_org(engine, "sjn", "Social Justice Network"))
    refused = other.post(
        "/api/v1/events", future(data["sessions"][0]) | {"parent": conference["id"]}
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "parent")
    nested = api.post("/api/v1/events", future(data["sessions"][0]) | {"parent": sessions[0]["id"]})
    assert nested.json()["field"] == "parent"
    # Another organization's items are not there at all for this token.
    assert other.get(conference["api"]).status_code == 404

    api.delete(conference["api"])
    assert len(outbox(engine, "Delete")) == 4  # the conference and its three sessions
    assert all(api.get(s["api"]).status_code == 410 for s in sessions)
