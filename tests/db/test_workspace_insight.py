"""Insight: an organization sees how far its conference went (servers and followers reached,
failures, retries), what people did with it (replies, likes, boosts, a network's
re-announce), who takes part, and its followers over time, counted daily by a job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.db import now_utc, session_scope
from node.features.workspace.follower_history import SNAPSHOT_JOB
from node.federation.context import NodeContext
from node.federation.jobs import enqueue
from node.federation.outbox.fanout import DELIVER, deliver_key
from node.federation.worker import Worker
from node.models import (
    Follower,
    FollowerCount,
    Interaction,
    Item,
    Job,
    LocalActor,
    NetworkItem,
    OutboxActivity,
    OutgoingMembership,
    Participant,
)
from node.settings import Settings
from node.wiring import job_registry
from tests.db.publishing_support import Api, fixture, future, make_org
from tests.db.workspace_support import make_person, sign_in

CONFERENCE = fixture("conference.json")["conference"]
NETWORK = "https://network.example/actors/nec-network"


def _followers(engine: Engine) -> None:
    """Three accepted followers: two share mastodon.example's inbox, one on social.example;
    one waits for approval."""
    with session_scope(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        assert actor.id is not None
        for name, shared in [("ana", "https://mastodon.example/inbox"),
                             ("bo", "https://mastodon.example/inbox"),
                             ("cy", "")]:  # fmt: skip
            host = "mastodon.example" if shared else "social.example"
            remote = f"https://{host}/users/{name}"
            session.add(Follower(actor_id=actor.id, remote_id=remote, inbox=f"{remote}/inbox",
                                 shared_inbox=shared, state="accepted"))  # fmt: skip
        session.add(Follower(actor_id=actor.id, remote_id="https://x.example/u/d", state="pending"))
        session.add(OutgoingMembership(actor_id=actor.id, network=NETWORK, join_id="j1",
                                       state="accepted"))  # fmt: skip


def _deliveries_as_the_worker_left_them(engine: Engine, event_id: str) -> None:
    states = {"https://mastodon.example/inbox": ("done", 1, 202),
              "https://social.example/users/cy/inbox": ("done", 1, 202),
              "https://gone.example/inbox": ("dead", 16, 500),
              "https://slow.example/inbox": ("ready", 3, 503)}  # fmt: skip
    with session_scope(engine) as session:
        create = session.exec(
            select(OutboxActivity).where(OutboxActivity.object_id == event_id)
        ).one()
        for inbox, (state, attempts, status) in states.items():
            key = deliver_key(create.ap_id, inbox)
            conn = session.connection()
            enqueue(conn, DELIVER, {"activity_id": create.ap_id, "inbox": inbox}, dedupe_key=key)
            session.exec(
                update(Job)
                .where(col(Job.dedupe_key) == key)
                .values(state=state, attempts=attempts, last_status=status)
            )


def _what_people_did(engine: Engine, event_id: str) -> None:
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event_id)).one()
        assert item.id is not None
        for n, (kind, actor) in enumerate(
            [("like", "https://mastodon.example/users/ana"), ("reply", "https://social.example/users/cy"),
             ("announce", "https://mastodon.example/users/bo"), ("announce", NETWORK)]
        ):  # fmt: skip
            session.add(Interaction(activity_id=f"https://x.example/a/{n}", kind=kind,
                                    actor=actor, object_id=event_id))  # fmt: skip
        session.add(Participant(item_id=item.id, actor="https://mastodon.example/users/ana",
                                join_id="https://mastodon.example/j/1", state="accepted"))  # fmt: skip
        session.add(Participant(item_id=item.id, join_id="urn:uuid:r1", name="Lu",
                                email="lu@example.org", state="accepted"))  # fmt: skip
        session.add(Participant(item_id=item.id, join_id="urn:uuid:r2", name="Mo", state="pending"))


def _cells(html: str, label: str) -> str:
    row = html.split(f'<th scope="row">{label}</th>', 1)[1].split("</tr>", 1)[0]
    return " ".join(c.split("</td>")[0] for c in row.split('<td class="num">')[1:])


def test_an_events_insight_shows_its_reach_engagement_and_participants(
    client: TestClient, engine: Engine
) -> None:
    api = Api(client, make_org(engine))
    event = api.post("/api/v1/events", future(CONFERENCE)).json()
    _followers(engine)
    _deliveries_as_the_worker_left_them(engine, event["id"])
    _what_people_did(engine, event["id"])
    make_person(engine, "ana@nec.example", ("nec", "editor"))
    sign_in(client, "ana@nec.example")

    overview = client.get("/workspace/nec/insight")
    assert overview.status_code == 200
    assert 'aria-current="page">Insight</a>' in overview.text
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
    link = f"/workspace/nec/items/{item.id}/insight"
    assert link in overview.text

    html = client.get(link).text
    assert _cells(html, "Servers delivered to") == "2"
    assert _cells(html, "Followers reached") == "3"  # two through the shared inbox
    assert _cells(html, "Deliveries failed") == "1"
    assert _cells(html, "Deliveries still retrying") == "1"
    assert "Failed: gone.example" in html and "Retrying: slow.example" in html
    assert _cells(html, "Replies") == "1" and _cells(html, "Likes") == "1"
    assert _cells(html, "Boosts") == "2"
    assert _cells(html, "Network re-announces") == "1"  # the network's boost
    assert _cells(html, "accepted") == "1 1"
    assert _cells(html, "pending") == "0 1"


def test_a_local_networks_relay_counts_as_a_reannounce(client: TestClient, engine: Engine) -> None:
    api = Api(client, make_org(engine))
    event = api.post("/api/v1/events", future(CONFERENCE)).json()
    make_org(engine, "net", "A network")
    with session_scope(engine) as session:
        net = session.exec(select(LocalActor).where(LocalActor.slug == "net")).one()
        assert net.id is not None
        session.add(NetworkItem(network_id=net.id, object_id=event["id"], author="x",
                                state="relayed"))  # fmt: skip
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
    make_person(engine, "ana@nec.example", ("nec", "editor"))
    sign_in(client, "ana@nec.example")
    html = client.get(f"/workspace/nec/items/{item.id}/insight").text
    assert _cells(html, "Network re-announces") == "1"


def test_someone_elses_item_is_not_found(client: TestClient, engine: Engine) -> None:
    api = Api(client, make_org(engine))
    event = api.post("/api/v1/events", future(CONFERENCE)).json()
    make_org(engine, "other", "Another co-op")
    make_person(engine, "ed@other.example", ("other", "admin"))
    sign_in(client, "ed@other.example")
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
    assert client.get(f"/workspace/other/items/{item.id}/insight").status_code == 404
    assert client.get("/workspace/other/items/nope/insight").status_code == 404


def test_followers_are_counted_daily_and_the_count_schedules_the_next(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    make_org(engine)
    _followers(engine)
    make_person(engine, "ana@nec.example", ("nec", "editor"))
    sign_in(client, "ana@nec.example")
    client.get("/workspace/nec/insight")  # starts the daily count
    client.get("/workspace/nec/insight")  # once
    with session_scope(engine) as session:
        jobs = session.exec(select(Job).where(Job.kind == SNAPSHOT_JOB)).all()
        assert len(jobs) == 1
        # as it will be at 00:05 tomorrow: today's job is due (its key names the day it runs)
        first = f"{SNAPSHOT_JOB}:{now_utc().strftime('%Y-%m-%d')}"
        session.exec(
            update(Job).where(col(Job.kind) == SNAPSHOT_JOB).values(run_at=0, dedupe_key=first)
        )
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        yesterday = (now_utc() - timedelta(days=1)).strftime("%Y-%m-%d")
        session.add(FollowerCount(actor_id=actor.id or 0, day=yesterday, accepted=1))

    async def run() -> None:
        node = NodeContext.build(settings, engine)
        await Worker(node, job_registry()).run_once()

    asyncio.run(run())
    with Session(engine) as session:
        today = now_utc().strftime("%Y-%m-%d")
        counted = session.exec(
            select(FollowerCount).where(
                FollowerCount.day == today, FollowerCount.actor_id == actor.id
            )
        ).one()
        assert (counted.accepted, counted.pending) == (3, 1)
        keys = {
            j.dedupe_key: j.state for j in session.exec(select(Job).where(Job.kind == SNAPSHOT_JOB))
        }
    assert keys[first] == "done" and len(keys) == 2  # tomorrow's is queued
    html = client.get("/workspace/nec/insight").text
    assert f'<th scope="row">{yesterday}</th>' in html and f'<th scope="row">{today}</th>' in html
