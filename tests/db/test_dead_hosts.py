"""A dead host's backlog: held in one UPDATE per retry round, never claimed job by job.

The story: a co-op's follower sits on a server that went down (a closed loopback port). The
co-op keeps publishing, so deliveries pile up for that server. One delivery fails, the
circuit opens, and from then on each retry round costs one claim (the probe) and one UPDATE,
however many activities wait; when the time comes they are all still there.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import Engine, text

from node.db import epoch, session_scope, write_connection
from node.federation import jobs
from node.federation import outbox as delivery
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.outbox import Audience, CircuitPolicy, DeliveryConfig
from node.federation.worker import Outcome, Registry, Retry, Worker
from node.models import Follower, LocalActor
from node.settings import Settings

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONFIG = DeliveryConfig(circuit=CircuitPolicy(threshold=1, min_span=0, base=60, cache_ttl=0))


def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def time_passes(engine: Engine, seconds: float) -> None:
    """Move every stored time back by ``seconds``, as if that much time had gone by."""
    with write_connection(engine) as conn:
        conn.execute(text("UPDATE job SET run_at = run_at - :s"), {"s": seconds})
        conn.execute(
            text(
                "UPDATE host_state SET open_until = open_until - :s,"
                " first_failure_at = first_failure_at - :s"
            ),
            {"s": seconds},
        )


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def coop(engine: Engine) -> LocalActor:
    with session_scope(engine) as session:
        return create_actor(session, "coop", kind="organization", name="Coop")


async def publish(node: NodeContext, coop: LocalActor, count: int, first: int = 0) -> None:
    """``count`` public notes, each fanned out (deliver jobs queued, none run)."""
    with session_scope(node.engine) as session:
        for n in range(first, first + count):
            doc = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{BASE}/activities/{n}",
                "type": "Create",
                "actor": f"{BASE}/actors/coop",
                "to": [PUBLIC],
                "object": {"id": f"{BASE}/items/{n}", "type": "Note", "content": f"note {n}"},
            }
            delivery.send(session, coop, doc, Audience(followers=True))

    async def fan_out(node: NodeContext, job: jobs.ClaimedJob) -> Outcome:
        return await delivery.fan_out(node, job, CONFIG)

    registry = Registry()
    registry.register(delivery.FANOUT, fan_out)
    await Worker(node, registry).drain()


async def one_round(node: NodeContext) -> int:
    """Claim every due deliver job, run it, record it; returns how many were claimed."""
    claimed = jobs.claim(node.engine, "w", limit=1000, kinds=[delivery.DELIVER])
    for job in claimed:
        outcome = await delivery.deliver(node, job, CONFIG)
        assert isinstance(outcome, Retry), outcome
        assert outcome.delay is not None
        jobs.retry_later(node.engine, job.id, "w", delay=outcome.delay, error=outcome.error)
    return len(claimed)


async def test_a_dead_hosts_backlog_costs_one_claim_per_retry_round(
    engine: Engine, node: NodeContext, coop: LocalActor
) -> None:
    host = f"127.0.0.1:{closed_port()}"
    assert coop.id is not None
    with session_scope(engine) as session:
        session.add(Follower(actor_id=coop.id, remote_id="https://x/u", inbox=f"http://{host}/in"))
    await publish(node, coop, 1)
    try:
        # The first delivery is refused: the circuit opens and that job becomes the probe.
        assert await one_round(node) == 1
        await publish(node, coop, 12, first=1)  # the co-op keeps publishing during the outage
        assert await one_round(node) == 12  # new work is looked at once, then joins the hold
        queued = rows(engine, "SELECT host, attempts, run_at FROM job WHERE kind = 'deliver'")
        assert {r.host for r in queued} == {host} and len(queued) == 13
        open_until = rows(engine, "SELECT open_until FROM host_state")[0].open_until
        for _ in range(3):  # three retry rounds: one claim each, the probe
            time_passes(engine, open_until - epoch() + 1)
            assert await one_round(node) == 1
            open_until = rows(engine, "SELECT open_until FROM host_state")[0].open_until
        probe, *held = rows(
            engine, "SELECT attempts, last_error FROM job WHERE kind = 'deliver' ORDER BY id"
        )
        assert probe.attempts == 4  # claimed in each of the four rounds
        # every held job counted each round as an attempt, without being claimed
        assert [r.attempts for r in held] == [4] * 12
        assert all(r.last_error.startswith(f"held: circuit open for {host}") for r in held)
        # nothing is lost: once the probe's window is over, all 13 are there to be sent
        time_passes(engine, open_until - epoch() + CONFIG.circuit.probe_window + 1)
        ready = jobs.claim(engine, "w", limit=100, kinds=[delivery.DELIVER])
        assert len(ready) == 13
    finally:
        await node.close_http()


def test_hold_leaves_leased_jobs_and_other_hosts_alone_and_ends_a_hopeless_backlog(
    engine: Engine,
) -> None:
    def host_of(payload: Any) -> str:
        return str(payload["host"])

    with write_connection(engine) as conn:
        payloads = [({"n": n, "host": "down.example"}, f"k{n}") for n in range(3)]
        jobs.enqueue_many(
            conn, "deliver", [*payloads, ({"host": "up.example"}, "up")], host_of=host_of
        )
    leased = jobs.claim(engine, "w", limit=1)[0]
    for _ in range(2):
        with write_connection(engine) as conn:
            moved = jobs.hold_host(
                conn, "down.example", delay=60, before=epoch() + 30, error="down", max_attempts=2
            )
        assert moved == 2
        with write_connection(engine) as conn:  # pretend the hold's time is over
            conn.execute(text("UPDATE job SET run_at = 0 WHERE id <> :id"), {"id": leased.id})
    states = rows(engine, "SELECT id, host, state, attempts FROM job ORDER BY id")
    assert [(r.host, r.state, r.attempts) for r in states] == [
        ("down.example", "ready", 1),  # the leased one: its worker decides
        ("down.example", "dead", 2),
        ("down.example", "dead", 2),
        ("up.example", "ready", 0),
    ]
