"""What checking a signature yields: ``Verified`` or ``Rejected(reason, detail)``.

One pair for every kind of signature this node checks - HTTP signatures (draft-cavage,
RFC 9421) and the signatures carried in documents (RsaSignature2017, eddsa-jcs-2022 proofs) -
so that a caller handles them alike. A ``Failure`` value doubles as a stable error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum, auto
from typing import Final, Literal

__all__ = ["FAILURE_MESSAGES", "Failure", "Rejected", "Spec", "Verification", "Verified"]

Spec = Literal["draft-cavage", "rfc9421"]


class Failure(StrEnum):
    """Why a signature was not accepted; the value doubles as a stable error code."""

    # Shared by every kind of signature.
    NO_SIGNATURE = auto()
    BAD_SIGNATURE = auto()
    # HTTP signatures.
    MALFORMED_SIGNATURE = auto()
    SIGNATURE_INPUT_MISSING = auto()
    UNSUPPORTED_ALGORITHM = auto()
    UNSUPPORTED_COMPONENT = auto()
    MISSING_SIGNED_HEADER = auto()
    MISSING_HEADER = auto()
    MALFORMED_DATE = auto()
    CLOCK_SKEW = auto()
    EXPIRED = auto()
    DIGEST_MISSING = auto()
    DIGEST_MALFORMED = auto()
    DIGEST_UNSUPPORTED = auto()
    DIGEST_MISMATCH = auto()
    KEY_TYPE_MISMATCH = auto()
    # Signatures and proofs inside documents (ldsig).
    MALFORMED = auto()
    UNSUPPORTED_TYPE = auto()
    WRONG_KEY_TYPE = auto()
    WRONG_PURPOSE = auto()
    TOO_COMPLEX = auto()
    UNKNOWN_CONTEXT = auto()
    CANONICALIZATION_FAILED = auto()


FAILURE_MESSAGES: Final[Mapping[Failure, str]] = {
    Failure.NO_SIGNATURE: "The request is not signed: send a Signature header (draft-cavage) "
    "or Signature-Input and Signature headers (RFC 9421).",
    Failure.MALFORMED_SIGNATURE: "The signature headers could not be parsed.",
    Failure.SIGNATURE_INPUT_MISSING: "The Signature header is in RFC 9421 form but no "
    "Signature-Input header came with it.",
    Failure.UNSUPPORTED_ALGORITHM: "The signature algorithm is not supported (draft-cavage: "
    "rsa-sha256, hs2019, ed25519; RFC 9421: rsa-v1_5-sha256, rsa-pss-sha512, ed25519).",
    Failure.UNSUPPORTED_COMPONENT: "The signature covers a component this server cannot rebuild.",
    Failure.MISSING_SIGNED_HEADER: "The signature does not cover all this server requires: "
    "the method and target, the host, a date or created time, and the body digest on POST.",
    Failure.MISSING_HEADER: "The signature covers a header that the request does not carry.",
    Failure.MALFORMED_DATE: "The Date header is not an HTTP date.",
    Failure.CLOCK_SKEW: "The signature's date is outside the accepted time window.",
    Failure.EXPIRED: "The signature has expired.",
    Failure.DIGEST_MISSING: "The Digest / Content-Digest header is missing.",
    Failure.DIGEST_MALFORMED: "The Digest / Content-Digest header could not be parsed.",
    Failure.DIGEST_UNSUPPORTED: "The Digest / Content-Digest header offers no supported "
    "algorithm (sha-256, sha-512).",
    Failure.DIGEST_MISMATCH: "The body does not match its Digest / Content-Digest.",
    Failure.BAD_SIGNATURE: "The signature does not verify with the signer's key.",
    Failure.KEY_TYPE_MISMATCH: "The signature algorithm does not fit the signer's key type.",
    Failure.MALFORMED: "The signature or proof is present but not of the expected shape.",
    Failure.UNSUPPORTED_TYPE: "The signature type or cryptosuite is not supported.",
    Failure.WRONG_KEY_TYPE: "The signer's key cannot make this kind of signature.",
    Failure.WRONG_PURPOSE: "The proof's purpose is not the one asked for.",
    Failure.TOO_COMPLEX: "The document is over the size, nesting or work limits.",
    Failure.UNKNOWN_CONTEXT: "The document names a JSON-LD context this server does not bundle.",
    Failure.CANONICALIZATION_FAILED: "The document could not be canonicalised.",
}


@dataclass(frozen=True, slots=True)
class Verified:
    """Signed by ``key_id``; the caller still checks that the key belongs to the actor.

    ``spec`` and ``algorithm`` say how an HTTP signature was made; they are None for a
    signature or proof inside a document (its type says how).
    """

    key_id: str
    spec: Spec | None = None
    algorithm: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The signature was refused: a reason code and a human-readable detail."""

    reason: Failure
    detail: str

    @property
    def message(self) -> str:
        """The generic message for the reason (``detail`` says what exactly went wrong)."""
        return FAILURE_MESSAGES[self.reason]


Verification = Verified | Rejected
