"""The work budget of forwarded activities' LD signatures, in-process (SQLite and PostgreSQL):
a JSON-LD bomb is refused in under 100 ms of CPU, a bad signature is canonicalised once when
the refetched key is the same, and the canonicalisation time per claimed origin is metered.

The same attacks over real HTTP: tests/integration/test_ld_budget_http.py.
"""

from __future__ import annotations

import base64
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine

from node.activitypub import keys, ldsig
from node.db import session_scope
from node.federation.actors.local import ensure_instance_actor
from node.federation.context import NodeContext
from node.limits import Limit
from node.settings import Settings
from tests.db.inbox_support import PUBLIC, Sender, cache_actor, deliver, make_sender, stored
from tests.db.inbox_support import origin_server as origin_server

AS = "https://www.w3.org/ns/activitystreams"
RELAY = "https://relay.example"


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    ctx = NodeContext.build(settings, engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


@pytest.fixture
def relay(engine: Engine, settings: Settings) -> Sender:
    sender = make_sender(RELAY, "relay", key="bob")
    cache_actor(engine, settings, sender.document)
    return sender


def json_ld_bomb(actor: str, *, levels: int = 25, copies: int = 51) -> dict[str, Any]:
    """The attack of issue #15 item 2: ~55 kB, objects nested ``levels`` deep, each naming the
    ActivityStreams context ``copies`` times, under an RsaSignature2017 "by" ``actor``."""
    inner: dict[str, Any] = {"type": "Note", "content": "x"}
    for level in range(levels):
        inner = {"@context": [AS] * copies, "type": "Note", "content": f"{level}", "object": inner}
    return {
        "@context": AS,
        "id": f"{actor}/activities/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": actor,
        "object": inner,
        "to": [PUBLIC],
        "signature": {
            "type": "RsaSignature2017",
            "creator": f"{actor}#main-key",
            "created": "2026-12-01T00:00:00Z",
            "signatureValue": base64.b64encode(b"\x01" * 256).decode(),
        },
    }


def ld_signed_note(author: Sender, content: str) -> dict[str, Any]:
    """A Create by ``author`` with its RsaSignature2017, as Mastodon forwards replies."""
    doc = {
        "@context": [AS, "https://w3id.org/security/v1"],
        "id": f"{author.actor_id}/activities/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": author.actor_id,
        "object": {
            "id": f"{author.actor_id}/notes/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": author.actor_id,
            "content": content,
            "to": [PUBLIC],
        },
        "to": [PUBLIC],
    }
    private = keys.load_private_key(author.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    return ldsig.sign_rsa_signature_2017(doc, private, author.key_id, datetime.now(UTC))


async def test_the_json_ld_bomb_is_refused_in_under_100_ms_of_cpu(
    node: NodeContext, engine: Engine, relay: Sender
) -> None:
    with origin_server() as origin:
        alice = make_sender(origin.origin, "alice")
        origin.serve(alice.document)
        bomb = json_ld_bomb(alice.actor_id)
        started = time.process_time()
        answer = await deliver(node, bomb, relay)
        cpu = time.process_time() - started

        assert answer.status == 401, answer.body
        assert answer.body["reason"] == "too_complex"
        assert cpu < 0.1, f"{cpu:.3f} s of CPU for the bomb"
        assert stored(engine) == (0, 0)
        # refused before any key work: the claimed actor was never fetched
        assert origin.hits["/users/alice"] == 0


async def test_a_bad_ld_signature_is_canonicalised_once_when_the_key_did_not_change(
    node: NodeContext, engine: Engine, relay: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    real = ldsig.verify_rsa_signature_2017

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append("run")
        return real(*args, **kwargs)

    monkeypatch.setattr(ldsig, "verify_rsa_signature_2017", counting)
    with origin_server() as origin:
        alice = make_sender(origin.origin, "alice")
        origin.serve(alice.document)
        good = ld_signed_note(alice, "<p>Seed swap on Sunday</p>")
        assert (await deliver(node, good, relay)).status == 202
        assert runs == ["run"]

        tampered = ld_signed_note(alice, "<p>Seed swap</p>")
        tampered["object"]["content"] = "<p>Send money instead</p>"
        answer = await deliver(node, tampered, relay)
        assert (answer.status, answer.body["reason"]) == (401, "bad_signature")
        # the owner was refetched once (a rotation?), the key was the same: no second run
        assert runs == ["run", "run"]
        assert origin.hits["/users/alice"] == 2

        again = await deliver(node, tampered | {"id": f"{tampered['id']}-2"}, relay)
        assert again.status == 401
        assert runs == ["run", "run", "run"]
        assert origin.hits["/users/alice"] == 2  # not refetched within the interval


async def test_ld_signature_work_is_metered_per_claimed_origin(
    settings: Settings, engine: Engine, relay: Sender
) -> None:
    # 1 ms per minute: the first check may start, and uses it all up
    metered = dataclasses.replace(settings, rate_limit_ld_work=Limit(1, 60.0))
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    node = NodeContext.build(metered, engine)
    node.open_http()
    try:
        with origin_server() as origin:
            alice = make_sender(origin.origin, "alice")
            origin.serve(alice.document)
            first = await deliver(node, ld_signed_note(alice, "<p>one</p>"), relay)
            assert first.status == 202
            second = await deliver(node, ld_signed_note(alice, "<p>two</p>"), relay)
            assert (second.status, second.body["reason"]) == (429, "rate_limited")
            assert stored(engine)[0] == 1
    finally:
        await node.close_http()
