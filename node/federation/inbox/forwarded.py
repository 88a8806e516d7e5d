"""Activities that arrive through someone else: relays, forwarding inboxes, group announces.

When the HTTP signer is not the activity's actor, the HTTP signature only says who passed the
activity on. The actor must then have signed the body itself, with an FEP-8b32 integrity proof
(eddsa-jcs-2022) or an RsaSignature2017 LD signature - what Mastodon and Fedify require too
(interop.md, "Authenticity when content travels"). The proof is tried first: it needs JCS
only, while the LD signature needs JSON-LD canonicalisation (3-8 ms for a real Create, much
more for a crafted one), which therefore runs in a worker thread under ``INBOX_LD_LIMITS``.
Normal requests (signer = actor) never come here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from anyio import to_thread

from node.activitypub import jsonld, ldsig
from node.activitypub.addressing import origin
from node.activitypub.signatures.results import Rejected, Verification, Verified
from node.federation.context import NodeContext
from node.federation.remote import actors as remote

if TYPE_CHECKING:
    from node.federation.remote.actors import FetchBudget, ResolvedKey

__all__ = ["INBOX_LD_LIMITS", "Authenticated", "NotAuthenticated", "authenticate_forwarded"]

# Tighter than jsonld.DEFAULT_LIMITS because this runs while a sender waits: measured here, a
# Create(Note) canonicalises in ~8 ms and one 256-item array in ~70 ms; real forwarded
# activities have a few dozen values and short arrays.
INBOX_LD_LIMITS = jsonld.Limits(
    max_depth=32,
    max_values=2_000,
    max_chars=200_000,
    max_array_work=256 * 256,
    max_permutations=200,
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
    key is retried once with the actor refetched, as for HTTP signatures (key rotation).
    """
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
        jsonld.check_complexity(doc, INBOX_LD_LIMITS)
    except jsonld.DocumentTooComplex as exc:
        return NotAuthenticated("too_complex", f"too complex to check its signature: {exc}")
    failures: list[NotAuthenticated] = []
    refreshed = False
    for kind, key_id in methods:
        outcome, refreshed = await _try(node, doc, actor_id, kind, key_id, budget, refreshed)
        if isinstance(outcome, Authenticated):
            return outcome
        failures.append(outcome)
    return NotAuthenticated(failures[0].reason, "; ".join(f.detail for f in failures))


async def _try(
    node: NodeContext,
    doc: dict[str, Any],
    actor_id: str,
    kind: str,
    key_id: str,
    budget: FetchBudget,
    refreshed: bool,
) -> tuple[Authenticated | NotAuthenticated, bool]:

    if origin(key_id) != origin(actor_id):
        # Never fetch a third party's key on the say-so of a forwarded body.
        return NotAuthenticated(
            "signer_actor_mismatch", f"the {kind} key {key_id} is not the actor's"
        ), refreshed
    try:
        key = await remote.resolve_key(node, key_id, budget=budget)
        if key.owner != actor_id:
            return NotAuthenticated(
                "signer_actor_mismatch", f"the {kind} is by {key.owner}, not by {actor_id}"
            ), refreshed
        result = await _verify(kind, doc, key)
        if isinstance(result, Rejected) and result.reason == "bad_signature" and not refreshed:
            refreshed = True
            key = await remote.resolve_key(node, key_id, refresh=True, budget=budget)
            if key.owner == actor_id:
                result = await _verify(kind, doc, key)
    except remote.RemoteActorError as exc:
        return NotAuthenticated(
            "unknown_key", f"could not get the {kind} key {key_id}: {exc}"
        ), refreshed
    if isinstance(result, Verified):
        return Authenticated(kind, key_id), refreshed
    return NotAuthenticated(result.reason, f"{kind} by {key_id}: {result.detail}"), refreshed


async def _verify(kind: str, doc: dict[str, Any], key: ResolvedKey) -> Verification:
    if kind == PROOF:
        # JCS and one Ed25519 check: fast enough to run on the event loop.
        return ldsig.verify_proof_eddsa_jcs_2022(
            doc, key.public_key, verification_method=key.key_id, limits=INBOX_LD_LIMITS
        )
    verification: Verification = await to_thread.run_sync(
        partial(ldsig.verify_rsa_signature_2017, doc, key.public_key, INBOX_LD_LIMITS)
    )
    return verification
