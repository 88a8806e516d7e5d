"""Signatures carried inside an activity: RsaSignature2017 and FEP-8b32 integrity proofs.

They authenticate an activity that reaches us through someone else (a relay, a forwarding
inbox, a network re-announcing by embedding), when the HTTP signer is not the actor.

* **RsaSignature2017** (Mastodon's Linked Data Signature, ``signature``): the options
  (``creator``, ``created``, ...) under the identity/v1 context and the document without
  ``signature`` are each URDNA2015-canonicalised and SHA-256-hashed to hex; the 128 hex characters
  are signed with RSASSA-PKCS1-v1_5/SHA-256 and base64-encoded. This is what Mastodon's
  ``ActivityPub::LinkedDataSignature`` and Fedify's ``createSignature`` do; canonicalisation uses
  only the bundled contexts (``jsonld.py``).
* **eddsa-jcs-2022** (FEP-8b32 / W3C vc-di-eddsa, ``proof``): the proof options with the
  document's ``@context`` and the document without ``proof`` are each JCS-canonicalised
  (RFC 8785) and SHA-256-hashed; the 64 bytes are signed with Ed25519 and the signature is
  written as base58btc multibase (``z...``).

Verifiers take the already-resolved public key (key lookup is the caller's effect) and return
:class:`Verified` or :class:`Rejected` (``signatures.results``); they never raise on hostile input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from node.activitypub import jcs, jsonld
from node.activitypub.keys import KeyFormatError, PublicKey, b58decode, b58encode
from node.activitypub.signatures.results import Failure, Rejected, Verification, Verified

__all__ = [
    "create_proof_eddsa_jcs_2022",
    "proof_verification_method",
    "sign_rsa_signature_2017",
    "signature_creator",
    "verify_proof_eddsa_jcs_2022",
    "verify_rsa_signature_2017",
]

IDENTITY_CONTEXT = "https://w3id.org/identity/v1"
RSA_SIGNATURE_2017 = "RsaSignature2017"
DATA_INTEGRITY_PROOF = "DataIntegrityProof"
EDDSA_JCS_2022 = "eddsa-jcs-2022"

# Left out of the options hash, as by Mastodon's `without`; the hash covers all else a signer put.
_RSA_OPTION_EXCLUDED = ("type", "id", "signatureValue")


def _xsd_datetime(created: datetime) -> str:
    # Second precision, UTC, 'Z': what Mastodon writes (Time#iso8601) and every peer parses.
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("created must be a timezone-aware datetime")
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _without(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != key}


# --- RsaSignature2017 -------------------------------------------------------------------------


def _rsa_message(opts: Mapping[str, Any], doc: Mapping[str, Any], limits: jsonld.Limits) -> bytes:
    options_doc = {k: v for k, v in opts.items() if k not in _RSA_OPTION_EXCLUDED}
    options_doc["@context"] = IDENTITY_CONTEXT
    options_hash = _sha256_hex(jsonld.canonize(options_doc, limits))
    document_hash = _sha256_hex(jsonld.canonize(_without(doc, "signature"), limits))
    return (options_hash + document_hash).encode("ascii")


def sign_rsa_signature_2017(
    doc: Mapping[str, Any],
    private_key: rsa.RSAPrivateKey,
    creator: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of ``doc`` carrying an RsaSignature2017 ``signature`` (replacing any).

    ``creator`` is the key id (``<actor>#main-key``); ``created`` must be timezone-aware.
    Raises :class:`jsonld.JsonLdError` subclasses if the document cannot be canonicalised
    (e.g. it names a context that is not bundled - Mastodon would have to fetch it too).
    """
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("RsaSignature2017 needs an RSA private key")
    options = {"type": RSA_SIGNATURE_2017, "creator": creator, "created": _xsd_datetime(created)}
    message = _rsa_message(options, doc, jsonld.DEFAULT_LIMITS)
    value = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    signed = _without(doc, "signature")
    signed["signature"] = {**options, "signatureValue": base64.b64encode(value).decode("ascii")}
    return signed


