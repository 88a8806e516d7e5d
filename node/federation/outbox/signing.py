"""Signatures inside our public activities, so that relays and forwarding servers can pass
them on and the receiver still knows the activity is ours.

An HTTP signature proves who made a request, not who wrote the body; a relay forwards our
public posts under its own HTTP signature. Mastodon then accepts them only with an
RsaSignature2017 LD signature, newer peers (Fedify, Mastodon since mastodon/mastodon#39530)
also with an FEP-8b32 ``eddsa-jcs-2022`` proof (interop.md, "Relays"). Signing costs one JSON-LD
canonicalisation (3-8 ms), so it happens once per activity, in its fan-out job
(:func:`sign_stored`) - never per recipient, and never inside a write transaction: on SQLite
that would hold the one writer lock while the CPU canonicalises.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from node.activitypub import jcs, keys
from node.activitypub.vocab import AS_CONTEXT, DATA_INTEGRITY_CONTEXT, SECURITY_CONTEXT
from node.db import write_connection
from node.federation.actors.documents import actor_id
from node.models import LocalActor, OutboxActivity
from node.urls import Urls

__all__ = ["sign_as_sender", "sign_public_activity", "sign_stored", "signing_context"]

log = logging.getLogger("solnode.outbox")


def signing_context(context: Any) -> list[Any]:
    """``@context`` as a list that names security/v1 and data-integrity/v1.

    They go right after the ActivityStreams context, before inline term definitions: Fedify
    ignores a proof unless data-integrity/v1 is in the activity's context, and Mastodon checks a
    proof's ``@context`` only against a list. Inline terms stay last so they still apply.
    """
    items = list(context) if isinstance(context, list) else [context] if context else []
    if AS_CONTEXT not in items:
        items.insert(0, AS_CONTEXT)
    known = (AS_CONTEXT, SECURITY_CONTEXT, DATA_INTEGRITY_CONTEXT)
    at = max(items.index(url) for url in known if url in items) + 1
    for url in (SECURITY_CONTEXT, DATA_INTEGRITY_CONTEXT):
        if url not in items:
            items.insert(at, url)
            at += 1
    return items


def sign_public_activity(
    actor: LocalActor, urls: Urls, activity: dict[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """A copy of ``activity`` with an eddsa-jcs-2022 ``proof`` and an RsaSignature2017
    ``signature`` by ``actor`` (whose id must be the activity's ``actor``).

    The proof comes first and the LD signature covers it, as Fedify signs (both verify that
    way, see tests/fixtures/fedify). The proof repeats the document's ``@context``, since
    Mastodon hashes proof options as written. Earlier signatures are replaced, so signing again
    is harmless. If the document cannot be canonicalised (a context we do not bundle), it goes
    out with the proof only, and the failure is logged: publishing never fails for it.
    """
    ident = actor_id(urls, actor)
    if activity.get("actor") != ident:
        raise ValueError(f"{ident} can only sign its own activities, not {activity.get('actor')}")
    return _sign(actor, ident, activity, now)


def sign_as_sender(
    actor: LocalActor, activity: dict[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """Like ``sign_public_activity`` for an activity that ``actor`` is sending (delivery knows
    the actor but not the node's URLs; the actor id is the activity's ``actor``)."""
    ident = activity.get("actor")
    if not isinstance(ident, str) or not ident:
        raise ValueError("the activity has no actor to sign as")
    return _sign(actor, ident, activity, now)


def _sign(
    actor: LocalActor, ident: str, activity: dict[str, Any], now: datetime | None
) -> dict[str, Any]:
    # lazy: pyld (~5 MiB, lxml) loads with the first public activity signed, not in every process
    from node.activitypub import jsonld, ldsig

    created = (now or datetime.now(UTC)).replace(microsecond=0)
    doc = {k: v for k, v in activity.items() if k not in {"signature", "proof"}}
    doc["@context"] = signing_context(doc.get("@context"))
    ed_key = keys.load_private_key(actor.ed_private_pem)
    rsa_key = keys.load_private_key(actor.rsa_private_pem)
    if isinstance(ed_key, ed25519.Ed25519PrivateKey):
        try:
            doc = ldsig.create_proof_eddsa_jcs_2022(doc, ed_key, Urls.ed25519_key(ident), created)
        except jcs.JcsError as exc:
            log.warning("no integrity proof on %s: %s", doc.get("id"), exc)
    if isinstance(rsa_key, rsa.RSAPrivateKey):
        try:
            doc = ldsig.sign_rsa_signature_2017(doc, rsa_key, Urls.main_key(ident), created)
        except jsonld.JsonLdError as exc:
            log.warning("no LD signature on %s: %s", doc.get("id"), exc)
    return doc


def needs_signature(row: OutboxActivity) -> bool:
    """A public activity of ours, stored without its body signature (forwarded bodies, kept
    byte for byte in ``raw``, are someone else's and never signed by us)."""
    return row.public and not row.raw and "signature" not in row.document


def sign_stored(engine: Engine, activity_id: str) -> bool:
    """Sign a stored public activity in the body: read it, sign with no transaction open, then
    write the signed document in one short UPDATE. Returns whether it was signed now.

    Only the activity's one fan-out job calls this (its dedupe key makes it unique); a retried
    fan-out finds the signature and does nothing. Signing twice would be harmless anyway."""
    with Session(engine) as session:
        row = session.exec(
            select(OutboxActivity).where(OutboxActivity.ap_id == activity_id)
        ).first()
        if row is None or not needs_signature(row):
            return False
        actor = session.get(LocalActor, row.actor_id)
        if actor is None:
            return False
        document = dict(row.document)
    signed = sign_as_sender(actor, document)
    with write_connection(engine) as conn:
        done = conn.execute(
            update(OutboxActivity)
            .where(col(OutboxActivity.ap_id) == activity_id)
            .values(document=signed)
        )
    return bool(done.rowcount)
