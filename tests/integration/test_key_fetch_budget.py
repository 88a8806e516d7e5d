"""Inbox key fetches have their own small budget, and their failures stay in the log.

Issue #15, item 3: signed POSTs naming key ids on servers that accept a connection and never
answer (tarpits) held the node's one outbound pool, so a legitimate new sender was refused
("could not get the signing key") and deliveries waited. Item 8 (second half): the 401 body
echoed the fetch error (closed ports, private DNS answers), a port scanner and DNS oracle.

Everything is loopback: a real `solnode serve` process, tarpits and a key server as fixtures on
127.0.0.1 ports; the attacker and the legitimate sender connect from other loopback source
addresses (127.0.0.2, 127.0.0.3), so each is its own client IP. The private address of the
DNS test is only ever a faked DNS answer; the guard refuses it before any connection.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette

from node.app import create_app
from node.db import session_scope
from node.federation.actors.local import ensure_instance_actor
from node.federation.http import HttpClient
from node.settings import Settings
from tests.harness.nodes import NodeFactory
from tests.harness.ports import free_port
from tests.integration.loopback_support import (
    AP,
    LoopThread,
    RemoteActorKeys,
    RemoteOrigin,
    rsa_private_pem,
)

pytestmark = pytest.mark.integration

TARPITS = 100
ATTACKER_IP = "127.0.0.2"
SENDER_IP = "127.0.0.3"
GENERIC = "The signing key could not be obtained."


class Tarpits:
    """``count`` listening sockets that accept connections and never answer."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.servers: list[asyncio.Server] = []
        self.connections = 0
        self._held: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        for _ in range(self.count):
            self.servers.append(await asyncio.start_server(self._hold, "127.0.0.1", 0))

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.append(writer)  # never read, never answered; closed in stop()

    def ports(self) -> list[int]:
        return [server.sockets[0].getsockname()[1] for server in self.servers]

    async def stop(self) -> None:
        for writer in self._held:
            writer.close()
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()


def _activity(actor: str) -> bytes:
    return json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/activities/{uuid.uuid4().hex}",
            "type": "Like",
            "actor": actor,
            "object": f"{actor}/notes/1",
        }
    ).encode()


def _signed_post(sender: RemoteActorKeys, inbox: str) -> tuple[bytes, dict[str, str]]:
    body = _activity(sender.actor_id)
    headers = sender.sign(inbox, body)
    headers["Content-Type"] = AP
    return body, headers


def _tarpit_sender(port: int) -> RemoteActorKeys:
    actor = f"http://127.0.0.1:{port}/users/x"
    return RemoteActorKeys(actor, f"{actor}#main-key", rsa_private_pem("tarpit"), {})


async def _attack(inbox: str, ports: list[int], answers: list[int]) -> None:
    """One signed POST per tarpit, all at once, from ATTACKER_IP; answers are collected."""
    connector = aiohttp.TCPConnector(local_addr=(ATTACKER_IP, 0), limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(port: int) -> None:
            body, headers = _signed_post(_tarpit_sender(port), inbox)
            try:
                async with session.post(inbox, data=body, headers=headers) as resp:
                    answers.append(resp.status)
            except (aiohttp.ClientError, TimeoutError):
                answers.append(0)

        await asyncio.gather(*(one(port) for port in ports))


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    lt = LoopThread()
    try:
        yield lt
    finally:
        lt.close()


def test_tarpit_key_hosts_do_not_keep_a_new_sender_out(
    node_factory: NodeFactory, loop: LoopThread
) -> None:
    node = node_factory().start()
    inbox = f"{node.base_url}/inbox"
    tarpits = Tarpits(TARPITS)
    origin = RemoteOrigin()
    loop.run(tarpits.start())
    loop.run(origin.start())
    alice = origin.add_actor("alice")
    answers: list[int] = []
    attack = loop.submit(_attack(inbox, tarpits.ports(), answers))
    try:
        # The burst is in: every attacking POST reached a tarpit (a key fetch holds a
        # connection there) or was answered. Counted, not timed.
        deadline = time.monotonic() + 30
        while tarpits.connections + len(answers) < TARPITS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tarpits.connections + len(answers) >= TARPITS
        body, headers = _signed_post(alice, inbox)
        transport = httpx.HTTPTransport(local_address=SENDER_IP)
        with httpx.Client(transport=transport, trust_env=False, timeout=30) as legit:
            started = time.monotonic()
            response = legit.post(inbox, content=body, headers=headers)
            elapsed = time.monotonic() - started
        assert response.status_code == 202, response.text
        assert elapsed < 2.0, f"a legitimate sender waited {elapsed:.2f} s"
        attack.result(timeout=60)
        assert len(answers) == TARPITS
        assert all(status in (401, 429) for status in answers), sorted(set(answers))
    finally:
        attack.cancel()
        loop.run(tarpits.stop())
        loop.run(origin.stop())


def test_a_closed_port_key_id_gets_the_generic_refusal(node_factory: NodeFactory) -> None:
    node = node_factory().start()
    inbox = f"{node.base_url}/inbox"
    closed = free_port()  # bound and released: nothing listens there
    body, headers = _signed_post(_tarpit_sender(closed), inbox)
    response = httpx.post(inbox, content=body, headers=headers, trust_env=False, timeout=30)
    assert response.status_code == 401
    assert response.json() == {"error": GENERIC, "reason": "unknown_key"}


async def _fake_dns(host: str, port: int) -> list[str]:
    # Faked answers only: 10.0.0.7 is never connected to, the guard refuses it first.
    return ["10.0.0.7"] if host == "keys.example" else ["127.0.0.1"]


def _serve(loop: LoopThread, app: Starlette, port: int) -> tuple[uvicorn.Server, Any]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    running = loop.submit(server.serve())
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    return server, running


def test_a_private_dns_answer_is_not_echoed(
    settings: Settings, engine: Engine, loop: LoopThread
) -> None:
    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)
    app = create_app(settings, engine=engine)
    node = app.state.node
    # The node's outbound clients with a faked DNS (built before the lifespan, which keeps them).
    for name in ("http", "key_http"):
        setattr(
            node, name, HttpClient(user_agent="test", allow_hosts={"127.0.0.1"}, resolver=_fake_dns)
        )
    port = free_port()
    server, running = _serve(loop, app, port)
    try:
        inbox = f"http://127.0.0.1:{port}/inbox"
        actor = "http://keys.example/users/x"
        sender = RemoteActorKeys(actor, f"{actor}#main-key", rsa_private_pem("dns"), {})
        body, headers = _signed_post(sender, inbox)
        response = httpx.post(inbox, content=body, headers=headers, trust_env=False, timeout=30)
        assert response.status_code == 401
        assert response.json() == {"error": GENERIC, "reason": "unknown_key"}
        assert "10.0.0.7" not in response.text
    finally:
        server.should_exit = True
        running.result(timeout=30)
