"""Loopback servers for tests that drive real `solnode` processes from a synchronous test body.

The test thread starts, kills and restarts node processes and polls their databases, so the
servers that stand for the rest of the fediverse run on an event loop in a thread of their own
(:class:`LoopThread`): they keep answering while the test thread blocks on a subprocess.

* :class:`CountingInboxes` - many personal inboxes on a few ports; every POST is checked with
  our own signature verifier against the sender's public key and counted per inbox and
  activity id (receivers dedupe by id, so "delivered" means "at least once").
* :class:`RemoteOrigin` - a remote server that serves actor documents (with their public
  keys, so a node can verify what they sign) and accepts whatever is POSTed to it.

Not a test module.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import Engine

from node.activitypub import keys
from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.db import make_engine
from node.settings import load_settings

AP = "application/activity+json"
T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread; ``run()`` a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start ``coro`` on the loop; the returned future holds its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    """A :class:`LoopThread` for the duration of a block."""
    lt = LoopThread()
    try:
        yield lt
    finally:
        lt.close()


def db_engine(database_url: str) -> Engine:
    """An engine on a node's database (SQLite file or PostgreSQL schema), from the test side,
    set up as the node sets up its own (WAL, busy timeout, BEGIN IMMEDIATE for writes)."""
    return make_engine(load_settings(env={}, database_url=database_url, secret_key="test"))


# --- inboxes that count ----------------------------------------------------------------------


@dataclass
class CountingInboxes:
    """Personal inboxes ``/users/u{n}/inbox`` on ``ports`` servers, answering after ``delay``.

    Only POSTs whose HTTP signature verifies against ``public_pem`` with ``key_id`` count;
    anything else is answered 401 and kept in ``refused``.
    """

    public_pem: str
    key_id: str
    delay: float = 0.0
    received: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    refused: list[str] = field(default_factory=list)
    posts: int = 0
    ports: list[int] = field(default_factory=list)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def start(self, servers: int) -> None:
        self._key = keys.load_public_key(self.public_pem)
        for _ in range(servers):
            app = web.Application()
            app.router.add_post("/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._runners.append(runner)
            self.ports.append(runner.addresses[0][1])

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    def inbox(self, n: int) -> str:
        """The URL of follower ``n``'s personal inbox (spread over the servers)."""
        return f"http://127.0.0.1:{self.ports[n % len(self.ports)]}/users/u{n}/inbox"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        parts = RequestParts("POST", request.raw_path, dict(request.headers), body, scheme="http")
        info = parse_signature(parts)
        ok = isinstance(info, SignatureInfo) and info.key_id == self.key_id
        if ok:
            assert isinstance(info, SignatureInfo)
            ok = isinstance(verify_signature(parts, info, self._key, now=time.time()), Verified)
        url = f"http://{request.host}{request.raw_path}"
        with self._lock:
            self.posts += 1
            if not ok:
                self.refused.append(url)
            else:
                # Counted on arrival: a sender that dies before reading our answer has still
                # delivered (and will deliver again; we dedupe by activity id).
                self.received[url][str(json.loads(body).get("id"))] += 1
        if not ok:
            return web.json_response({"error": "signature"}, status=401)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=202)

    def delivered(self) -> int:
        """Inboxes that have received at least one verified POST."""
        with self._lock:
            return len(self.received)


# --- a remote server with actors ---------------------------------------------------------------


@dataclass
class RemoteActorKeys:
    """One remote actor whose private key the test holds."""

    actor_id: str
    key_id: str
    private_pem: str
    document: dict[str, Any]

    def sign(self, url: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
        """Headers of a draft-cavage-signed POST of ``body`` to ``url``."""
        return sign_cavage(
            "POST",
            url,
            {"Content-Type": AP},
            body,
            key_id=self.key_id,
            private_key=self.private_pem,
            now=time.time() if now is None else now,
        )


_KEYS: dict[str, str] = {}


def rsa_private_pem(name: str) -> str:
    """An RSA key per name, generated once per test run (RSA generation costs ~50 ms)."""
    if name not in _KEYS:
        _KEYS[name] = keys.generate_rsa().private_pem
    return _KEYS[name]


@dataclass
class RemoteOrigin:
    """A loopback 'remote server': GET serves documents by path, POST answers 202."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    posted: list[tuple[str, bytes]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._get)
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_actor(self, username: str, **fields: Any) -> RemoteActorKeys:
        """Serve ``/users/{username}`` as Mastodon would, with an RSA key; ``fields`` override."""
        pem = rsa_private_pem(username)
        actor = f"{self.origin}/users/{username}"
        document: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": username,
            "name": username.title(),
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "followers": f"{actor}/followers",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": keys.public_pem_of(keys.load_private_key(pem)),
            },
            **fields,
        }
        self.documents[f"/users/{username}"] = document
        return RemoteActorKeys(actor, f"{actor}#main-key", pem, document)

    async def _get(self, request: web.Request) -> web.Response:
        doc = self.documents.get(request.path)
        if doc is None:
            return web.Response(status=404)
        return web.Response(body=json.dumps(doc).encode(), content_type=AP)

    async def _post(self, request: web.Request) -> web.Response:
        self.posted.append((request.path, await request.read()))
        return web.Response(status=202)
