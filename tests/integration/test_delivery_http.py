"""Delivery stories over real HTTP: loopback aiohttp inboxes receive signed POSTs from the worker.

Each story publishes through ``delivery.send`` and steps the worker; every POST an inbox
receives is checked with our own signature verifier against the sender's public key. Time is
moved by rewriting ``job.run_at`` / ``host_state.open_until`` rather than by sleeping.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import orjson
import pytest
from aiohttp import web
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from node.activitypub import keys
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.db import session_scope
from node.federation import outbox as delivery
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.http import HttpClient
from node.federation.outbox import Audience, CircuitPolicy, DeliveryConfig
from node.federation.policy import forget_policy
from node.federation.worker import Registry, Worker
from node.models import DomainBlock, Follower, LocalActor, OutboxActivity, RemoteActor
from tests.harness.ports import free_port

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

pytestmark = pytest.mark.integration


# --- a loopback inbox ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Responder = Callable[[Received], web.Response | Awaitable[web.Response]]


class InboxServer:
    """A real HTTP server on 127.0.0.1 that records every POST and answers as told."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.received: list[Received] = []
        self.respond: Responder = respond or (lambda _r: web.Response(status=202))
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> InboxServer:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(request.raw_path, list(request.headers.items()), await request.read())
        self.received.append(received)
        answer = self.respond(received)
        return await answer if inspect.isawaitable(answer) else answer


@pytest.fixture
async def servers() -> AsyncIterator[Callable[..., Any]]:
    started: list[InboxServer] = []

    async def start(respond: Responder | None = None, port: int = 0) -> InboxServer:
        server = await InboxServer(respond).start(port)
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()


# --- the node side ---------------------------------------------------------------------------


CONFIG = DeliveryConfig(circuit=CircuitPolicy(cache_ttl=0.0))


@pytest.fixture
async def node(settings: Any, engine: Engine) -> AsyncIterator[NodeContext]:
    ctx = NodeContext.build(settings, engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


def make_worker(node: NodeContext, config: DeliveryConfig = CONFIG) -> Worker:
    registry = Registry()
    delivery.register(registry, config=config)
    return Worker(node, registry)


@pytest.fixture
def coop(engine: Engine) -> LocalActor:
    with session_scope(engine) as session:
        return create_actor(session, "coop", kind="organization", name="Riverside Co-op")


def follow(engine: Engine, actor: LocalActor, remote: str, inbox: str, shared: str = "") -> None:
    assert actor.id is not None
    with session_scope(engine) as session:
        session.add(Follower(actor_id=actor.id, remote_id=remote, inbox=inbox, shared_inbox=shared))


def create_note(n: int = 1, text_: str = "Assemblée générale, jeudi 18 h") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BASE}/activities/create-{n}",
        "type": "Create",
        "actor": f"{BASE}/actors/coop",
        "to": [PUBLIC],
        "cc": [f"{BASE}/actors/coop/followers"],
        "object": {
            "id": f"{BASE}/items/note-{n}",
            "type": "Note",
            "attributedTo": f"{BASE}/actors/coop",
            "content": f"<p>{text_} — n° {n}</p>",
            "to": [PUBLIC],
        },
    }


def publish(
    engine: Engine, actor: LocalActor, activity: dict[str, Any], audience: Audience
) -> None:
    with session_scope(engine) as session:
        delivery.send(session, actor, activity, audience)


def make_due(engine: Engine) -> None:
    """Jump forward in time: every waiting job is due now."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE job SET run_at = 0 WHERE state = 'ready'"))


def jobs_of(engine: Engine, kind: str = "deliver") -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT state, attempts, run_at, last_status, last_error, payload FROM job"
                    " WHERE kind = :kind ORDER BY id"
                ),
                {"kind": kind},
            )
        )


def host_row(engine: Engine, port: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT * FROM host_state WHERE host = :h"), {"h": f"127.0.0.1:{port}"}
        ).first()


def assert_signed_by(received: Received, actor: LocalActor) -> Verified:
    """The POST carries a valid signature by the actor's RSA key (our own verifier)."""
    req = RequestParts("POST", received.path, dict(received.headers), received.body, scheme="http")
    info = parse_signature(req)
    assert isinstance(info, SignatureInfo), info
    result = verify_signature(
        req, info, keys.load_public_key(actor.rsa_public_pem), now=time.time()
    )
    assert isinstance(result, Verified), result
    assert result.key_id == f"{BASE}/actors/{actor.slug}#main-key"
    assert received.header("Content-Type") == "application/activity+json"
    assert (received.header("User-Agent") or "").startswith("SolidarityNode/")
    return result


