"""Activities that arrive through someone else: relays, forwarding inboxes, group announces.

When the HTTP signer is not the activity's actor, the HTTP signature only says who passed the
activity on. The actor must then have signed the body itself, with an FEP-8b32 integrity proof
(eddsa-jcs-2022) or an RsaSignature2017 LD signature - what Mastodon and Fedify require too
(interop.md, "Authenticity when content travels"). The proof is tried first: it needs JCS
only, while the LD signature needs JSON-LD canonicalisation (3-8 ms for a real Create, seconds
for a crafted one), which therefore has a budget:

* structural, before any key is fetched: ``INBOX_LD_LIMITS`` (sizes, and one top-level
  ``@context`` - nested, scoped or repeated contexts are refused, ``jsonld.ldbudget``);
* a wall-clock deadline that pyld checks as it goes (``max_seconds``);
* a rate of canonicalisation CPU time per claimed origin (``ldwork``, ``rate_limit_ld_work``);
* one run per key: after a bad signature the key is refetched only if its owner was not
  refetched within ``key_refetch_interval``, and the signature checked again only if the key
  really changed.

It runs in a worker thread. Normal requests (signer = actor) never come here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from anyio import to_thread

from node.activitypub.addressing import origin
from node.activitypub.ldlimits import Limits
from node.activitypub.signatures.results import Rejected, Verification, Verified
from node.federation.context import NodeContext
from node.federation.inbox.ldwork import work_meter
from node.federation.remote import actors as remote
from node.federation.remote.keys import may_refetch

if TYPE_CHECKING:
    from collections.abc import Callable

    from node.federation.remote.actors import FetchBudget, ResolvedKey

__all__ = ["INBOX_LD_LIMITS", "Authenticated", "NotAuthenticated", "authenticate_forwarded"]

# Tighter than jsonld.DEFAULT_LIMITS because this runs while a sender waits: measured here, a
# Create(Note) canonicalises in ~8 ms and one 256-item array in ~70 ms; real forwarded
# activities have a few dozen values, short arrays and one @context of a few entries (Fedify
# sends five, and repeats them in its proof).
# The sizes are what any body signed by its actor must meet (the integrity proof needs no
# JSON-LD processing); the context rules and the deadline are for the LD signature only.
_SIZE_LIMITS = Limits(
    max_depth=32,
    max_values=2_000,
    max_chars=200_000,
    max_array_work=256 * 256,
    max_permutations=200,
)
INBOX_LD_LIMITS = Limits(
    max_depth=_SIZE_LIMITS.max_depth,
    max_values=_SIZE_LIMITS.max_values,
    max_chars=_SIZE_LIMITS.max_chars,
    max_array_work=_SIZE_LIMITS.max_array_work,
    max_permutations=_SIZE_LIMITS.max_permutations,
    max_contexts=8,
    max_seconds=0.5,
)

PROOF = "integrity-proof"
LD_SIGNATURE = "ld-signature"


@dataclass(frozen=True)
class Authenticated:
    """The actor signed the body: ``verified_by`` is integrity-proof or ld-signature."""

    verified_by: str
    key_id: str


@dataclass(frozen=True)
class NotAuthenticated:
    """Nothing in the body proves the actor wrote it; ``reason`` is a stable code."""

    reason: str
    detail: str


async def authenticate_forwarded(
    node: NodeContext, doc: dict[str, Any], actor_id: str, *, budget: FetchBudget
) -> Authenticated | NotAuthenticated:
    """Check the integrity proof, then the LD signature, of a forwarded activity.

    Each must be by a key its actor owns (resolved through the remote actor cache, Multikeys
    from ``assertionMethod`` included, within ``budget``). A signature that fails with a cached
    key is retried once with the actor refetched, as for HTTP signatures (key rotation), if
    the owner may be refetched and the key changed.
    """
    # lazy: pyld (~5 MiB, lxml) loads with the first forwarded activity, not in every web process
    from node.activitypub import jsonld, ldsig

    methods: list[tuple[str, str]] = []
    proof_method = ldsig.proof_verification_method(doc)
    if proof_method:
        methods.append((PROOF, proof_method))
    creator = ldsig.signature_creator(doc)
    if creator:
        methods.append((LD_SIGNATURE, creator))
    if not methods:
        return NotAuthenticated(
            "signer_actor_mismatch",
            "the body carries no LD signature (RsaSignature2017) or integrity proof "
            "(eddsa-jcs-2022) by the actor",
        )
    try:
        jsonld.check_complexity(doc, _SIZE_LIMITS)
    except jsonld.DocumentTooComplex as exc:
        return NotAuthenticated("too_complex", f"too complex to check its signature: {exc}")
    failures: list[NotAuthenticated] = []
    for kind, key_id in methods:
        refused = _ld_precheck(node, doc, actor_id) if kind == LD_SIGNATURE else None
        outcome = refused or await _try(node, doc, actor_id, kind, key_id, budget)
        if isinstance(outcome, Authenticated):
            return outcome
        failures.append(outcome)
    return NotAuthenticated(failures[0].reason, "; ".join(f.detail for f in failures))


def _ld_precheck(node: NodeContext, doc: dict[str, Any], actor_id: str) -> NotAuthenticated | None:
    """Why the LD signature is not even looked at: its contexts, or its origin's work rate."""
    from node.activitypub import jsonld  # lazy: see authenticate_forwarded

    try:
        jsonld.check_complexity(doc, INBOX_LD_LIMITS)
    except jsonld.DocumentTooComplex as exc:
        return NotAuthenticated("too_complex", f"too complex to check its LD signature: {exc}")
    meter = work_meter(node)
    wait = meter.wait(origin(actor_id)) if meter is not None else 0.0
    if wait:
        return NotAuthenticated(
            "rate_limited",
            f"{origin(actor_id)} has used its LD-signature checking time; retry in "
            f"{max(1, int(wait + 0.999))} s",
        )
    return None


