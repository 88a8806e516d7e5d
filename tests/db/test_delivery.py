"""Delivery on SQLite and PostgreSQL without the network: send, fan-out, circuit, pruning."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from node.db import session_scope
from node.federation import jobs
from node.federation import outbox as delivery
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.outbox import Audience, CircuitPolicy, DeliveryConfig, HostHealth
from node.federation.worker import Done, Fail, Registry
from node.models import Follower, LocalActor, OutboxActivity, RemoteActor
from node.settings import Settings
from node.wiring import job_registry

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def coop(engine: Engine) -> LocalActor:
    with session_scope(engine) as session:
        return create_actor(session, "coop", kind="organization", name="Coop")


def activity(n: int = 1, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BASE}/activities/{n}",
        "type": "Create",
        "actor": f"{BASE}/actors/coop",
        "to": [PUBLIC],
        "object": {"id": f"{BASE}/items/{n}", "type": "Note", "content": "hi"},
    }
    doc.update(fields)
    return doc


def add_followers(engine: Engine, actor: LocalActor, rows: list[tuple[str, str, str, str]]) -> None:
    """rows: (remote_id, inbox, shared_inbox, state)."""
    assert actor.id is not None
    with session_scope(engine) as session:
        for remote_id, inbox, shared, state in rows:
            session.add(
                Follower(
                    actor_id=actor.id,
                    remote_id=remote_id,
                    inbox=inbox,
                    shared_inbox=shared,
                    state=state,
                )
            )


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def payload_of(row: Any) -> dict[str, Any]:
    return row.payload if isinstance(row.payload, dict) else orjson.loads(row.payload)


def deliver_inboxes(engine: Engine) -> list[str]:
    found = rows(engine, "SELECT payload FROM job WHERE kind = 'deliver' ORDER BY id")
    return [payload_of(r)["inbox"] for r in found]


async def run_fanout(node: NodeContext, config: DeliveryConfig | None = None) -> Any:
    [job] = jobs.claim(node.engine, "test", kinds=["fanout"], limit=1)
    return await delivery.fan_out(node, job, config or DeliveryConfig())


# --- send --------------------------------------------------------------------------------------


def test_send_stores_the_activity_and_enqueues_one_fanout_in_the_callers_transaction(
    engine: Engine, coop: LocalActor
) -> None:
    doc = activity(cc=[f"{BASE}/actors/coop/followers"])
    with session_scope(engine) as session:
        delivery.send(session, coop, doc, Audience(followers=True, exclude=("https://x/a",)))
    [stored] = rows(engine, "SELECT ap_id, type, object_id, public, actor_id FROM outbox_activity")
    assert (stored.ap_id, stored.type, stored.object_id) == (doc["id"], "Create", f"{BASE}/items/1")
    assert stored.public and stored.actor_id == coop.id
    [job] = rows(engine, "SELECT kind, payload, dedupe_key, state FROM job")
    assert job.kind == "fanout" and job.state == "ready"
    assert job.dedupe_key == f"fanout:{doc['id']}"
    assert payload_of(job) == {
        "activity_id": doc["id"],
        "actor_id": coop.id,
        "audience": {
            "followers": True,
            "actors": [],
            "inboxes": [],
            "exclude": ["https://x/a"],
        },
    }


def test_send_rolls_back_with_the_caller(engine: Engine, coop: LocalActor) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        delivery.send(session, coop, activity(), Audience(followers=True))
        raise RuntimeError("the publishing request failed after send()")
    assert rows(engine, "SELECT id FROM outbox_activity") == []
    assert rows(engine, "SELECT id FROM job") == []


@pytest.mark.parametrize(
    ("to", "cc", "public"),
    [
        ([PUBLIC], [], True),
        ([], "as:Public", True),
        (f"{BASE}/actors/coop/followers", [], False),
        (["https://m/alice"], [], False),
    ],
)
def test_public_defaults_to_public_addressing(
    engine: Engine, coop: LocalActor, to: Any, cc: Any, public: bool
) -> None:
    with session_scope(engine) as session:
        delivery.send(session, coop, activity(to=to, cc=cc), Audience(followers=True))
    assert [r.public for r in rows(engine, "SELECT public FROM outbox_activity")] == [public]


def test_send_of_an_already_stored_id_keeps_the_stored_document_and_one_fanout(
    engine: Engine, coop: LocalActor
) -> None:
    with session_scope(engine) as session:
        delivery.send(session, coop, activity(), Audience(followers=True), public=False)
    with session_scope(engine) as session:
        changed = activity(type="Update")
        delivery.send(session, coop, changed, Audience(followers=True))
    [stored] = rows(engine, "SELECT type, public FROM outbox_activity")
    assert stored.type == "Create" and not stored.public
    assert len(rows(engine, "SELECT id FROM job WHERE kind = 'fanout'")) == 1


def test_send_refuses_an_activity_without_an_id(engine: Engine, coop: LocalActor) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="id"):
        delivery.send(session, coop, {"type": "Create"}, Audience(followers=True))


def test_audience_refuses_a_bare_string_for_a_tuple() -> None:
    with pytest.raises(TypeError):
        Audience(actors="https://m/alice")  # type: ignore[arg-type]
    assert Audience.from_payload(Audience(actors=("a",), exclude=("b",)).to_payload()) == Audience(
        actors=("a",), exclude=("b",)
    )


def test_delivery_is_one_of_the_job_modules() -> None:
    assert {"fanout", "deliver", "inbox", "series"} <= job_registry().kinds
    registry = Registry()
    delivery.register(registry)
    assert {"fanout", "deliver"} <= registry.kinds
    assert registry.policy("deliver").is_permanent(410)
    assert not registry.policy("deliver").is_permanent(401)


# --- fan-out -----------------------------------------------------------------------------------


async def test_fanout_groups_followers_by_shared_inbox_and_excludes(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    add_followers(
        engine,
        coop,
        [
            ("https://m/alice", "https://m/users/alice/inbox", "https://m/inbox", "accepted"),
            ("https://m/bob", "https://m/users/bob/inbox", "https://m/inbox", "accepted"),
            ("https://g/carol", "https://g/carol/inbox", "", "accepted"),
            ("https://p/pending", "https://p/inbox", "", "pending"),
            ("https://o/origin", "https://o/origin/inbox", "https://o/inbox", "accepted"),
            ("https://x/blocked", "https://x/inbox", "", "accepted"),
        ],
    )
    with session_scope(engine) as session:
        other = create_actor(session, "other", kind="network", name="Other")
    add_followers(engine, other, [("https://z/zed", "https://z/inbox", "", "accepted")])
    audience = Audience(
        followers=True,
        inboxes=("https://relay/inbox", "https://m/inbox", "https://x/inbox"),
        exclude=("https://o/origin", "https://x/inbox"),
    )
    with session_scope(engine) as session:
        delivery.send(session, coop, activity(), audience)
    assert isinstance(await run_fanout(node), Done)
    assert deliver_inboxes(engine) == [
        "https://m/inbox",
        "https://g/carol/inbox",
        "https://relay/inbox",
    ]
    [first] = rows(engine, "SELECT payload, dedupe_key FROM job WHERE kind = 'deliver' LIMIT 1")
    assert payload_of(first) == {
        "activity_id": f"{BASE}/activities/1",
        "actor_id": coop.id,
        "inbox": "https://m/inbox",
    }
    assert first.dedupe_key == f"deliver:{BASE}/activities/1:https://m/inbox"


async def test_fanout_to_a_large_audience_batches_and_is_safe_to_run_again(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    add_followers(
        engine,
        coop,
        [(f"https://h{i}/a", f"https://h{i}/inbox", "", "accepted") for i in range(1201)],
    )
    with session_scope(engine) as session:
        delivery.send(session, coop, activity(), Audience(followers=True))
    config = DeliveryConfig(enqueue_batch=500)
    [job] = jobs.claim(engine, "test", kinds=["fanout"])
    assert isinstance(await delivery.fan_out(node, job, config), Done)
    assert len(deliver_inboxes(engine)) == 1201
    # a fan-out that crashed after its inserts runs again: nothing is doubled
    assert isinstance(await delivery.fan_out(node, job, config), Done)
    assert len(deliver_inboxes(engine)) == 1201


async def test_fanout_wakes_the_worker_as_each_batch_of_deliveries_is_committed(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    """The first deliveries of a big fan-out go out while the rest are still being written:
    every committed batch wakes the worker, and what it then finds is already committed."""
    add_followers(
        engine,
        coop,
        [(f"https://h{i}/a", f"https://h{i}/inbox", "", "accepted") for i in range(5)],
    )
    with session_scope(engine) as session:
        delivery.send(session, coop, activity(), Audience(followers=True))
    seen: list[int] = []
    node.wake_worker = lambda: seen.append(len(deliver_inboxes(engine)))
    assert isinstance(await run_fanout(node, DeliveryConfig(enqueue_batch=2)), Done)
    assert seen == [2, 4, 5]
    # Run again (a crash after the inserts): nothing new, nobody woken for nothing.
    seen.clear()
    [job] = jobs.claim(engine, "again", kinds=["fanout"], now=time.time() + 10**6)
    assert isinstance(await delivery.fan_out(node, job, DeliveryConfig(enqueue_batch=2)), Done)
    assert seen == [] and len(deliver_inboxes(engine)) == 5


async def test_fanout_of_an_unknown_activity_fails(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    with session_scope(engine) as session:
        jobs.enqueue(
            session.connection(),
            "fanout",
            {"activity_id": "https://nowhere/1", "actor_id": coop.id, "audience": {}},
        )
    outcome = await run_fanout(node)
    assert isinstance(outcome, Fail) and "not stored" in outcome.error


async def test_very_long_ids_get_hashed_dedupe_keys(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    long_id = f"{BASE}/activities/" + "a" * 900
    long_inbox = "https://m.example/" + "i" * 900
    with session_scope(engine) as session:
        doc = activity(id=long_id)
        delivery.send(session, coop, doc, Audience(inboxes=(long_inbox,)))
        delivery.send(session, coop, doc, Audience(inboxes=(long_inbox,)))
    assert isinstance(await run_fanout(node), Done)
    keys = [r.dedupe_key for r in rows(engine, "SELECT dedupe_key FROM job ORDER BY id")]
    assert len(keys) == 2 and all(len(k) <= 512 for k in keys)
    assert keys[0].startswith("fanout:sha256:") and keys[1].startswith("deliver:sha256:")
    assert deliver_inboxes(engine) == [long_inbox]


async def test_explicit_actors_resolve_to_personal_or_shared_inboxes_and_failures_are_skipped(
    engine: Engine, node: NodeContext, coop: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.federation.remote import actors as remote

    known = {
        f"https://m/{name}": RemoteActor(
            ap_id=f"https://m/{name}",
            inbox=f"https://m/users/{name}/inbox",
            shared_inbox="https://m/inbox",
        )
        for name in ("alice", "bob")
    }

    async def fake_get_remote_actor(_node: Any, actor_id: str, **_kw: Any) -> RemoteActor:
        if actor_id not in known:
            raise remote.RemoteActorError("not_found", f"no {actor_id}")
        return known[actor_id]

    monkeypatch.setattr(remote, "get_remote_actor", fake_get_remote_actor)
    with session_scope(engine) as session:
        actors = ("https://m/alice", "https://gone/zoe", "https://m/bob")
        delivery.send(session, coop, activity(1), Audience(actors=actors))
        delivery.send(session, coop, activity(2), Audience(followers=True, actors=actors))
    assert isinstance(await run_fanout(node), Done)
    assert isinstance(await run_fanout(node), Done)
    assert deliver_inboxes(engine) == [
        "https://m/users/alice/inbox",  # addressed to actors alone: personal inboxes
        "https://m/users/bob/inbox",
        "https://m/inbox",  # with followers: the shared inbox, once
    ]


# --- the circuit breaker -----------------------------------------------------------------------


def host_state(engine: Engine, host: str) -> Any:
    found = rows(engine, "SELECT * FROM host_state WHERE host = :h", h=host)
    return found[0] if found else None


async def test_circuit_needs_enough_failures_over_enough_time(engine: Engine) -> None:
    health = HostHealth(engine, CircuitPolicy(threshold=3, min_span=60, base=60, cache_ttl=0))
    t0 = 1_000_000.0
    assert await health.wait_before_sending("m.example", t0) is None
    for i in range(5):  # a burst: many failures, no time span
        await health.record_failure("m.example", "connect error", t0 + i)
    row = host_state(engine, "m.example")
    assert row.consecutive_failures == 5 and row.open_until is None
    assert await health.wait_before_sending("m.example", t0 + 5) is None
    await health.record_failure("m.example", "connect error", t0 + 90)
    row = host_state(engine, "m.example")
    assert row.open_until == pytest.approx(t0 + 90 + 90)  # open as long as it has been failing
    assert await health.wait_before_sending("m.example", t0 + 100) == pytest.approx(80)


async def test_half_open_circuit_lets_one_probe_through_and_success_closes_it(
    engine: Engine,
) -> None:
    policy = CircuitPolicy(threshold=1, min_span=0, base=60, probe_window=30, cache_ttl=0)
    health = HostHealth(engine, policy)
    other_process = HostHealth(engine, policy)
    t0 = 2_000_000.0
    await health.record_failure("h", "503", t0)
    assert await health.wait_before_sending("h", t0 + 10) == pytest.approx(50)
    # after the period: the first caller probes, the next waits for the probe
    assert await health.wait_before_sending("h", t0 + 61) is None
    assert await other_process.wait_before_sending("h", t0 + 62) == pytest.approx(29)
    # the probe fails: open again, for as long as the host has been failing
    await health.record_failure("h", "503", t0 + 70)
    assert host_state(engine, "h").open_until == pytest.approx(t0 + 70 + 70)
    assert await health.wait_before_sending("h", t0 + 141) is None
    await health.record_success("h", t0 + 142)
    row = host_state(engine, "h")
    assert (row.consecutive_failures, row.first_failure_at, row.open_until) == (0, None, None)
    assert await other_process.wait_before_sending("h", t0 + 143) is None


async def test_retry_after_pauses_a_host_without_counting_a_failure(engine: Engine) -> None:
    health = HostHealth(engine, CircuitPolicy(cache_ttl=0))
    t0 = 3_000_000.0
    await health.pause("h", t0 + 600, "429", t0)
    row = host_state(engine, "h")
    assert row.consecutive_failures == 0 and row.open_until == t0 + 600
    await health.pause("h", t0 + 10, "429", t0)  # a shorter pause never shortens a longer one
    assert host_state(engine, "h").open_until == t0 + 600
    assert await health.wait_before_sending("h", t0 + 1) == pytest.approx(599)


async def test_a_healthy_host_costs_no_write(engine: Engine) -> None:
    health = HostHealth(engine, CircuitPolicy())
    assert await health.wait_before_sending("ok.example", 1.0) is None
    await health.record_success("ok.example", 1.0)
    assert host_state(engine, "ok.example") is None


# --- pruning and Retry-After -------------------------------------------------------------------


@pytest.fixture
def followers(engine: Engine, coop: LocalActor) -> Iterator[None]:
    add_followers(
        engine,
        coop,
        [
            ("https://m/a", "https://m/u/a", "https://m/inbox", "accepted"),
            ("https://m/b", "https://m/u/b", "https://m/inbox", "accepted"),
            ("https://s/c", "https://s/u/c", "", "accepted"),
        ],
    )
    yield


def remaining(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(Follower.remote_id)).all())


@pytest.mark.usefixtures("followers")
def test_404_on_a_shared_inbox_prunes_nobody(engine: Engine) -> None:
    assert delivery.prune_followers(engine, "https://m/inbox", 404) == 0
    assert remaining(engine) == ["https://m/a", "https://m/b", "https://s/c"]


@pytest.mark.usefixtures("followers")
def test_410_on_a_shared_inbox_prunes_the_whole_server(engine: Engine) -> None:
    assert delivery.prune_followers(engine, "https://m/inbox", 410) == 2
    assert remaining(engine) == ["https://s/c"]


@pytest.mark.usefixtures("followers")
def test_404_on_a_personal_inbox_prunes_that_follower(engine: Engine) -> None:
    assert delivery.prune_followers(engine, "https://s/u/c", 404) == 1
    assert delivery.prune_followers(engine, "https://m/u/a", 500) == 0
    assert remaining(engine) == ["https://m/a", "https://m/b"]


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = time.time()
    assert delivery.parse_retry_after({"Retry-After": "120"}, now) == 120
    in_ten_minutes = formatdate(now + 600, usegmt=True)
    assert delivery.parse_retry_after({"Retry-After": in_ten_minutes}, now) == pytest.approx(
        600, abs=1.5
    )
    past = formatdate(now - 600, usegmt=True)
    assert delivery.parse_retry_after({"Retry-After": past}, now) == 0
    assert delivery.parse_retry_after({"Retry-After": "soon"}, now) is None
    assert delivery.parse_retry_after({"Retry-After": "-5"}, now) is None
    assert delivery.parse_retry_after({}, now) is None


def test_inbox_host_keeps_the_port() -> None:
    assert delivery.inbox_host("http://127.0.0.1:8001/inbox") == "127.0.0.1:8001"
    assert delivery.inbox_host("https://Mastodon.Social/inbox") == "mastodon.social"
    assert delivery.inbox_host("ftp://x/inbox") is None
    assert delivery.inbox_host("not a url") is None


async def test_stored_document_is_what_goes_out(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    doc = activity(name="Café ☕", content="<p>ü</p>")
    with session_scope(engine) as session:
        delivery.send(session, coop, doc, Audience(followers=True))
    with Session(engine) as session:
        # not signed inside the caller's write transaction: its fan-out job signs it
        assert "signature" not in session.exec(select(OutboxActivity.document)).one()
    assert isinstance(await run_fanout(node), Done)
    with Session(engine) as session:
        stored = session.exec(select(OutboxActivity.document)).one()
    # public activities go out signed (node/federation/outbox/signing.py); the rest is as given
    unsigned = {k: v for k, v in stored.items() if k not in {"signature", "proof", "@context"}}
    assert orjson.dumps(unsigned) == orjson.dumps({k: v for k, v in doc.items() if k != "@context"})
    assert stored["signature"]["type"] == "RsaSignature2017"


async def test_deliver_of_a_vanished_activity_is_given_up_without_sending(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    job = jobs.ClaimedJob(
        id=1,
        kind="deliver",
        payload={"activity_id": f"{BASE}/gone", "actor_id": coop.id, "inbox": "https://m/inbox"},
        attempts=1,
        dedupe_key=None,
    )
    outcome = await delivery.deliver(node, job, DeliveryConfig())
    assert isinstance(outcome, Fail) and "no longer exists" in outcome.error
    # decided before anything was sent: the client vetted the inbox URL and opened no pool
    assert node.http is None or node.http._transport is None
    bad = jobs.ClaimedJob(1, "deliver", {**job.payload, "inbox": "mailto:x@y"}, 1, None)
    assert isinstance(await delivery.deliver(node, bad, DeliveryConfig()), Fail)
