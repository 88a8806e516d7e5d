"""Deliveries' signatures made in batches on signing threads (node/federation/outbox/signer_threads.py).

Two co-operatives sign the POSTs of one fan-out each; the signing thread is held at its first
signature until every request is queued, so what it finds waiting it takes in batches. Each
signature is checked with our own verifier against the key of the actor that made it, for the
inbox it was made for.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from functools import cache, partial

import pytest

from node.activitypub import keys
from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import Verified
from node.activitypub.signatures.verify import parse_signature, verify
from node.federation.outbox.signer_threads import MAX_BATCH, SignerThreads

BASE = "http://127.0.0.1:8000"
BODY = b'{"type":"Create","actor":"http://127.0.0.1:8000/actors/coop"}'
CONTENT_TYPE = {"Content-Type": "application/activity+json"}


@cache
def rsa_private_pem(name: str) -> str:
    """An RSA key per actor, made once per run."""
    return keys.generate_rsa().private_pem


def signing(
    slug: str, pem: str, inbox: str, gate: threading.Event | None = None
) -> partial[dict[str, str]]:
    def sign() -> dict[str, str]:
        if gate is not None:
            gate.wait(10)
        return sign_cavage(
            "POST",
            inbox,
            CONTENT_TYPE,
            BODY,
            key_id=f"{BASE}/actors/{slug}#main-key",
            private_key=pem,
            now=time.time(),
        )

    return partial(sign)


def assert_verifies(headers: dict[str, str], path: str, pem: str, slug: str) -> None:
    request = RequestParts("POST", path, headers, BODY, scheme="http")
    info = parse_signature(request)
    assert isinstance(info, SignatureInfo), info
    public = keys.load_public_key(keys.public_pem_of(keys.load_private_key(pem)))
    result = verify(request, info, public, now=time.time())
    assert isinstance(result, Verified), result
    assert result.key_id == f"{BASE}/actors/{slug}#main-key"


async def test_a_fan_out_signed_in_batches_verifies_inbox_by_inbox_with_each_actors_key() -> None:
    signers = SignerThreads(1)
    actors = {"coop": rsa_private_pem("coop"), "union": rsa_private_pem("union")}
    held = threading.Event()
    wanted = [
        (slug, f"/users/u{i}/inbox", i == 0 and slug == "coop")
        for i in range(24)
        for slug in actors
    ]
    tasks = [
        asyncio.create_task(
            signers.sign(
                signing(
                    slug,
                    actors[slug],
                    f"http://127.0.0.1:{40000 + n}{path}",
                    held if hold else None,
                )
            )
        )
        for n, (slug, path, hold) in enumerate(wanted)
    ]
    await asyncio.sleep(0)  # every request is queued behind the held first one
    held.set()
    results = await asyncio.gather(*tasks)

    for n, ((slug, path, _), headers) in enumerate(zip(wanted, results, strict=True)):
        assert headers["Host"] == f"127.0.0.1:{40000 + n}"
        assert headers["Content-Type"] == "application/activity+json"
        assert_verifies(headers, path, actors[slug], slug)
        # made for its own inbox: it does not pass for another one
        elsewhere = RequestParts("POST", "/users/other/inbox", headers, BODY, scheme="http")
        info = parse_signature(elsewhere)
        assert isinstance(info, SignatureInfo)
        public = keys.load_public_key(keys.public_pem_of(keys.load_private_key(actors[slug])))
        assert not isinstance(verify(elsewhere, info, public, now=time.time()), Verified)
    # the first batch (the held signature and whatever was queued when the thread took it),
    # then the rest, all waiting by then, in batches of MAX_BATCH
    assert signers.batches <= 1 + -(-(len(wanted) - 1) // MAX_BATCH) < len(wanted)


async def test_a_failed_signature_fails_its_own_delivery_only() -> None:
    signers = SignerThreads(2)
    pem = rsa_private_pem("coop")
    held = threading.Event()

    def bad_key_id() -> dict[str, str]:
        held.wait(10)
        return sign_cavage(
            "POST",
            "http://127.0.0.1:40001/inbox",
            CONTENT_TYPE,
            BODY,
            key_id='https://evil"/key',
            private_key=pem,
            now=time.time(),
        )

    requests: list[Callable[[], dict[str, str]]] = [bad_key_id]
    requests += [signing("coop", pem, f"http://127.0.0.1:{40002 + i}/inbox") for i in range(6)]
    tasks = [asyncio.create_task(signers.sign(s)) for s in requests]
    await asyncio.sleep(0)
    held.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(results[0], ValueError) and "key_id" in str(results[0])
    for headers in results[1:]:
        assert isinstance(headers, dict)
        assert_verifies(headers, "/inbox", pem, "coop")


def test_leaving_the_loop_with_signatures_pending_does_not_hang() -> None:
    signers = SignerThreads(2, idle=0.05)
    pem = rsa_private_pem("coop")
    held = threading.Event()

    async def shut_down_while_signing() -> int:
        tasks = [
            asyncio.create_task(
                signers.sign(signing("coop", pem, f"http://127.0.0.1:{40000 + i}/inbox", held))
            )
            for i in range(20)
        ]
        await asyncio.sleep(0)
        for task in tasks:  # the worker stops: its jobs are cancelled mid-signature
            task.cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        return sum(isinstance(d, asyncio.CancelledError) for d in done)

    assert asyncio.run(shut_down_while_signing()) == 20  # returned: nothing waited on the threads
    held.set()  # the threads finish into a closed loop, drop their batches, and end when idle
    for _ in range(400):
        if signers.alive == 0:
            break
        time.sleep(0.05)
    assert signers.alive == 0

    async def sign_again() -> dict[str, str]:
        return await signers.sign(signing("coop", pem, "http://127.0.0.1:40001/inbox"))

    # a new loop is served by new threads
    assert_verifies(asyncio.run(sign_again()), "/inbox", pem, "coop")


@pytest.mark.parametrize("threads", [0, -1])
def test_a_signer_needs_a_thread(threads: int) -> None:
    with pytest.raises(ValueError, match="thread"):
        SignerThreads(threads)


async def test_a_thread_that_ends_mid_batch_leaves_no_caller_waiting() -> None:
    """Something no signature should raise (a SystemExit in a library) ends its thread: the
    request it was signing fails with a clear error rather than wait forever (a deliver job,
    and the worker's stop behind it, would hang), and what waits is served by a new thread."""
    signers = SignerThreads(1)
    pem = rsa_private_pem("coop")
    held = threading.Event()

    def ends_the_thread() -> dict[str, str]:
        held.wait(10)
        raise SystemExit("a library gave up")

    requests: list[Callable[[], dict[str, str]]] = [ends_the_thread]
    requests += [signing("coop", pem, f"http://127.0.0.1:{40002 + i}/inbox") for i in range(3)]
    tasks = [asyncio.create_task(signers.sign(s)) for s in requests]
    await asyncio.sleep(0)
    held.set()  # the one thread takes the whole batch, and ends at its first request
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

    assert isinstance(results[0], RuntimeError), results[0]
    assert "signing thread ended" in str(results[0])
    for headers in results[1:]:  # signed in its batch, or by the thread that took over
        assert isinstance(headers, dict), headers
        assert_verifies(headers, "/inbox", pem, "coop")
    assert signers.alive <= 1