def signature_creator(doc: Any) -> str | None:
    """The key id of an RsaSignature2017 ``signature``, or None if there is none (or another type).

    Use it to resolve the key before calling :func:`verify_rsa_signature_2017`.
    """
    if not isinstance(doc, Mapping):
        return None
    sig = doc.get("signature")
    if not isinstance(sig, Mapping) or sig.get("type") != RSA_SIGNATURE_2017:
        return None
    creator = sig.get("creator")
    return creator if isinstance(creator, str) else None


def verify_rsa_signature_2017(
    doc: Mapping[str, Any], public_key: PublicKey, limits: jsonld.Limits = jsonld.DEFAULT_LIMITS
) -> Verification:
    """Check the RsaSignature2017 ``signature`` of ``doc`` against ``public_key``.

    Never raises on hostile input; returns :class:`Rejected` with the reason instead.
    """
    try:
        return _verify_rsa_2017(doc, public_key, limits)
    except Exception as exc:  # a safety net: hostile input must never crash the inbox job
        return Rejected(
            Failure.MALFORMED, f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
        )


def _verify_rsa_2017(doc: Any, public_key: PublicKey, limits: jsonld.Limits) -> Verification:
    if not isinstance(doc, Mapping):
        return Rejected(Failure.MALFORMED, "document is not a JSON object")
    if "signature" not in doc:
        return Rejected(Failure.NO_SIGNATURE, "no signature property")
    sig = doc["signature"]
    if not isinstance(sig, Mapping):
        return Rejected(Failure.MALFORMED, "signature is not an object")
    if sig.get("type") != RSA_SIGNATURE_2017:
        return Rejected(Failure.UNSUPPORTED_TYPE, f"signature type {str(sig.get('type'))[:60]!r}")
    creator, value = sig.get("creator"), sig.get("signatureValue")
    if not isinstance(creator, str) or not isinstance(value, str):
        return Rejected(Failure.MALFORMED, "signature needs creator and signatureValue strings")
    if not isinstance(public_key, rsa.RSAPublicKey):
        return Rejected(Failure.WRONG_KEY_TYPE, "RsaSignature2017 needs an RSA key")
    try:
        # Mastodon decodes leniently (Ruby's Base64.decode64): tolerate whitespace and missing
        # padding, as long as what is left is base64.
        compact = "".join(value.split())
        signature = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return Rejected(Failure.MALFORMED, "signatureValue is not base64")
    failure = _canonicalisation_guard(doc, limits)
    if failure is not None:
        return failure
    try:
        message = _rsa_message(sig, doc, limits)
    except Exception as exc:
        return _canonicalisation_rejection(exc)
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return Rejected(Failure.BAD_SIGNATURE, f"RsaSignature2017 by {creator} does not match")
    return Verified(creator)


def _canonicalisation_guard(doc: Any, limits: jsonld.Limits) -> Rejected | None:
    try:
        jsonld.check_complexity(doc, limits)
    except jsonld.DocumentTooComplex as exc:
        return Rejected(Failure.TOO_COMPLEX, str(exc))
    return None


def _canonicalisation_rejection(exc: Exception) -> Rejected:
    if isinstance(exc, jsonld.DocumentTooComplex):
        return Rejected(Failure.TOO_COMPLEX, str(exc))
    if isinstance(exc, jsonld.UnknownContextError):
        return Rejected(Failure.UNKNOWN_CONTEXT, f"context {exc.url[:200]!r} is not bundled")
    # pyld raises all sorts of errors on odd input (see jsonld._reraise); all mean the same here.
    return Rejected(Failure.CANONICALIZATION_FAILED, f"{type(exc).__name__}: {str(exc)[:200]}")


# --- FEP-8b32 eddsa-jcs-2022 ------------------------------------------------------------------


