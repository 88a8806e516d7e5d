"""Issue #15 items 1, 18 and 8a over real HTTP: one canonical host form for every policy decision.

A hostile server on a loopback port is blocked by the admin (``127.0.0.1:PORT``). It must not
reach the node, nor the node reach it, by:

* spelling its host differently in a ``Signature`` key id (superscript digits: ``¹²7.0.0.1``
  is ``127.0.0.1`` once IDNA/UTS46 maps it, which the HTTP client does before connecting);
* answering a fetch from another, unblocked server with a redirect to itself.

And the node's own host name is exempt from the SSRF guard only on its own port: another
port of the same host is an ordinary (here: loopback, so refused) destination.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import text

from node.activitypub import keys
from node.activitypub.signatures.cavage import sign_cavage
from tests.harness.nodes import NodeFactory, NodeProcess
from tests.integration.loopback_support import AP, LoopThread, db_engine, rsa_private_pem

pytestmark = pytest.mark.integration
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Server:
    """A loopback server that serves actor documents (or redirects) and records every request."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append(f"{request.method} {request.path}")
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        doc = self.documents.get(request.path)
        if doc is None:
            return web.Response(status=404)
        return web.Response(body=json.dumps(doc).encode(), content_type=AP)


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    lt = LoopThread()
    try:
        yield lt
    finally:
        lt.close()


@pytest.fixture
def servers(loop: LoopThread) -> Iterator[list[Server]]:
    started: list[Server] = []

    def stop_all() -> None:
        for server in started:
            loop.run(server.stop())

    try:
        for _ in range(2):
            server = Server()
            loop.run(server.start())
            started.append(server)
        yield started
    finally:
        stop_all()


def _actor_document(actor: str, pem: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "x",
        "inbox": f"{actor}/inbox",
        "publicKey": {
            "id": f"{actor}#main-key",
            "owner": actor,
            "publicKeyPem": keys.public_pem_of(keys.load_private_key(pem)),
        },
    }


def _block(node: NodeProcess, domain: str) -> None:
    engine = db_engine(node.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO domain_block (domain, severity, reason, source, created_at) "
                    "VALUES (:d, 'reject', 'test', 'manual', CURRENT_TIMESTAMP)"
                ),
                {"d": domain},
            )
    finally:
        engine.dispose()


def _post_signed(node: NodeProcess, actor: str, key_id: str, pem: str) -> httpx.Response:
    """POST a public note by ``actor`` to the shared inbox, signed with ``key_id``.

    Header values go out as latin-1 bytes, so superscript digits survive as they would from
    any client that writes them.
    """
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/activities/{uuid.uuid4().hex}",
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "object": {
                "id": f"{actor}/notes/{uuid.uuid4().hex}",
                "type": "Note",
                "attributedTo": actor,
                "content": "<p>hello</p>",
                "to": [PUBLIC],
            },
        }
    ).encode()
    url = f"{node.base_url}/inbox"
    headers = sign_cavage(
        "POST",
        url,
        {"Content-Type": AP},
        body,
        key_id=key_id,
        private_key=pem,
        now=time.time(),
    )
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return httpx.post(url, content=body, headers=raw, timeout=30)


def test_a_blocked_server_spelled_with_superscript_digits_is_refused(
    node_factory: NodeFactory, servers: list[Server]
) -> None:
    hostile = servers[0]
    node = node_factory()
    _block(node, f"127.0.0.1:{hostile.port}")
    node.start()
    pem = rsa_private_pem("spelled")
    spelled = f"http://\u00b9\u00b27.0.0.1:{hostile.port}/users/x"
    hostile.documents["/users/x"] = _actor_document(spelled, pem)

    answer = _post_signed(node, spelled, f"{spelled}#main-key", pem)

    assert answer.status_code in (400, 401, 403), answer.text
    assert hostile.seen == [], "the node fetched from the blocked server"


def test_a_redirect_to_a_blocked_server_is_not_followed(
    node_factory: NodeFactory, servers: list[Server]
) -> None:
    redirector, blocked = servers
    node = node_factory()
    _block(node, f"127.0.0.1:{blocked.port}")
    node.start()
    pem = rsa_private_pem("redirected")
    actor = f"http://127.0.0.1:{redirector.port}/users/x"
    redirector.redirects["/users/x"] = f"http://127.0.0.1:{blocked.port}/users/x"
    blocked.documents["/users/x"] = _actor_document(actor, pem)

    answer = _post_signed(node, actor, f"{actor}#main-key", pem)

    assert answer.status_code == 401, answer.text
    assert redirector.seen, "the node never asked the unblocked server"
    assert blocked.seen == [], "the node followed a redirect to a blocked server"


def test_the_nodes_own_host_is_exempt_from_the_ssrf_guard_on_its_own_port_only(
    node_factory: NodeFactory, servers: list[Server]
) -> None:
    other_port = servers[0]
    node = node_factory(SOLNODE_ALLOW_HOSTS="")
    node.start()
    pem = rsa_private_pem("own-host")
    actor = f"http://127.0.0.1:{other_port.port}/users/x"
    other_port.documents["/users/x"] = _actor_document(actor, pem)

    answer = _post_signed(node, actor, f"{actor}#main-key", pem)

    assert answer.status_code == 401, answer.text
    assert other_port.seen == [], "the node connected to another port of its own host"
    # ...while its own base URL stays reachable: its own actor documents are fetched locally,
    # and the node still answers.
    assert httpx.get(f"{node.base_url}/nodeinfo/2.1", timeout=10).status_code == 200
