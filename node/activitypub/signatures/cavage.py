"""draft-cavage HTTP signatures, as Mastodon signs and reads them (``Signature:`` header)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from node.activitypub import keys
from node.activitypub.signatures.algorithms import (
    key_kind,
    key_mismatch,
    load_private_key,
    sign_bytes,
)
from node.activitypub.signatures.digests import body_digest
from node.activitypub.signatures.request import (
    MAX_COMPONENTS,
    MAX_HEADER,
    MAX_KEY_ID,
    RequestParts,
    SignatureInfo,
    b64decode,
    encode,
    outgoing,
)
from node.activitypub.signatures.results import Failure, Rejected

__all__ = [
    "algorithms_for",
    "missing_components",
    "parse_cavage",
    "sign_cavage",
    "signing_strings",
]

_CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019", "ed25519"})

# draft-cavage parameters: name=value, the value quoted or a bare token (created=1402170695).
# A ':' is not a token character, so an RFC 9421 ``sig1=:...:`` never parses as cavage.
_CAVAGE_PARAM = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*"
    r"(?:\"([^\"\\]*(?:\\.[^\"\\]*)*)\"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))[ \t]*(?:,|$)"
)
_CAVAGE_ESCAPE = re.compile(r"\\(.)")
_INTEGER = re.compile(r"[0-9]{1,15}")


def parse_cavage(value: str) -> SignatureInfo | Failure:
    """Parse a draft-cavage ``Signature`` header value, without checking it."""
    if len(value) > MAX_HEADER:
        return Failure.MALFORMED_SIGNATURE
    text = value.strip()
    # Old node-http-signature versions repeat the scheme inside the header (Mastodon allows it).
    if text[:10].lower() == "signature ":
        text = text[10:]
    params = _cavage_params(text)
    if params is None:
        return Failure.MALFORMED_SIGNATURE
    key_id = params.get("keyid", "")
    raw_signature = params.get("signature", "")
    if not key_id or not raw_signature or len(key_id) > MAX_KEY_ID:
        return Failure.MALFORMED_SIGNATURE
    algorithm = params["algorithm"].lower() if "algorithm" in params else None
    if algorithm is not None and algorithm not in _CAVAGE_ALGORITHMS:
        return Failure.UNSUPPORTED_ALGORITHM
    # Defaults as Mastodon reads them: hs2019 signs "(created)" by default, others "date".
    default = "(created)" if algorithm in (None, "hs2019") else "date"
    components = tuple(params.get("headers", default).lower().split())
    if not components or len(components) > MAX_COMPONENTS:
        return Failure.MALFORMED_SIGNATURE
    signature = b64decode(raw_signature)
    created = _cavage_int(params.get("created"))
    expires = _cavage_int(params.get("expires"))
    if signature is None or created is False or expires is False:
        return Failure.MALFORMED_SIGNATURE
    return SignatureInfo(
        spec="draft-cavage",
        key_id=key_id,
        algorithm=algorithm,
        components=components,
        created=created,
        expires=expires,
        signature=signature,
    )


def _cavage_params(text: str) -> dict[str, str] | None:
    params: dict[str, str] = {}
    pos = 0
    for match in _CAVAGE_PARAM.finditer(text):
        # finditer skips what does not match; a gap between matches is a syntax error.
        if match.start() != pos:
            return None
        name, quoted, bare = match.groups()
        name = name.lower()
        if name in params:
            return None
        if quoted is None:
            params[name] = bare
        else:
            params[name] = _CAVAGE_ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
    return params if pos == len(text) else None


def _cavage_int(value: str | None) -> int | Literal[False] | None:
    if value is None:
        return None
    return int(value) if _INTEGER.fullmatch(value) else False


def missing_components(req: RequestParts, covered: frozenset[str]) -> list[str]:
    """What a draft-cavage signature must cover and does not."""
    missing = [name for name in ("(request-target)", "host") if name not in covered]
    # Mastodon accepts the (created) pseudo-header in place of Date.
    if "date" not in covered and "(created)" not in covered:
        missing.append("date")
    if req.expects_body() and "digest" not in covered:
        missing.append("digest")
    return missing


def algorithms_for(algorithm: str | None, key: keys.PublicKey) -> tuple[str, ...] | Rejected:
    """The algorithms to try (RFC 9421 names) for a cavage ``algorithm`` and the signer's key."""
    kind = key_kind(key)
    # hs2019 means "whatever the key is"; with RSA that is RSA-SHA256 in practice (Mastodon).
    if algorithm in (None, "hs2019") and kind != "other":
        return ("rsa-v1_5-sha256",) if kind == "rsa" else ("ed25519",)
    if algorithm == "rsa-sha256" and kind == "rsa":
        return ("rsa-v1_5-sha256",)
    if algorithm == "ed25519" and kind == "ed25519":
        return ("ed25519",)
    return key_mismatch(algorithm, key)


def signing_strings(req: RequestParts, info: SignatureInfo) -> list[bytes] | Rejected:
    """The signing string(s) the signer may have signed: with, then without, the query."""
    first = _cavage_string(req, info.components, info.created, info.expires, req.path)
    if isinstance(first, Rejected):
        return first
    path, _, query = req.path.partition("?")
    if not query or "(request-target)" not in info.components:
        return [first]
    # Fedify 2.3 (and Mastodon's own signer until recently) leave the query string out of
    # (request-target); Mastodon's verifier tries both forms, and so do we.
    second = _cavage_string(req, info.components, info.created, info.expires, path)
    return [first] if isinstance(second, Rejected) else [first, second]


def _cavage_string(
    req: RequestParts,
    components: Sequence[str],
    created: int | None,
    expires: int | None,
    path: str,
) -> bytes | Rejected:
    lines = []
    for name in components:
        if name == "(request-target)":
            value = f"{req.method.lower()} {path}"
        elif name == "(created)" or name == "(expires)":
            stamp = created if name == "(created)" else expires
            if stamp is None:
                return Rejected(Failure.MALFORMED_SIGNATURE, f"{name} has no value")
            value = str(stamp)
        else:
            header = req.headers.get(name)
            if header is None:
                return Rejected(
                    Failure.MISSING_HEADER, f"{name[:64]} is signed but the request lacks it"
                )
            value = header.strip()
        lines.append(f"{name}: {value}")
    return encode("\n".join(lines))


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    *,
    key_id: str,
    private_key: keys.PrivateKey | str,
    now: float | datetime,
) -> dict[str, str]:
    """Sign a request the way Mastodon does (draft-cavage); returns every header to send.

    The given headers are kept; Host, Date, Digest (when there is a body) and Signature are
    set. Signed: ``(request-target) host date digest content-type`` with a body,
    ``(request-target) host date accept`` without (content-type / accept only when given).
    """
    key = load_private_key(private_key)
    if '"' in key_id or "\\" in key_id:
        raise ValueError("key_id must not contain quotes or backslashes")
    out, req = outgoing(method, url, headers, body, now, ("Digest", body_digest))
    names = ["(request-target)", "host", "date"]
    if body is not None:
        names.append("digest")
        if "content-type" in req.headers:
            names.append("content-type")
    elif "accept" in req.headers:
        names.append("accept")
    message = _cavage_string(req, names, None, None, req.path)
    if isinstance(message, Rejected):  # pragma: no cover - every name was just set
        raise ValueError(message.detail)
    algorithm = "rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "hs2019"
    signature = base64.b64encode(sign_bytes(key, message, None)).decode("ascii")
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{signature}"'
    )
    return out
