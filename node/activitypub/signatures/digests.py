"""Body digests: draft-cavage ``Digest`` and RFC 9530 ``Content-Digest`` (make and check)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Final

from node.activitypub.signatures.request import MAX_HEADER, b64decode, parse_dictionary
from node.activitypub.signatures.results import Failure, Rejected

__all__ = ["body_digest", "check_content_digest", "check_digest", "content_digest"]

_DIGESTS: Final[Mapping[str, Callable[[bytes], hashlib._Hash]]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def body_digest(body: bytes) -> str:
    """The draft-cavage ``Digest`` header value for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value for a body: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_digest(header: str | None, body: bytes) -> Rejected | None:
    """Check a ``Digest`` header against the body; None when a supported digest matches."""
    if header is None:
        return Rejected(Failure.DIGEST_MISSING, "digest is signed but there is no Digest header")
    if len(header) > MAX_HEADER:
        return Rejected(Failure.DIGEST_MALFORMED, "the Digest header is too long")
    offered = []
    matched = False
    for part in header.split(",")[:16]:
        name, sep, value = part.strip().partition("=")
        algorithm = name.strip().lower()
        offered.append(algorithm[:32])
        hash_fn = _DIGESTS.get(algorithm)
        if hash_fn is None:
            continue
        expected = b64decode(value.strip()) if sep else None
        if expected is None:
            return Rejected(Failure.DIGEST_MALFORMED, f"the {algorithm} digest is not base64")
        if not hmac.compare_digest(expected, hash_fn(body).digest()):
            return Rejected(Failure.DIGEST_MISMATCH, f"the body does not match its {algorithm}")
        matched = True
    if not matched:
        return Rejected(
            Failure.DIGEST_UNSUPPORTED, f"Digest offers only: {', '.join(offered) or 'nothing'}"
        )
    return None


def check_content_digest(header: str | None, body: bytes) -> Rejected | None:
    """Check a ``Content-Digest`` header against the body; None when a supported one matches."""
    if header is None:
        return Rejected(
            Failure.DIGEST_MISSING, "content-digest is signed but there is no Content-Digest"
        )
    parsed = parse_dictionary(header)
    if parsed is None:
        return Rejected(Failure.DIGEST_MALFORMED, "Content-Digest is not a structured dictionary")
    matched = False
    for algorithm, member in parsed.items():
        hash_fn = _DIGESTS.get(algorithm)
        if hash_fn is None:
            continue
        value = member[0] if isinstance(member, tuple) else member
        if not isinstance(value, bytes):
            return Rejected(
                Failure.DIGEST_MALFORMED, f"the {algorithm} digest is not a byte string"
            )
        if not hmac.compare_digest(value, hash_fn(body).digest()):
            return Rejected(Failure.DIGEST_MISMATCH, f"the body does not match its {algorithm}")
        matched = True
    if not matched:
        offered = ", ".join(name[:32] for name in parsed) or "nothing"
        return Rejected(Failure.DIGEST_UNSUPPORTED, f"Content-Digest offers only: {offered}")
    return None