def stored_body(engine: Engine, activity_id: str) -> bytes:
    with Session(engine) as session:
        doc = session.exec(
            select(OutboxActivity.document).where(OutboxActivity.ap_id == activity_id)
        ).one()
    return orjson.dumps(doc)


# --- stories ---------------------------------------------------------------------------------


async def test_three_followers_on_two_servers_get_two_signed_posts(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    mastodon = await servers()
    gancio = await servers()
    follow(
        engine, coop, "https://m/alice", mastodon.url("/users/alice/inbox"), mastodon.url("/inbox")
    )
    follow(engine, coop, "https://m/bob", mastodon.url("/users/bob/inbox"), mastodon.url("/inbox"))
    follow(engine, coop, "https://g/carol", gancio.url("/federation/u/carol/inbox"))
    activity = create_note()
    publish(engine, coop, activity, Audience(followers=True))

    # send() only enqueued: nothing went out while "the request" was running
    assert mastodon.received == [] and gancio.received == []
    assert [j.state for j in jobs_of(engine, "fanout")] == ["ready"]

    worker = make_worker(node)
    assert await worker.drain() == 3  # one fan-out, two deliveries
    assert [r.path for r in mastodon.received] == ["/inbox"]
    assert [r.path for r in gancio.received] == ["/federation/u/carol/inbox"]
    expected = stored_body(engine, activity["id"])
    for received in (*mastodon.received, *gancio.received):
        assert_signed_by(received, coop).spec == "draft-cavage"
        assert received.body == expected  # byte-identical to what is stored
        sent = orjson.loads(received.body)
        # the activity as published, plus its LD signature and integrity proof for relays
        assert {k: v for k, v in sent.items() if k not in {"@context", "signature", "proof"}} == {
            k: v for k, v in activity.items() if k != "@context"
        }
        assert sent["signature"]["type"] == "RsaSignature2017"
        assert sent["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert {j.state for j in jobs_of(engine)} == {"done"}

    # at-least-once, but not more: nothing left to run, nothing sent again
    assert await worker.drain() == 0
    assert len(mastodon.received) == len(gancio.received) == 1


async def test_duplicate_send_of_the_same_activity_fans_out_once(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    inbox = await servers()
    follow(engine, coop, "https://m/alice", inbox.url("/users/alice/inbox"), inbox.url("/inbox"))
    activity = create_note()
    publish(engine, coop, activity, Audience(followers=True))
    worker = make_worker(node)
    await worker.drain()
    publish(engine, coop, {**activity, "type": "Create"}, Audience(followers=True))
    publish(engine, coop, activity, Audience(followers=True, inboxes=(inbox.url("/inbox"),)))
    await worker.drain()
    assert len(inbox.received) == 1
    assert len(jobs_of(engine, "fanout")) == 1 and len(jobs_of(engine)) == 1


async def test_server_down_is_retried_later_and_gets_it_when_back(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/inbox"
    follow(engine, coop, "https://down/alice", f"http://127.0.0.1:{port}/u/alice", url)
    activity = create_note()
    publish(engine, coop, activity, Audience(followers=True))
    worker = make_worker(node)
    before = time.time()
    await worker.drain()  # connection refused
    [job] = jobs_of(engine)
    assert job.state == "ready" and job.attempts == 1 and job.last_status is None
    assert "could not talk" in job.last_error
    assert job.run_at >= before + 30 * 0.75  # the policy's first back-off, jitter included
    assert host_row(engine, port).consecutive_failures == 1

    server = await servers(port=port)
    assert await worker.drain() == 0  # not due yet: no early retry
    make_due(engine)
    await worker.drain()
    [received] = server.received
    assert_signed_by(received, coop)
    assert received.body == stored_body(engine, activity["id"])
    [job] = jobs_of(engine)
    assert job.state == "done" and job.attempts == 2
    # success closed the circuit bookkeeping for that host
    assert host_row(engine, server.port).consecutive_failures == 0


async def test_410_from_a_shared_inbox_prunes_every_follower_behind_it(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    gone = await servers(lambda _r: web.Response(status=410, text="Gone"))
    alive = await servers()
    follow(engine, coop, "https://gone/a", gone.url("/u/a"), gone.url("/inbox"))
    follow(engine, coop, "https://gone/b", gone.url("/u/b"), gone.url("/inbox"))
    follow(engine, coop, "https://alive/c", alive.url("/u/c"), alive.url("/inbox"))
    publish(engine, coop, create_note(), Audience(followers=True))
    await make_worker(node).drain()
    assert len(gone.received) == 1  # permanent: no second knock, no retry
    dead = [j for j in jobs_of(engine) if j.state == "dead"]
    assert len(dead) == 1 and dead[0].last_status == 410
    assert "removed 2 follower(s)" in dead[0].last_error
    with Session(engine) as session:
        left = session.exec(select(Follower.remote_id)).all()
    assert left == ["https://alive/c"]


async def test_404_from_a_personal_inbox_prunes_that_follower_only(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    def respond(r: Received) -> web.Response:
        return web.Response(status=404 if r.path == "/u/gone" else 202)

    server = await servers(respond)
    follow(engine, coop, "https://s/gone", server.url("/u/gone"))
    follow(engine, coop, "https://s/here", server.url("/u/here"))
    publish(engine, coop, create_note(), Audience(followers=True))
    await make_worker(node).drain()
    assert sorted(r.path for r in server.received) == ["/u/gone", "/u/here"]
    with Session(engine) as session:
        assert session.exec(select(Follower.remote_id)).all() == ["https://s/here"]
    assert sorted((j.state, j.last_status) for j in jobs_of(engine)) == [
        ("dead", 404),
        ("done", None),
    ]


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_503_with_retry_after_waits_as_told_and_pauses_the_host(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any, form: str
) -> None:
    answers = [503, 202]

    def respond(_r: Received) -> web.Response:
        retry_after = "600" if form == "seconds" else formatdate(time.time() + 600, usegmt=True)
        status = answers.pop(0) if answers else 202
        headers = {"Retry-After": retry_after} if status == 503 else {}
        return web.Response(status=status, headers=headers)

    server = await servers(respond)
    follow(engine, coop, "https://s/a", server.url("/u/a"), server.url("/inbox"))
    publish(engine, coop, create_note(1), Audience(followers=True))
    worker = make_worker(node)
    start = time.time()
    await worker.drain()
    [job] = jobs_of(engine)
    assert job.state == "ready" and job.last_status == 503
    assert start + 590 <= job.run_at <= time.time() + 601  # Retry-After, not the 30 s back-off
    row = host_row(engine, server.port)
    assert row.consecutive_failures == 1 and row.open_until >= start + 590

    # Another activity to the same host meanwhile: held by the pause, no HTTP attempt.
    publish(engine, coop, create_note(2), Audience(followers=True))
    await worker.drain()
    assert len(server.received) == 1
    second = jobs_of(engine)[1]
    assert second.state == "ready" and second.run_at >= start + 590
    assert "circuit open" in second.last_error

    # Ten minutes later: one delivery probes the host, the other waits for the probe. (The
    # host answers the probe slowly, so the other delivery surely asks while it is in flight;
    # once a probe has succeeded, the circuit is closed and sending at once would be right.)
    async def slow_probe(_r: Received) -> web.Response:
        await asyncio.sleep(1.0)
        return web.Response(status=202)

    server.respond = slow_probe
    with engine.begin() as conn:
        conn.execute(text("UPDATE host_state SET open_until = 1"))
    make_due(engine)
    await worker.drain()
    assert len(server.received) == 2
    make_due(engine)
    await worker.drain()
    assert [j.state for j in jobs_of(engine)] == ["done", "done"]
    assert len(server.received) == 3
    for received in server.received:
        assert_signed_by(received, coop)


async def test_400_is_permanent_after_both_signature_knocks(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    server = await servers(lambda _r: web.Response(status=400, text='{"error":"nope"}'))
    follow(engine, coop, "https://s/a", server.url("/u/a"))
    publish(engine, coop, create_note(), Audience(followers=True))
    await make_worker(node).drain()
    [job] = jobs_of(engine)
    assert job.state == "dead" and job.last_status == 400 and job.attempts == 1
    assert "nope" in job.last_error
    specs = [assert_signed_by(r, coop).spec for r in server.received]
    assert specs == ["draft-cavage", "rfc9421"]
    make_due(engine)
    assert await make_worker(node).drain() == 0  # dead stays dead


async def test_401_to_cavage_is_knocked_again_with_rfc9421_and_remembered(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    def respond(r: Received) -> web.Response:
        if r.header("Signature-Input") is None:
            return web.json_response({"error": "Verification failed"}, status=401)
        return web.Response(status=202)

    server = await servers(respond)
    follow(engine, coop, "https://fedify/a", server.url("/u/a"), server.url("/inbox"))
    worker = make_worker(node)
    publish(engine, coop, create_note(1), Audience(followers=True))
    await worker.drain()
    assert [assert_signed_by(r, coop).spec for r in server.received] == [
        "draft-cavage",
        "rfc9421",
    ]
    assert [j.state for j in jobs_of(engine)] == ["done"]
    # The next delivery to that host starts with the spec that worked.
    publish(engine, coop, create_note(2), Audience(followers=True))
    await worker.drain()
    assert len(server.received) == 3
    assert assert_signed_by(server.received[2], coop).spec == "rfc9421"


async def test_circuit_opens_after_repeated_failures_skips_http_then_a_probe_closes_it(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    status = {"now": 500}
    server = await servers(lambda _r: web.Response(status=status["now"]))
    follow(engine, coop, "https://flaky/a", server.url("/u/a"), server.url("/inbox"))
    config = DeliveryConfig(circuit=CircuitPolicy(threshold=3, min_span=0.0, cache_ttl=0.0))
    worker = make_worker(node, config)
    publish(engine, coop, create_note(1), Audience(followers=True))
    for _ in range(3):
        await worker.drain()
        make_due(engine)
    assert len(server.received) == 3
    row = host_row(engine, server.port)
    assert row.consecutive_failures == 3 and row.open_until > time.time() + 30

    # Open: neither the retry nor a new activity costs an HTTP request.
    publish(engine, coop, create_note(2), Audience(followers=True))
    make_due(engine)
    await worker.drain()
    assert len(server.received) == 3
    waiting = jobs_of(engine)
    assert all(j.state == "ready" and "circuit open" in j.last_error for j in waiting)
    assert all(j.run_at >= row.open_until for j in waiting)

    # The period passes and the host is back: one probe goes through and closes the circuit.
    status["now"] = 202
    with engine.begin() as conn:
        conn.execute(text("UPDATE host_state SET open_until = 1"))
    make_due(engine)
    await worker.drain()
    make_due(engine)  # whoever lost the probe race waits for the probe, then goes
    await worker.drain()
    assert [j.state for j in jobs_of(engine)] == ["done", "done"]
    assert len(server.received) == 5
    row = host_row(engine, server.port)
    assert row.consecutive_failures == 0 and row.open_until is None


async def test_explicit_actors_inboxes_and_exclusions(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    server = await servers()
    relay = await servers()
    dead_port = free_port()
    with session_scope(engine) as session:
        for name in ("dana", "origin"):
            session.add(
                RemoteActor(
                    ap_id=f"https://m/{name}",
                    domain="m",
                    inbox=server.url(f"/u/{name}/inbox"),
                    shared_inbox=server.url("/inbox"),
                )
            )
    follow(engine, coop, "https://m/origin", server.url("/u/origin/inbox"), server.url("/inbox"))
    audience = Audience(
        followers=True,
        actors=(
            "https://m/dana",
            f"http://127.0.0.1:{dead_port}/actors/nobody",  # unresolvable: skipped
            "https://m/origin",
        ),
        inboxes=(relay.url("/relay/inbox"),),
        exclude=("https://m/origin",),
    )
    publish(engine, coop, create_note(), audience)
    await make_worker(node).drain()
    # dana's shared inbox is delivered to once; the origin's own share is dropped but the
    # shared inbox still serves dana; the relay gets its copy.
    assert [r.path for r in server.received] == ["/inbox"]
    assert [r.path for r in relay.received] == ["/relay/inbox"]
    for received in (*server.received, *relay.received):
        assert_signed_by(received, coop)


async def test_a_follow_goes_to_the_personal_inbox(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    server = await servers()
    with session_scope(engine) as session:
        session.add(
            RemoteActor(
                ap_id="https://m/erin",
                domain="m",
                inbox=server.url("/u/erin/inbox"),
                shared_inbox=server.url("/inbox"),
            )
        )
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BASE}/activities/follow-1",
        "type": "Follow",
        "actor": f"{BASE}/actors/coop",
        "object": "https://m/erin",
    }
    with session_scope(engine) as session:
        delivery.send(session, coop, activity, Audience(actors=("https://m/erin",)))
        stored = session.exec(
            select(OutboxActivity).where(OutboxActivity.ap_id == activity["id"])
        ).one()
        assert stored.public is False and stored.object_id == "https://m/erin"
    await make_worker(node).drain()
    [received] = server.received
    assert received.path == "/u/erin/inbox"
    assert_signed_by(received, coop)


async def test_signing_on_the_event_loop_gives_the_same_deliveries(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    server = await servers()
    for i in range(5):
        follow(engine, coop, f"https://s/{i}", server.url(f"/u/{i}/inbox"))
    publish(engine, coop, create_note(), Audience(followers=True))
    await make_worker(node, DeliveryConfig(sign_threads=0)).drain()
    assert sorted(r.path for r in server.received) == [f"/u/{i}/inbox" for i in range(5)]
    for received in server.received:
        assert_signed_by(received, coop)


async def test_429_pauses_the_host_without_counting_a_failure_nor_burning_attempts(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    server = await servers(lambda _r: web.Response(status=429, headers={"Retry-After": "0"}))
    follow(engine, coop, "https://busy/a", server.url("/u/a"), server.url("/inbox"))
    publish(engine, coop, create_note(), Audience(followers=True))
    before = time.time()
    await make_worker(node).drain()
    [job] = jobs_of(engine)
    assert job.state == "ready" and job.last_status == 429
    assert job.run_at >= before + 30 * 0.75  # "0" is honoured as "not before now", no sooner
    assert host_row(engine, server.port).consecutive_failures == 0


async def test_a_delivery_asks_the_policy_before_each_knock_and_a_blocked_server_stays_unreached(
    engine: Engine, node: NodeContext, coop: LocalActor, servers: Any
) -> None:
    """The client asks the federation policy just before each knock connects (the second a
    round trip after the first, judged afresh); a server blocked after the fan-out gets
    nothing, and a POST never follows another server's redirect to it."""
    blocked = await servers()

    def knock(r: Received) -> web.Response:
        if r.header("Signature-Input") is None:
            return web.json_response({"error": "Verification failed"}, status=401)
        return web.Response(status=202)

    fedify = await servers(knock)
    redirector = await servers(
        lambda _r: web.Response(status=308, headers={"Location": blocked.url("/inbox")})
    )
    follow(engine, coop, "https://f/a", fedify.url("/u/a"), fedify.url("/inbox"))
    follow(engine, coop, "https://r/b", redirector.url("/u/b"), redirector.url("/inbox"))
    follow(engine, coop, "https://x/c", blocked.url("/u/c"), blocked.url("/inbox"))
    publish(engine, coop, create_note(), Audience(followers=True))
    worker = make_worker(node)
    assert await worker.run_once() == 1  # the fan-out: three deliver jobs
    assert len(jobs_of(engine)) == 3

    # The admin blocks the server while its delivery waits.
    with session_scope(engine) as session:
        session.add(DomainBlock(domain=f"127.0.0.1:{blocked.port}", severity="reject"))
    forget_policy(engine)
    asked: list[str] = []

    def policy(host: str) -> str | None:
        asked.append(host)
        return node._policy_refusal(host)

    await node.close_http()
    node.http = HttpClient(
        user_agent=node.user_agent(), allow_hosts=node.settings.allow_hosts, host_policy=policy
    )
    await worker.drain()

    fedify_host = f"127.0.0.1:{fedify.port}"
    # the blocked server is refused before its client is asked; fedify's two knocks ask twice
    assert sorted(asked) == sorted([fedify_host, fedify_host, f"127.0.0.1:{redirector.port}"])
    assert [assert_signed_by(r, coop).spec for r in fedify.received] == ["draft-cavage", "rfc9421"]
    assert len(redirector.received) == 1  # a POST's redirect is never followed
    assert blocked.received == []
    payloads = [
        j.payload if isinstance(j.payload, dict) else orjson.loads(j.payload)
        for j in jobs_of(engine)
    ]
    by_host = {p["inbox"].split("/")[2]: j for p, j in zip(payloads, jobs_of(engine), strict=True)}
    assert by_host[f"127.0.0.1:{fedify.port}"].state == "done"
    assert by_host[f"127.0.0.1:{redirector.port}"].last_status == 308
    refused = by_host[f"127.0.0.1:{blocked.port}"]
    assert refused.state == "dead" and "does not federate with" in refused.last_error
