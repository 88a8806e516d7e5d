"""ONE verification of signed requests (the inbox and authorized fetch), and ONE table from
the reasons a request is refused to the HTTP status and a message its sender can act on.

A signature is checked cheaply first (covered components, clock, digest), then against the
signer's key: from the in-process key cache, else resolved through the remote actor cache
(perhaps fetched). A signature that does not verify with a known key is tried once more with
the key fetched again, because the signer may have rotated it (as Mastodon does). Where a
per-server rate limit applies, only verified requests spend the signer's tokens, so nobody
can exhaust another server's allowance with forged requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from node.activitypub.signatures.request import RequestParts, SignatureInfo
from node.activitypub.signatures.results import FAILURE_MESSAGES, Failure, Rejected, Spec, Verified
from node.activitypub.signatures.verify import check_request, parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.federation.context import NodeContext
from node.federation.policy import host_of
from node.federation.remote.fetch import FetchBudget, RemoteActorError
from node.federation.remote.keys import resolve_key
from node.keycache import CachedKey
from node.ratelimit import RateLimiter

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
) -> Signer | Refusal:
    """Verify a request's parsed signature against its signer's key.

    ``limiter`` (per signing server) is peeked before any key work and spent only once the
    signature verified. ``budget`` bounds the fetches a key lookup may make.
    """
    signer_host = host_of(info.key_id)
    wait = limiter.peek(signer_host) if limiter is not None else 0.0
    if wait:
        return _too_many(wait, signer_host)
    early = check_request(parts, info, now=now)
    if early is not None:
        return Refusal(str(early.reason), early.detail)
    key = node.key_cache.get(info.key_id, now)
    try:
        if key is None:
            key = await _fetch_key(node, info.key_id, now, budget, refresh=False)
    except RemoteActorError as exc:
        return Refusal("unknown_key", f"could not get the signing key {info.key_id}: {exc}")
    result = verify_signature(parts, info, key.public_key, now=now)
    if _may_be_rotated(result):
        try:
            key = await _fetch_key(node, info.key_id, now, budget, refresh=True)
        except RemoteActorError as exc:
            return Refusal("unknown_key", f"could not refresh the signing key: {exc}")
        result = verify_signature(parts, info, key.public_key, now=now)
    if isinstance(result, Rejected):
        return Refusal(str(result.reason), result.detail)
    if limiter is not None:
        limiter.take(signer_host)
    return Signer(key_id=info.key_id, owner=key.owner, spec=info.spec)


def _may_be_rotated(result: Verified | Rejected) -> bool:
    return isinstance(result, Rejected) and result.reason == Failure.BAD_SIGNATURE


async def _fetch_key(
    node: NodeContext, key_id: str, now: float, budget: FetchBudget, *, refresh: bool
) -> CachedKey:
    resolved = await resolve_key(node, key_id, refresh=refresh, budget=budget)
    return node.key_cache.put(CachedKey(resolved.owner, resolved.public_key, key_id), now)


def _too_many(wait: float, host: str) -> Refusal:
    seconds = max(1, int(wait + 0.999))
    return Refusal(
        "rate_limited",
        f"{host} is sending more than this node accepts; retry in {seconds} s",
        retry_after=seconds,
    )
