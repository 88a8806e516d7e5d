"""The remote actor cache against a real Fedify server (../shared/fedify-peer) on loopback.

The peer's control API is synchronous (httpx); calls that make the peer talk back to a server
in this test's event loop run in a thread, so the loop stays free to answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import Engine

from node.activitypub import keys
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.db import session_scope
from node.federation.actors.local import ensure_instance_actor
from node.federation.context import NodeContext
from node.federation.remote.actors import cached_actor, lookup, resolve_handle, resolve_key
from node.settings import Settings
from tests.harness.peer import FedifyPeer


@asynccontextmanager
async def stub_inbox() -> AsyncIterator[tuple[str, list[RequestParts]]]:
    """A loopback inbox that records each POST as the parts a signature covers; answers 202."""
    received: list[RequestParts] = []

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        received.append(RequestParts("POST", request.raw_path, dict(request.headers), body, "http"))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/inbox", received
    finally:
        await runner.cleanup()


@pytest.mark.peer
async def test_fedify_actor_found_by_webfinger_and_its_keys_verify_its_signatures(
    fedify_peer: FedifyPeer, settings: Settings, engine: Engine
) -> None:
    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)
    node = NodeContext.build(settings, engine)
    node.open_http()
    try:
        alice_id = fedify_peer.actor_id("alice")

        # @alice@127.0.0.1:PORT: WebFinger over http (loopback development), then a signed GET.
        assert await resolve_handle(node, fedify_peer.handle("alice")) == alice_id
        alice = await lookup(node, fedify_peer.handle("alice"))
        assert alice.ap_id == alice_id and alice.type == "Person"
        assert alice.preferred_username == "alice"
        assert alice.domain == f"127.0.0.1:{fedify_peer.port}"
        assert alice.shared_inbox == fedify_peer.shared_inbox_url
        assert alice.public_key_id == fedify_peer.key_id("alice")

        # Fedify publishes its keys as FEP-521a Multikeys too (RSA and Ed25519): both are kept.
        with session_scope(engine) as session:
            row = cached_actor(session, alice_id)
            assert row is not None
            multikeys = {key["id"]: key["publicKeyMultibase"] for key in row.multikeys}
        assert set(multikeys) == {f"{alice_id}#multikey-1", f"{alice_id}#multikey-2"}
        ed = await resolve_key(node, f"{alice_id}#multikey-2")
        assert isinstance(ed.public_key, ed25519.Ed25519PublicKey) and ed.owner == alice_id
        rsa_multikey = keys.public_key_from_multibase(multikeys[f"{alice_id}#multikey-1"])
        main = await resolve_key(node, fedify_peer.key_id("alice"))
        assert isinstance(main.public_key, rsa.RSAPublicKey)
        assert isinstance(rsa_multikey, rsa.RSAPublicKey)
        assert main.public_key.public_numbers() == rsa_multikey.public_numbers()

        # alice signs POSTs to an inbox of ours, in both specs; her key, found through the
        # cache, verifies what Fedify signed.
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{alice_id}/raw/remote-actor-story",
            "type": "Create",
            "actor": alice_id,
            "object": {"type": "Note", "content": "hello", "attributedTo": alice_id},
        }
        async with stub_inbox() as (inbox_url, received):
            for spec in ("draft-cavage-http-signatures-12", "rfc9421"):
                answer = await asyncio.to_thread(
                    fedify_peer.post_raw, inbox_url, json.dumps(activity), spec
                )
                assert answer["status"] == 202, answer
        assert len(received) == 2
        for parts, spec in zip(received, ("draft-cavage", "rfc9421"), strict=True):
            info = parse_signature(parts)
            assert isinstance(info, SignatureInfo) and info.spec == spec
            key = await resolve_key(node, info.key_id)
            assert key.owner == alice_id
            verified = verify_signature(parts, info, key.public_key, now=time.time())
            assert isinstance(verified, Verified), verified
    finally:
        await node.close_http()
