"""ONE verification of signed requests (the inbox and authorized fetch), and ONE table from
the reasons a request is refused to the HTTP status and a message its sender can act on.

A signature is checked cheaply first (covered components, clock, digest), then against the
signer's key: from the in-process key cache, else resolved through the remote actor cache
(perhaps fetched). A signature that does not verify with a known key is tried once more with
the key fetched again, because the signer may have rotated it (as Mastodon does) - at most once
per ``key_refetch_interval`` per owner, and checked again only if the key really changed. Where a
per-server rate limit applies, only verified requests spend the signer's tokens, so nobody
can exhaust another server's allowance with forged requests.

Key fetches run within ``node.key_fetch`` (``node.federation.remote.key_fetch``): their own
client, per-origin and per-client-IP bounds, a negative cache. Why a key could not be
obtained is logged, never told to the sender (a 401 body is no port scanner or DNS oracle).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from node.activitypub.signatures.request import RequestParts, SignatureInfo, authority
from node.activitypub.signatures.results import FAILURE_MESSAGES, Failure, Rejected, Spec, Verified
from node.activitypub.signatures.verify import check_request, parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.federation.context import NodeContext
from node.federation.policy import host_of
from node.federation.remote.fetch import FetchBudget, RemoteActorError
from node.federation.remote.key_fetch import KeyFetchBusy
from node.federation.remote.keys import may_refetch, resolve_key
from node.keycache import CachedKey
from node.ratelimit import RateLimiter

log = logging.getLogger("solnode.verify")

__all__ = [
    "REFUSALS",
    "Refusal",
    "Signer",
    "read_signature",
    "status_of",
    "verify_request",
]


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed a verified request: the key, its owner, and the signature spec."""

    key_id: str
    owner: str
    spec: Spec


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: a stable ``reason`` code (a key of ``REFUSALS``) and what
    exactly went wrong (``detail``; the table's message when empty)."""

    reason: str
    detail: str = ""
    retry_after: int | None = None

    @property
    def status(self) -> int:
        """The HTTP status for this refusal."""
        return status_of(self.reason)

    @property
    def message(self) -> str:
        """The detail, or the table's general message for the reason."""
        return self.detail or REFUSALS.get(self.reason, _AUTHENTICATION)[1]


# Every reason not in the table is an authentication failure (401): the HTTP signature
# failures (Failure, whose messages are FAILURE_MESSAGES) and those of
# the LD signatures and integrity proofs of forwarded activities.
_AUTHENTICATION: Final = (401, "The request could not be authenticated.")
_LIMITS: Final = "The activity exceeds this node's limits."

# 400: the activity itself is wrong; 401: a signature (Fedify and Mastodon then retry with the
# other signature spec); 403: a blocked server or actor; 404/413/415: the request; 429: slow down.
REFUSALS: Final[Mapping[str, tuple[int, str]]] = {
    "invalid_json": (400, "The body is not valid JSON."),
    "nul_character": (400, "The activity contains a NUL character, which is never stored."),
    "malformed_activity": (400, "The activity is not shaped as ActivityPub requires."),
    "foreign_object": (400, "The activity embeds an object from another origin."),
    # bounds.ViolationReason, one by one (tests/unit/test_verify_table.py keeps them in step)
    "too_deep": (400, _LIMITS),
    "too_many_values": (400, _LIMITS),
    "list_too_long": (400, _LIMITS),
    "string_too_long": (400, _LIMITS),
    "content_too_long": (400, _LIMITS),
    "too_many_recipients": (400, _LIMITS),
    "bad_url_scheme": (400, _LIMITS),
    "blocked": (403, "This node does not accept activities from that server or actor."),
    "no_recipient": (404, "No such actor on this node."),
    "body_too_large": (413, "The body is larger than this node accepts."),
    "unsupported_media_type": (415, "Send ActivityStreams JSON."),
    "rate_limited": (429, "The server is sending more than this node accepts; retry later."),
    "unknown_key": (401, "The signing key could not be obtained."),
}


def status_of(reason: str) -> int:
    """The HTTP status for a refusal reason (401 for those not in the table: see above)."""
    return REFUSALS.get(reason, _AUTHENTICATION)[0]


def read_signature(parts: RequestParts) -> SignatureInfo | Refusal:
    """The parsed signature of a request, or why there is none that can be read."""
    info = parse_signature(parts)
    if isinstance(info, Failure):
        return Refusal(str(info), FAILURE_MESSAGES[info])
    return info


async def verify_request(
    node: NodeContext,
    parts: RequestParts,
    info: SignatureInfo,
    *,
    now: float,
    budget: FetchBudget,
    limiter: RateLimiter | None = None,
    client_ip: str = "",
) -> Signer | Refusal:
    """Verify a request's parsed signature against its signer's key.

    ``limiter`` (per signing server) is peeked before any key work and spent only once the
    signature verified. ``budget`` bounds the fetches a key lookup may make; ``client_ip``
    (who sent the request) is what the key-fetch gate counts lookups and failures against.
    """
    parts = _signed_for_us(node, parts)
    signer_host = host_of(info.key_id)
    wait = limiter.peek(signer_host) if limiter is not None else 0.0
    if wait:
        return _too_many(wait, signer_host)
    early = check_request(parts, info, now=now)
    if early is not None:
        return Refusal(str(early.reason), early.detail)
    cached = node.key_cache.get(info.key_id, now)
    key = cached or await _shared_lookup(node, info.key_id, now, budget, client_ip)
    if isinstance(key, Refusal):
        return key
    result = verify_signature(parts, info, key.public_key, now=now)
    if _may_be_rotated(result) and may_refetch(node, key.owner):
        cached = key
        key = await _fetch_key(node, info.key_id, now, budget, client_ip, refresh=True)
        if isinstance(key, Refusal):
            return key
        if key.public_key != cached.public_key:  # checked again only if the key changed
            result = verify_signature(parts, info, key.public_key, now=now)
    if isinstance(result, Rejected):
        return Refusal(str(result.reason), result.detail)
    if limiter is not None:
        limiter.take(signer_host)
    return Signer(key_id=info.key_id, owner=key.owner, spec=info.spec)


def _signed_for_us(node: NodeContext, parts: RequestParts) -> RequestParts:
    """The request as it must have been signed to be meant for this node: the signed host
    (cavage ``host``, RFC 9421 ``@authority``) is our own, whatever ``Host`` it arrived with,
    so a signature made for another server and replayed here with its ``Host`` fails."""
    ours = authority(node.settings.scheme, node.settings.host)
    sent = parts.headers.get("host")
    if sent is not None and authority(parts.scheme, sent.strip()) == ours:
        return parts
    return replace(parts, headers={**parts.headers, "host": ours})


def _may_be_rotated(result: Verified | Rejected) -> bool:
    return isinstance(result, Rejected) and result.reason == Failure.BAD_SIGNATURE


async def _shared_lookup(
    node: NodeContext, key_id: str, now: float, budget: FetchBudget, client_ip: str
) -> CachedKey | Refusal:
    """One lookup of an uncached key per (key, client) at a time: a burst of deliveries from
    one server after our restart waits on one fetch instead of taking one gate slot each (and
    being refused 429 beyond four). Shielded, so one caller going away does not cancel it."""
    flight = (key_id, client_ip)
    pending = node.key_lookups.get(flight)
    if pending is None:
        pending = asyncio.ensure_future(
            _fetch_key(node, key_id, now, budget, client_ip, refresh=False)
        )
        node.key_lookups[flight] = pending

        def done(task: asyncio.Future[Any]) -> None:
            node.key_lookups.pop(flight, None)
            if not task.cancelled():
                task.exception()  # retrieved: every caller may have gone away

        pending.add_done_callback(done)
    found: CachedKey | Refusal = await asyncio.shield(pending)
    return found


async def _fetch_key(
    node: NodeContext,
    key_id: str,
    now: float,
    budget: FetchBudget,
    client_ip: str,
    *,
    refresh: bool,
) -> CachedKey | Refusal:
    """The signer's key, fetched within the key-fetch gate (remote/key_fetch.py), or the
    refusal. What went wrong goes to the log only: the sender gets the table's message, so
    the inbox tells nobody which ports are closed or what a name resolves to."""
    try:
        async with node.key_fetch.lookup(client_ip):
            resolved = await resolve_key(node, key_id, refresh=refresh, budget=budget)
    except KeyFetchBusy as exc:
        if exc.retry_after is None:
            return Refusal("unknown_key")
        log.warning("key lookup of %s for %s refused: %s", key_id, client_ip, exc)
        return _busy(exc.retry_after)
    except RemoteActorError as exc:
        log.warning(
            "could not %s the signing key %s (for %s): %s: %s",
            "refresh" if refresh else "get",
            key_id,
            client_ip or "?",
            exc.reason,
            exc,
        )
        return Refusal("unknown_key")
    return node.key_cache.put(CachedKey(resolved.owner, resolved.public_key, key_id), now)


def _too_many(wait: float, host: str) -> Refusal:
    seconds = max(1, int(wait + 0.999))
    return Refusal(
        "rate_limited",
        f"{host} is sending more than this node accepts; retry in {seconds} s",
        retry_after=seconds,
    )


def _busy(wait: float) -> Refusal:
    seconds = max(1, int(wait + 0.999))
    return Refusal(
        "rate_limited",
        f"too many key lookups from your address; retry in {seconds} s",
        retry_after=seconds,
    )
