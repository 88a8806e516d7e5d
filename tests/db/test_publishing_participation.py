"""Taking part in events, Mobilizon's way: Join → Accept (free), pending until approved
(restricted), Reject when full, Ignore when joins are not handled here; Leave withdraws. The
Join handlers run as the inbox job runs them; answers go to the joiner only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.features.participation import handlers as participation
from node.federation.inbox.dispatch import Incoming, Target
from node.federation.inbox.targets import resolve_target
from node.wiring import dispatcher
from tests.db.publishing_support import Api, fanout_jobs, fixture, future, make_org, outbox

ALICE = "https://mobilizon.example/@alice"
BOB = "https://mobilizon.example/@bob"
AS_ACCEPT = {"Accept": "application/activity+json"}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def event(api: Api, **changes: Any) -> dict[str, Any]:
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "free"}
    created = api.post("/api/v1/events", body | changes)
    assert created.status_code == 201, created.json()
    return dict(created.json())


def deliver(app: Starlette, kind: str, actor: str, obj: Any) -> str:
    """Run the handler of an incoming activity as the inbox job would."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }
    node = app.state.node
    with Session(node.engine) as session:
        target = resolve_target(node, session, activity)
    msg = Incoming(
        node=node,
        activity=activity,
        activity_id=activity["id"],
        type=kind,
        actor=actor,
        recipient="nec",
        inbox_row_id=0,
        target=target,
    )
    return asyncio.run(dispatcher().dispatch(msg))


def answers(engine: Engine) -> list[tuple[str, str, list[str]]]:
    """(type, the Join it answers, whom it goes to) of every answer sent."""
    jobs = {j["activity_id"]: j["audience"]["actors"] for j in fanout_jobs(engine)}
    return [
        (a["type"], a["object"]["actor"], jobs[a["id"]])
        for a in outbox(engine)
        if a["type"] in ("Accept", "Reject", "Ignore")
    ]


def test_a_free_event_accepts_until_full_and_a_leave_frees_the_place(
    app: Starlette, api: Api, client: TestClient, engine: Engine
) -> None:
    created = event(api, maximumAttendeeCapacity=1)
    assert deliver(app, "Join", ALICE, created["id"]) == "accepted"
    assert deliver(app, "Join", BOB, {"id": created["id"], "type": "Event"}).startswith("rejected")
    assert answers(engine) == [("Accept", ALICE, [ALICE]), ("Reject", BOB, [BOB])]
    [accept] = [a for a in outbox(engine) if a["type"] == "Accept"]
    assert accept["object"]["type"] == "Join" and accept["object"]["object"] == created["id"]
    assert accept["to"] == [ALICE]
    doc = client.get(created["id"], headers=AS_ACCEPT).json()
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 0)
    # Answers about who takes part are not public (not in the outbox collection).
    assert client.get("/actors/nec/outbox").json()["totalItems"] == 1

    assert deliver(app, "Leave", ALICE, created["id"]) == "left"
    assert client.get(created["id"], headers=AS_ACCEPT).json()["participantCount"] == 0
    assert deliver(app, "Join", BOB, created["id"]) == "accepted"
    listed = api.get(f"/api/v1/events/{created['uid']}/participants").json()
    assert [(p["actor"], p["state"]) for p in listed["items"]] == [
        (BOB, "accepted"),
        (ALICE, "left"),
    ]
    assert listed["participantCount"] == 1


def test_a_restricted_event_waits_for_the_organizers_approval(
    app: Starlette, api: Api, client: TestClient, engine: Engine
) -> None:
    created = event(api, joinMode="restricted", maximumAttendeeCapacity=1)
    assert deliver(app, "Join", ALICE, created["id"]) == "pending approval"
    assert deliver(app, "Join", BOB, created["id"]) == "pending approval"
    assert answers(engine) == []
    base = f"/api/v1/events/{created['uid']}/participants"
    pending = api.get(f"{base}?state=pending").json()["items"]
    alice = next(p for p in pending if p["actor"] == ALICE)
    bob = next(p for p in pending if p["actor"] == BOB)

    approved = api.post(f"{base}/{alice['id']}/approve", None)
    assert approved.status_code == 200 and approved.json()["state"] == "accepted"
    full = api.post(f"{base}/{bob['id']}/approve", None)
    assert full.status_code == 409 and "full" in full.json()["error"]
    assert api.post(f"{base}/{bob['id']}/reject", None).json()["state"] == "rejected"
    assert answers(engine) == [("Accept", ALICE, [ALICE]), ("Reject", BOB, [BOB])]
    assert client.get(created["id"], headers=AS_ACCEPT).json()["participantCount"] == 1
    # The online link, kept out of the public event, follows the Accept to Alice alone.
    link = "https://forum.example.org/live"
    assert link not in client.get(created["id"], headers=AS_ACCEPT).text
    [followup] = [a for a in outbox(engine, "Create") if a["to"] == [ALICE]]
    assert followup["object"]["type"] == "Note" and link in followup["object"]["content"]
    assert followup["object"]["tag"] == [{"type": "Mention", "href": ALICE}]
    audiences = {j["activity_id"]: j["audience"]["actors"] for j in fanout_jobs(engine)}
    assert audiences[followup["id"]] == [ALICE]
    assert client.get("/actors/nec/outbox").json()["totalItems"] == 1  # the event's Create
    assert api.post(f"{base}/999999/approve", None).status_code == 404
    assert api.post(f"{base}/99999999999999999999/approve", None).status_code == 404


@pytest.mark.parametrize(
    ("changes", "answer"),
    [
        ({"joinMode": "none"}, "Ignore"),
        ({"joinMode": "external", "externalParticipationUrl": "https://tickets.example"}, "Ignore"),
        ({"joinMode": "invite"}, "Reject"),
        ({"status": "cancelled"}, "Reject"),
    ],
)
def test_joins_this_node_does_not_take_are_answered(
    app: Starlette, api: Api, engine: Engine, changes: dict[str, Any], answer: str
) -> None:
    created = event(api, **changes)
    deliver(app, "Join", ALICE, created["id"])
    assert answers(engine) == [(answer, ALICE, [ALICE])]


def test_a_join_of_something_else_is_ignored_and_nothing_is_sent(
    app: Starlette, api: Api, engine: Engine
) -> None:
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    assert deliver(app, "Join", ALICE, news["id"]).startswith("ignored")
    assert deliver(app, "Join", ALICE, "https://elsewhere.example/events/1").startswith("ignored")
    assert deliver(app, "Leave", ALICE, news["id"]).startswith("ignored")
    assert answers(engine) == []


def test_a_repeated_join_is_answered_again_without_counting_twice(
    app: Starlette, api: Api, client: TestClient, engine: Engine
) -> None:
    created = event(api)
    deliver(app, "Join", ALICE, created["id"])
    deliver(app, "Join", ALICE, created["id"])
    assert [a[0] for a in answers(engine)] == ["Accept", "Accept"]
    assert client.get(created["id"], headers=AS_ACCEPT).json()["participantCount"] == 1


def test_the_join_and_leave_handlers_are_registered_once() -> None:
    handlers = dispatcher()
    assert handlers.handler_for("Join", Target.EVENT) is participation.on_join
    assert handlers.handler_for("Leave", Target.EVENT) is participation.on_leave
    with pytest.raises(ValueError, match="already has a handler"):
        handlers.on("Join", Target.ANY, participation.on_join)