async def _try(
    node: NodeContext,
    doc: dict[str, Any],
    actor_id: str,
    kind: str,
    key_id: str,
    budget: FetchBudget,
) -> Authenticated | NotAuthenticated:
    if origin(key_id) != origin(actor_id):
        # Never fetch a third party's key on the say-so of a forwarded body.
        return NotAuthenticated(
            "signer_actor_mismatch", f"the {kind} key {key_id} is not the actor's"
        )
    try:
        key = await remote.resolve_key(node, key_id, budget=budget)
        if key.owner != actor_id:
            return NotAuthenticated(
                "signer_actor_mismatch", f"the {kind} is by {key.owner}, not by {actor_id}"
            )
        result = await _verify(node, kind, doc, key)
        if _worth_refetching(node, result, key):
            cached = key
            key = await remote.resolve_key(node, key_id, refresh=True, budget=budget)
            if key.owner == actor_id and key.public_key != cached.public_key:
                result = await _verify(node, kind, doc, key)
    except remote.RemoteActorError as exc:
        return NotAuthenticated("unknown_key", f"could not get the {kind} key {key_id}: {exc}")
    if isinstance(result, Verified):
        return Authenticated(kind, key_id)
    return NotAuthenticated(result.reason, f"{kind} by {key_id}: {result.detail}")


def _worth_refetching(node: NodeContext, result: Verification, key: ResolvedKey) -> bool:
    # Only a signature that did not match may be by a rotated key; refetched at most once per
    # interval per owner (remote.keys.may_refetch).
    return (
        isinstance(result, Rejected)
        and result.reason == "bad_signature"
        and may_refetch(node, key.owner)
    )


async def _verify(
    node: NodeContext, kind: str, doc: dict[str, Any], key: ResolvedKey
) -> Verification:
    from node.activitypub import ldsig  # lazy: see authenticate_forwarded

    if kind == PROOF:
        # JCS and one Ed25519 check: fast enough to run on the event loop.
        return ldsig.verify_proof_eddsa_jcs_2022(
            doc, key.public_key, verification_method=key.key_id, limits=_SIZE_LIMITS
        )
    verification, seconds = await to_thread.run_sync(
        partial(_timed, ldsig.verify_rsa_signature_2017, doc, key.public_key, INBOX_LD_LIMITS)
    )
    meter = work_meter(node)
    if meter is not None:
        meter.charge(origin(key.owner), seconds * 1000)
    return verification


def _timed(
    check: Callable[[dict[str, Any], Any, Limits], Verification],
    doc: dict[str, Any],
    public_key: Any,
    limits: Limits,
) -> tuple[Verification, float]:
    """``check``'s verdict and the CPU time it took in this thread."""
    started = time.thread_time()
    verification = check(doc, public_key, limits)
    return verification, time.thread_time() - started