def _jcs_hash_data(proof_config: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    # vc-di-eddsa 3.3.4: hashData = SHA-256(JCS(proofConfig)) || SHA-256(JCS(document)).
    return (
        hashlib.sha256(jcs.canonicalize(proof_config)).digest()
        + hashlib.sha256(jcs.canonicalize(unsecured)).digest()
    )


def create_proof_eddsa_jcs_2022(
    doc: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a copy of ``doc`` with an FEP-8b32 ``DataIntegrityProof`` (eddsa-jcs-2022).

    The proof covers the document without ``proof``; an existing proof is kept and the new one
    appended (a proof set), as Fedify does. Add the proof before any RsaSignature2017 (which
    then covers it), as Fedify does. ``verification_method`` is the id of the Ed25519 Multikey
    listed in the actor's ``assertionMethod``.

    Interop: the document's ``@context`` should be an array that includes
    ``https://w3id.org/security/data-integrity/v1`` - Fedify ignores a proof whose terms do not
    expand, and Mastodon checks the proof's ``@context`` only against an array. The actor
    document needs ``https://www.w3.org/ns/did/v1`` (or cid/v1) for ``assertionMethod``.
    Raises :class:`jcs.JcsError` if the document is not I-JSON (NaN, lone surrogates...).
    """
    if not isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise TypeError("eddsa-jcs-2022 needs an Ed25519 private key")
    unsecured = _without(doc, "proof")
    proof: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": EDDSA_JCS_2022,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        "created": _xsd_datetime(created),
    }
    if "@context" in unsecured:
        # The proof repeats the document's @context, as the W3C test vectors and Fedify do:
        # Mastodon hashes the proof options exactly as written (it never adds the document's
        # @context), so a proof without it would not verify there.
        proof["@context"] = unsecured["@context"]
    signature = private_key.sign(_jcs_hash_data(proof, unsecured))
    proof["proofValue"] = "z" + b58encode(signature)
    existing = doc.get("proof")
    secured = dict(unsecured)
    if existing is None:
        secured["proof"] = proof
    elif isinstance(existing, list):
        secured["proof"] = [*existing, proof]
    else:
        secured["proof"] = [existing, proof]
    return secured


def _eddsa_proofs(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = doc.get("proof")
    items = raw if isinstance(raw, list) else [raw]
    return [
        p
        for p in items
        if isinstance(p, Mapping)
        and p.get("type") == DATA_INTEGRITY_PROOF
        and p.get("cryptosuite") == EDDSA_JCS_2022
    ]


def proof_verification_method(doc: Any) -> str | None:
    """The ``verificationMethod`` of the first eddsa-jcs-2022 proof of ``doc``, or None.

    Use it to resolve the key before calling :func:`verify_proof_eddsa_jcs_2022`.
    """
    if not isinstance(doc, Mapping):
        return None
    for proof in _eddsa_proofs(doc):
        method = proof.get("verificationMethod")
        if isinstance(method, str):
            return method
    return None


def verify_proof_eddsa_jcs_2022(
    doc: Mapping[str, Any],
    public_key: PublicKey,
    *,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    limits: jsonld.Limits = jsonld.DEFAULT_LIMITS,
) -> Verification:
    """Check an eddsa-jcs-2022 ``proof`` of ``doc`` against ``public_key``.

    With several proofs, only those by ``verification_method`` are tried when it is given;
    otherwise any eddsa-jcs-2022 proof that verifies with the key is accepted. ``expires``,
    ``domain`` and ``challenge`` are not checked (FEP-8b32 activities carry none). Never raises
    on hostile input; returns :class:`Rejected` with the reason instead.
    """
    try:
        return _verify_eddsa_jcs(doc, public_key, verification_method, proof_purpose, limits)
    except Exception as exc:  # a safety net: hostile input must never crash the inbox job
        return Rejected(
            Failure.MALFORMED, f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
        )


def _verify_eddsa_jcs(
    doc: Any,
    public_key: PublicKey,
    verification_method: str | None,
    proof_purpose: str,
    limits: jsonld.Limits,
) -> Verification:
    if not isinstance(doc, Mapping):
        return Rejected(Failure.MALFORMED, "document is not a JSON object")
    if doc.get("proof") is None:
        return Rejected(Failure.NO_SIGNATURE, "no proof property")
    proofs = _eddsa_proofs(doc)
    if not proofs:
        return Rejected(
            Failure.UNSUPPORTED_TYPE, "no DataIntegrityProof with cryptosuite eddsa-jcs-2022"
        )
    if verification_method is not None:
        proofs = [p for p in proofs if p.get("verificationMethod") == verification_method]
        if not proofs:
            return Rejected(
                Failure.NO_SIGNATURE, f"no eddsa-jcs-2022 proof by {verification_method}"
            )
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        return Rejected(Failure.WRONG_KEY_TYPE, "eddsa-jcs-2022 needs an Ed25519 key")
    failure = _canonicalisation_guard(doc, limits)
    if failure is not None:
        return failure
    rejection = Rejected(Failure.BAD_SIGNATURE, "")
    for proof in proofs:
        outcome = _verify_one_proof(doc, proof, public_key, proof_purpose)
        if isinstance(outcome, Verified):
            return outcome
        rejection = outcome
    return rejection


def _verify_one_proof(
    doc: Mapping[str, Any],
    proof: Mapping[str, Any],
    public_key: ed25519.Ed25519PublicKey,
    proof_purpose: str,
) -> Verification:
    method, purpose, value = (
        proof.get("verificationMethod"),
        proof.get("proofPurpose"),
        proof.get("proofValue"),
    )
    if not isinstance(method, str) or not isinstance(value, str):
        return Rejected(Failure.MALFORMED, "proof needs verificationMethod and proofValue strings")
    if purpose != proof_purpose:
        return Rejected(
            Failure.WRONG_PURPOSE, f"proofPurpose {str(purpose)[:60]!r}, not {proof_purpose}"
        )
    created = proof.get("created")
    if created is not None and not _is_datetime(created):
        return Rejected(Failure.MALFORMED, "proof created is not an XML Schema dateTime")
    if not value.startswith("z") or len(value) > 200:
        return Rejected(Failure.MALFORMED, "proofValue is not base58btc multibase")
    try:
        signature = b58decode(value[1:])
    except KeyFormatError:
        return Rejected(Failure.MALFORMED, "proofValue is not base58btc multibase")
    if len(signature) != 64:
        return Rejected(Failure.MALFORMED, "proofValue is not a 64-byte Ed25519 signature")

    unsecured = _without(doc, "proof")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        # vc-di-eddsa verify step 4: a proof with its own @context must name a prefix of the
        # document's, which then stands in for the document's @context.
        if not _starts_with(unsecured.get("@context"), config["@context"]):
            return Rejected(Failure.MALFORMED, "proof @context is not a prefix of the document's")
        unsecured["@context"] = config["@context"]
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    candidates = [unsecured]
    if "signature" in unsecured:
        # Fedify (and anyone signing like it) adds the proof first and the RsaSignature2017
        # afterwards, so the proof covers the document without `signature`. A signer doing it
        # the other way round covers it, hence both candidates.
        candidates.append(_without(unsecured, "signature"))
    try:
        for candidate in candidates:
            try:
                public_key.verify(signature, _jcs_hash_data(config, candidate))
            except InvalidSignature:
                continue
            return Verified(method)
    except jcs.JcsError as exc:
        return Rejected(Failure.CANONICALIZATION_FAILED, f"JCS: {exc}")
    return Rejected(Failure.BAD_SIGNATURE, f"eddsa-jcs-2022 proof by {method} does not match")


def _starts_with(document_context: Any, proof_context: Any) -> bool:
    doc_items = document_context if isinstance(document_context, list) else [document_context]
    proof_items = proof_context if isinstance(proof_context, list) else [proof_context]
    return len(proof_items) <= len(doc_items) and doc_items[: len(proof_items)] == proof_items


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 64 or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
