"""Helpers for inbox stories: remote senders with real keys, signed POSTs, a small origin
server on loopback, and stepping the inbox jobs. Not a test module."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from node.activitypub import keys
from node.activitypub.signatures.cavage import sign_cavage
from node.db import session_scope
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.inbox.process import register as register_inbox
from node.federation.inbox.receive import Outcome, receive
from node.federation.remote.actor_cache import upsert
from node.federation.remote.actor_documents import actor_fields
from node.federation.worker import Registry, Worker
from node.settings import Settings
from node.wiring import dispatcher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@cache
def test_rsa_pem(name: str) -> str:
    """A private RSA key per name: fixture keys where we have them, else made once per run."""
    if name == "bob":
        return (FIXTURES / "signatures" / "fedify-peer-bob.key.pem").read_text()
    if name == "stub":
        return str(
            json.loads((FIXTURES / "fedify" / "test_keys.json").read_text())["rsa_private_pem"]
        )
    return keys.generate_rsa().private_pem


@dataclass
class Sender:
    """A remote actor whose private key the test holds."""

    actor_id: str
    key_id: str
    private_pem: str
    document: dict[str, Any]


def make_sender(origin: str, name: str, key: str | None = None) -> Sender:
    """``{origin}/users/{name}`` with an RSA key (``#main-key``), as Mastodon serves actors."""
    pem = test_rsa_pem(key or name)
    actor = f"{origin}/users/{name}"
    document = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": name,
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "endpoints": {"sharedInbox": f"{origin}/inbox"},
        "publicKey": {
            "id": f"{actor}#main-key",
            "owner": actor,
            "publicKeyPem": keys.public_pem_of(keys.load_private_key(pem)),
        },
    }
    return Sender(actor, f"{actor}#main-key", pem, document)


def cache_actor(engine: Engine, settings: Settings, document: dict[str, Any]) -> None:
    """Put an actor document in the remote actor cache, fresh (no fetch will happen)."""
    upsert(engine, actor_fields(document, settings))


def signed(
    path: str, body: bytes, sender: Sender, *, host: str = "127.0.0.1:8000", **extra: str
) -> dict[str, str]:
    """Headers of a draft-cavage-signed POST, lower-cased as Starlette hands them over."""
    headers = sign_cavage(
        "POST",
        f"http://{host}{path}",
        {"Content-Type": AP, **extra},
        body,
        key_id=sender.key_id,
        private_key=sender.private_pem,
        now=time.time(),
    )
    return {k.lower(): v for k, v in headers.items()}


async def deliver(
    node: NodeContext,
    doc: dict[str, Any] | bytes,
    sender: Sender,
    *,
    recipient: str | None = None,
) -> Outcome:
    """POST ``doc`` to an inbox (of the actor with slug ``recipient``, else the shared one),
    HTTP-signed by ``sender``."""
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    path = f"/actors/{recipient}/inbox" if recipient is not None else "/inbox"
    return await receive(
        node,
        method="POST",
        path=path,
        headers=signed(path, body, sender),
        body=body,
        recipient=recipient,
    )


async def process(node: NodeContext) -> dict[str, str]:
    """Run the waiting inbox jobs; activity id -> what its handler did."""
    registry = Registry()
    register_inbox(registry, dispatcher())
    # One job at a time, in order: the story reads like what happened (architecture.md, style 12).
    await Worker(node, registry, concurrency=1, batch=1).drain()
    with node.engine.connect() as conn:
        rows = conn.execute(text("SELECT activity_id, result FROM inbox_activity")).all()
    return {str(a): str(r) for a, r in rows}


def stored(engine: Engine) -> tuple[int, int]:
    """(inbox activities, jobs) in the database."""
    with engine.connect() as conn:
        activities = conn.execute(text("SELECT COUNT(*) FROM inbox_activity")).scalar_one()
        jobs = conn.execute(text("SELECT COUNT(*) FROM job")).scalar_one()
    return int(activities), int(jobs)


class Origin:
    """A loopback ActivityPub server: serves documents by path and counts the GETs."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # path -> (content type, body)
        self.hits: Counter[str] = Counter()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                origin.hits[path] += 1
                doc = origin.documents.get(path)
                content_type, payload = AP, b""
                if doc is not None:
                    payload = json.dumps(doc).encode()
                elif path in origin.files:
                    content_type, payload = origin.files[path]
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, doc: dict[str, Any]) -> None:
        """Serve ``doc`` at the path of its id."""
        self.documents[doc["id"][len(self.origin) :].split("#")[0]] = doc


@contextmanager
def origin_server() -> Iterator[Origin]:
    """Run an :class:`Origin` for the duration of a block."""
    server = Origin()
    thread = threading.Thread(target=server._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server._server.shutdown()
        server._server.server_close()


ANA = "https://mastodon.example/users/ana"


def coop_and_ana(engine: Engine, settings: Settings) -> Sender:
    """The node's organization "coop", and Ana (mastodon.example) as a sender it knows."""
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Riverside Co-op")
    sender = make_sender("https://mastodon.example", "ana", key="bob")
    cache_actor(engine, settings, sender.document)
    return sender


def ana_note(n: int) -> bytes:
    """Ana's nth public Note, in its Create."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ANA}/statuses/{n}/activity",
        "type": "Create",
        "actor": ANA,
        "to": [PUBLIC],
        "object": {
            "id": f"{ANA}/statuses/{n}",
            "type": "Note",
            "attributedTo": ANA,
            "content": "<p>Hi</p>",
            "to": [PUBLIC],
        },
    }
    return json.dumps(activity).encode()
