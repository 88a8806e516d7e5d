"""HTTP signatures: draft-cavage and RFC 9421 (sign and verify), ``Digest`` and ``Content-Digest``.

Verification is two steps so that the caller can resolve the key in between (which may need
network I/O this module must not do)::

    req = RequestParts.from_url("POST", url, headers, body)
    info = parse_signature(req)              # SignatureInfo, or a Failure: which key signed it?
    ...resolve info.key_id to a keys.PublicKey...
    result = verify(req, info, public_key, now=clock())   # Verified, or Rejected(reason, detail)

``check_request`` runs every check that needs no key (covered components, clock, digests), so an
inbox can refuse a request before it fetches anything; ``verify`` runs it again, it is cheap.

Nothing here raises on hostile input: every header a remote party controls is parsed with
bounds, and every way to fail is a ``Failure`` with a message in ``FAILURE_MESSAGES``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate, parsedate_tz
from enum import StrEnum, auto
from functools import lru_cache
from typing import Final, Literal, cast
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from node.activitypub import keys
from node.activitypub.structured_fields import (
    _SF_KEY,
    MAX_COMPONENTS,
    MAX_HEADER,
    _InnerList,
    _Item,
    _Params,
    _ser_inner_list,
    _sf_dictionary,
)

__all__ = [
    "DEFAULT_WINDOW",
    "FAILURE_MESSAGES",
    "ClockWindow",
    "Failure",
    "Rejected",
    "RequestParts",
    "SignatureInfo",
    "Spec",
    "Verified",
    "body_digest",
    "check_request",
    "content_digest",
    "http_date",
    "parse_signature",
    "sign_cavage",
    "sign_rfc9421",
    "verify",
]

Spec = Literal["draft-cavage", "rfc9421"]


class Failure(StrEnum):
    """Why a signed request was not accepted; the value doubles as a stable error code."""

    NO_SIGNATURE = auto()
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
    BAD_SIGNATURE = auto()
    KEY_TYPE_MISMATCH = auto()


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
}


@dataclass(frozen=True, slots=True)
class ClockWindow:
    """How far a signature's time (Date header, ``created``) may stray from our clock, in seconds.

    The defaults are Mastodon's: a signature may be dated up to 1 h ahead, and up to 65 min
    behind (it lives 5 min, plus 1 h of skew). An explicit ``expires`` gets the same grace as
    ``future``, as Mastodon gives it, since the signer's clock may be that far off.
    """

    future: float = 3600.0
    past: float = 3900.0


DEFAULT_WINDOW: Final = ClockWindow()


@dataclass(frozen=True, slots=True)
class RequestParts:
    """The parts of an HTTP request a signature can cover.

    ``path`` is the path and query exactly as sent (not percent-decoded). ``headers`` is
    normalised to lower-case names; repeated fields are joined with ", " as HTTP allows.
    ``scheme`` is the scheme the *sender* used, needed only for RFC 9421 ``@target-uri``
    (behind a TLS-terminating proxy, pass "https", not what the proxy spoke).
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes | None = None
    scheme: str = "https"

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "headers", _normalise_headers(self.headers))

    @classmethod
    def from_url(
        cls,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes | None = None,
    ) -> RequestParts:
        """Build from a full URL; a missing Host header is taken from the URL's authority."""
        split = urlsplit(url)
        scheme = split.scheme.lower() or "https"
        normalised = _normalise_headers(headers)
        if "host" not in normalised and split.netloc:
            normalised["host"] = _authority(scheme, split.netloc)
        return cls(method, _path_and_query(split.path, split.query), normalised, body, scheme)


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """A parsed signature: who claims to have signed, what it covers, and the bytes to check.

    ``components`` are draft-cavage header names (lower-cased) or RFC 9421 component names.
    ``algorithm`` is as sent, or None when absent (then the key's type decides).
    ``signature_params`` is the serialised RFC 9421 ``@signature-params`` value ("" for cavage).
    """

    spec: Spec
    key_id: str
    algorithm: str | None
    components: tuple[str, ...]
    created: int | None
    expires: int | None
    signature: bytes = field(repr=False)
    label: str | None = None
    signature_params: str = ""


@dataclass(frozen=True, slots=True)
class Verified:
    """The request was signed by ``key_id``; the caller still checks the key's owner."""

    key_id: str
    spec: Spec
    algorithm: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The request's signature was refused: a reason code and a human-readable detail."""

    reason: Failure
    detail: str

    @property
    def message(self) -> str:
        """The generic message for the reason (``detail`` says what exactly went wrong)."""
        return FAILURE_MESSAGES[self.reason]


# --- public helpers ------------------------------------------------------------------------------


def http_date(now: float | datetime) -> str:
    """Format an instant as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return formatdate(_epoch(now), usegmt=True)


def body_digest(body: bytes) -> str:
    """The draft-cavage ``Digest`` header value for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` header value for a body: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


# --- parsing -------------------------------------------------------------------------------------

_MAX_SIGNATURE_BYTES = 1024  # an 8192-bit RSA signature
_MAX_KEY_ID = 2048

_CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019", "ed25519"})
_RFC9421_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519"})
_DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)

# draft-cavage parameters: name=value, the value quoted or a bare token (created=1402170695).
# A ':' is not a token character, so an RFC 9421 ``sig1=:...:`` never parses as cavage.
_CAVAGE_PARAM = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*"
    r"(?:\"([^\"\\]*(?:\\.[^\"\\]*)*)\"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))[ \t]*(?:,|$)"
)
_CAVAGE_ESCAPE = re.compile(r"\\(.)")
_INTEGER = re.compile(r"[0-9]{1,15}")


def parse_signature(
    req: RequestParts, *, specs: Collection[Spec] = ("rfc9421", "draft-cavage")
) -> SignatureInfo | Failure:
    """Find and parse the request's signature, without checking it.

    RFC 9421 when both ``Signature-Input`` and ``Signature`` are present, draft-cavage from
    ``Signature`` (or ``Authorization: Signature ...``) otherwise. ``specs`` limits what is
    accepted; a cavage-only parse of an RFC 9421 request is a MALFORMED_SIGNATURE.
    """
    headers = req.headers
    signature = headers.get("signature")
    signature_input = headers.get("signature-input")
    if signature_input is not None and "rfc9421" in specs:
        if signature is None:
            return Failure.MALFORMED_SIGNATURE
        return _parse_rfc9421(signature_input, signature)
    if "draft-cavage" not in specs:
        return Failure.NO_SIGNATURE
    if signature is None:
        # httpsig and old node-http-signature put it in Authorization, as the draft also allows.
        authorization = headers.get("authorization", "")
        if authorization[:10].lower() == "signature ":
            signature = authorization[10:]
    if signature is None:
        return Failure.NO_SIGNATURE
    parsed = _parse_cavage(signature)
    if (
        parsed is Failure.MALFORMED_SIGNATURE
        and signature_input is None
        and "rfc9421" in specs
        and _looks_like_rfc9421(signature)
    ):
        return Failure.SIGNATURE_INPUT_MISSING
    return parsed


def _parse_cavage(value: str) -> SignatureInfo | Failure:
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
    if not key_id or not raw_signature or len(key_id) > _MAX_KEY_ID:
        return Failure.MALFORMED_SIGNATURE
    algorithm = params["algorithm"].lower() if "algorithm" in params else None
    if algorithm is not None and algorithm not in _CAVAGE_ALGORITHMS:
        return Failure.UNSUPPORTED_ALGORITHM
    # Defaults as Mastodon reads them: hs2019 signs "(created)" by default, others "date".
    default = "(created)" if algorithm in (None, "hs2019") else "date"
    components = tuple(params.get("headers", default).lower().split())
    if not components or len(components) > MAX_COMPONENTS:
        return Failure.MALFORMED_SIGNATURE
    signature = _b64decode(raw_signature)
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


def _parse_rfc9421(signature_input: str, signature: str) -> SignatureInfo | Failure:
    inputs = _sf_dictionary(signature_input)
    values = _sf_dictionary(signature)
    if inputs is None or values is None:
        return Failure.MALFORMED_SIGNATURE
    failure = Failure.MALFORMED_SIGNATURE
    # Several signatures may be present (a proxy can add its own); take the first we can use.
    for label, member in inputs.items():
        value = values.get(label)
        if not isinstance(member, _InnerList) or not isinstance(value, _Item):
            continue
        if not isinstance(value.value, bytes):
            continue
        result = _rfc9421_info(label, member, value.value)
        if isinstance(result, SignatureInfo):
            return result
        failure = result
    return failure


def _rfc9421_info(label: str, inner: _InnerList, signature: bytes) -> SignatureInfo | Failure:
    if not signature or len(signature) > _MAX_SIGNATURE_BYTES:
        return Failure.MALFORMED_SIGNATURE
    if len(inner.items) > MAX_COMPONENTS:
        return Failure.MALFORMED_SIGNATURE
    names: list[str] = []
    for item in inner.items:
        name = item.value
        # type() rather than isinstance(): a Token is a str subclass, and is not allowed here.
        if type(name) is not str or not name or name != name.lower() or name in names:
            return Failure.MALFORMED_SIGNATURE
        # Component parameters (sf, key, bs, req, tr, name) change what is signed: unsupported.
        if item.params or (name[0] == "@" and name not in _DERIVED):
            return Failure.UNSUPPORTED_COMPONENT
        names.append(name)
    params = inner.params
    key_id = params.get("keyid")
    alg = params.get("alg")
    created = params.get("created")
    expires = params.get("expires")
    if type(key_id) is not str or not key_id or len(key_id) > _MAX_KEY_ID:
        return Failure.MALFORMED_SIGNATURE
    if alg is not None and type(alg) is not str:
        return Failure.MALFORMED_SIGNATURE
    if alg is not None and alg not in _RFC9421_ALGORITHMS:
        return Failure.UNSUPPORTED_ALGORITHM
    if (created is not None and type(created) is not int) or (
        expires is not None and type(expires) is not int
    ):
        return Failure.MALFORMED_SIGNATURE
    return SignatureInfo(
        spec="rfc9421",
        key_id=key_id,
        algorithm=alg,
        components=tuple(names),
        created=created,
        expires=expires,
        signature=signature,
        label=label,
        signature_params=_ser_inner_list(inner),
    )


def _looks_like_rfc9421(value: str) -> bool:
    parsed = _sf_dictionary(value)
    return bool(parsed) and any(
        isinstance(m, _Item) and isinstance(m.value, bytes) for m in (parsed or {}).values()
    )


# --- checks that need no key ---------------------------------------------------------------------


def check_request(
    req: RequestParts,
    info: SignatureInfo,
    *,
    now: float | datetime,
    window: ClockWindow = DEFAULT_WINDOW,
) -> Rejected | None:
    """Everything but the cryptography: covered components, clock window, body digest.

    Returns None when the request passes. Cheap; lets an inbox refuse a request before it
    resolves (and perhaps fetches) the key.
    """
    instant = _epoch(now)
    covered = frozenset(info.components)
    if info.spec == "draft-cavage":
        missing = _cavage_missing(req, covered)
    else:
        missing = _rfc9421_missing(req, info, covered)
    if missing:
        return Rejected(
            Failure.MISSING_SIGNED_HEADER,
            f"the signature must cover {', '.join(missing)}; "
            f"it covers: {' '.join(info.components)[:300]}",
        )
    rejected = _check_times(req, info, covered, instant, window)
    if rejected is not None:
        return rejected
    if info.spec == "draft-cavage":
        if "digest" in covered:
            return _check_digest(req.headers.get("digest"), req.body or b"")
    elif "content-digest" in covered:
        return _check_content_digest(req.headers.get("content-digest"), req.body or b"")
    return None


def _expects_body(req: RequestParts) -> bool:
    return req.method in ("POST", "PUT", "PATCH") or bool(req.body)


def _cavage_missing(req: RequestParts, covered: frozenset[str]) -> list[str]:
    missing = [name for name in ("(request-target)", "host") if name not in covered]
    # Mastodon accepts the (created) pseudo-header in place of Date.
    if "date" not in covered and "(created)" not in covered:
        missing.append("date")
    if _expects_body(req) and "digest" not in covered:
        missing.append("digest")
    return missing


def _rfc9421_missing(req: RequestParts, info: SignatureInfo, covered: frozenset[str]) -> list[str]:
    missing = []
    if info.created is None:
        missing.append("the created parameter")
    if "@method" not in covered:
        missing.append("@method")
    if "@target-uri" not in covered:
        if "@authority" not in covered and "host" not in covered:
            missing.append("@authority")
        has_query = "?" in req.path
        if "@request-target" not in covered and (
            "@path" not in covered or (has_query and "@query" not in covered)
        ):
            missing.append("@target-uri")
    if _expects_body(req) and "content-digest" not in covered:
        missing.append("content-digest")
    return missing


def _check_times(
    req: RequestParts,
    info: SignatureInfo,
    covered: frozenset[str],
    now: float,
    window: ClockWindow,
) -> Rejected | None:
    if info.spec == "draft-cavage":
        for pseudo, stamp in (("(created)", info.created), ("(expires)", info.expires)):
            if pseudo in covered and stamp is None:
                return Rejected(
                    Failure.MALFORMED_SIGNATURE,
                    f"{pseudo} is signed but the {pseudo[1:-1]} parameter is missing",
                )
    # An explicit expiry is the more precise reason, so it is checked first.
    if info.expires is not None and now > info.expires + window.future:
        return Rejected(Failure.EXPIRED, f"the signature expired {_span(now - info.expires)} ago")
    if info.created is not None:
        rejected = _check_instant("the created parameter", info.created, now, window)
        if rejected is not None:
            return rejected
    if "date" in covered:
        date = req.headers.get("date")
        if date is None:
            return Rejected(Failure.MISSING_HEADER, "date is signed but there is no Date header")
        sent = _parse_http_date(date)
        if sent is None:
            return Rejected(Failure.MALFORMED_DATE, f"Date {date[:64]!r} is not an HTTP date")
        return _check_instant(f"Date {date}", sent, now, window)
    return None


def _check_instant(what: str, when: float, now: float, window: ClockWindow) -> Rejected | None:
    if when > now + window.future:
        return Rejected(
            Failure.CLOCK_SKEW,
            f"{what} is {_span(when - now)} ahead of our clock "
            f"(at most {_span(window.future)} accepted)",
        )
    if when < now - window.past:
        return Rejected(
            Failure.CLOCK_SKEW,
            f"{what} is {_span(now - when)} old (at most {_span(window.past)} accepted)",
        )
    return None


_DIGESTS: Final[Mapping[str, Callable[[bytes], hashlib._Hash]]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def _check_digest(header: str | None, body: bytes) -> Rejected | None:
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
        expected = _b64decode(value.strip()) if sep else None
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


def _check_content_digest(header: str | None, body: bytes) -> Rejected | None:
    if header is None:
        return Rejected(
            Failure.DIGEST_MISSING, "content-digest is signed but there is no Content-Digest"
        )
    parsed = _sf_dictionary(header)
    if parsed is None:
        return Rejected(Failure.DIGEST_MALFORMED, "Content-Digest is not a structured dictionary")
    matched = False
    for algorithm, member in parsed.items():
        hash_fn = _DIGESTS.get(algorithm)
        if hash_fn is None:
            continue
        if not isinstance(member, _Item) or not isinstance(member.value, bytes):
            return Rejected(
                Failure.DIGEST_MALFORMED, f"the {algorithm} digest is not a byte string"
            )
        if not hmac.compare_digest(member.value, hash_fn(body).digest()):
            return Rejected(Failure.DIGEST_MISMATCH, f"the body does not match its {algorithm}")
        matched = True
    if not matched:
        offered = ", ".join(name[:32] for name in parsed) or "nothing"
        return Rejected(Failure.DIGEST_UNSUPPORTED, f"Content-Digest offers only: {offered}")
    return None


# --- verification --------------------------------------------------------------------------------


def verify(
    req: RequestParts,
    info: SignatureInfo,
    public_key: keys.PublicKey,
    *,
    now: float | datetime,
    window: ClockWindow = DEFAULT_WINDOW,
) -> Verified | Rejected:
    """Check a parsed signature against the signer's public key (from keys.load_public_key).

    Runs ``check_request`` first, then the cryptography. A BAD_SIGNATURE may mean the signer
    rotated its key: refetch the key once and call again, as Mastodon does.
    """
    rejected = check_request(req, info, now=now, window=window)
    if rejected is not None:
        return rejected
    if info.spec == "draft-cavage":
        algorithms = _cavage_algorithms(info.algorithm, public_key)
    else:
        algorithms = _rfc9421_algorithms(info.algorithm, public_key)
    if isinstance(algorithms, Rejected):
        return algorithms
    messages = _messages(req, info)
    if isinstance(messages, Rejected):
        return messages
    for message in messages:
        for algorithm in algorithms:
            if _verify_bytes(algorithm, public_key, info.signature, message):
                return Verified(key_id=info.key_id, spec=info.spec, algorithm=algorithm)
    return Rejected(
        Failure.BAD_SIGNATURE,
        f"the {info.spec} signature does not verify with {info.key_id[:200]}",
    )


def _messages(req: RequestParts, info: SignatureInfo) -> list[bytes] | Rejected:
    if info.spec == "rfc9421":
        base = _rfc9421_base(req, info.components, info.signature_params)
        return base if isinstance(base, Rejected) else [base]
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


def _cavage_algorithms(algorithm: str | None, key: keys.PublicKey) -> tuple[str, ...] | Rejected:
    kind = _key_kind(key)
    # hs2019 means "whatever the key is"; with RSA that is RSA-SHA256 in practice (Mastodon).
    if algorithm in (None, "hs2019") and kind != "other":
        return ("rsa-v1_5-sha256",) if kind == "rsa" else ("ed25519",)
    if algorithm == "rsa-sha256" and kind == "rsa":
        return ("rsa-v1_5-sha256",)
    if algorithm == "ed25519" and kind == "ed25519":
        return ("ed25519",)
    return _key_mismatch(algorithm, key)


def _rfc9421_algorithms(algorithm: str | None, key: keys.PublicKey) -> tuple[str, ...] | Rejected:
    kind = _key_kind(key)
    if algorithm is None:
        # No alg: the key decides. An RSA key does not say PKCS#1 v1.5 or PSS; v1.5 is what the
        # fediverse sends, PSS what RFC 9421's own examples use.
        if kind == "rsa":
            return ("rsa-v1_5-sha256", "rsa-pss-sha512")
        if kind == "ed25519":
            return ("ed25519",)
    elif kind == ("rsa" if algorithm.startswith("rsa-") else algorithm):
        return (algorithm,)
    return _key_mismatch(algorithm, key)


def _key_mismatch(algorithm: str | None, key: object) -> Rejected:
    return Rejected(
        Failure.KEY_TYPE_MISMATCH,
        f"algorithm {algorithm or '(none)'} cannot be used with a {type(key).__name__}",
    )


_KEY_KINDS: dict[type, str] = {}


def _key_kind(key: object) -> str:
    # isinstance() against cryptography's ABCs is slow enough to show on the hot path; the
    # answer depends only on the concrete class, so remember it per class.
    kind = _KEY_KINDS.get(type(key))
    if kind is None:
        if isinstance(key, rsa.RSAPublicKey):
            kind = "rsa"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            kind = "ed25519"
        else:
            kind = "other"
        _KEY_KINDS[type(key)] = kind
    return kind


_PKCS1: Final = padding.PKCS1v15()
_PSS_SHA512: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_SHA256: Final = hashes.SHA256()
_SHA512: Final = hashes.SHA512()


def _verify_bytes(algorithm: str, key: keys.PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        if algorithm == "rsa-v1_5-sha256":
            cast(rsa.RSAPublicKey, key).verify(signature, message, _PKCS1, _SHA256)
        elif algorithm == "rsa-pss-sha512":
            cast(rsa.RSAPublicKey, key).verify(signature, message, _PSS_SHA512, _SHA512)
        elif algorithm == "ed25519":
            cast(ed25519.Ed25519PublicKey, key).verify(signature, message)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


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
    return _encode("\n".join(lines))


def _rfc9421_base(
    req: RequestParts, components: Sequence[str], signature_params: str
) -> bytes | Rejected:
    lines = []
    for name in components:
        value = _derived(req, name) if name.startswith("@") else req.headers.get(name)
        if value is None:
            return Rejected(
                Failure.MISSING_HEADER, f"{name[:64]} is signed but the request lacks it"
            )
        lines.append(f'"{name}": {value.strip()}')
    lines.append(f'"@signature-params": {signature_params}')
    return _encode("\n".join(lines))


def _derived(req: RequestParts, name: str) -> str | None:
    if name == "@method":
        return req.method
    if name == "@request-target":
        # RFC 9421 says: the request target alone. (Fedify 2.3 adds the method, cavage-style;
        # it never signs this component by default.)
        return req.path
    if name == "@path":
        return req.path.partition("?")[0] or "/"
    if name == "@query":
        return "?" + req.path.partition("?")[2]
    if name == "@scheme":
        return req.scheme.lower()
    host = req.headers.get("host")
    if host is None:
        return None
    authority = _authority(req.scheme, host.strip())
    if name == "@authority":
        return authority
    if name == "@target-uri":
        return f"{req.scheme.lower()}://{authority}{req.path}"
    return None


# --- signing -------------------------------------------------------------------------------------

_REPLACED = frozenset({"host", "date", "digest", "content-digest", "signature", "signature-input"})
_FEDIFY_COMPONENTS = ("@method", "@target-uri", "@authority", "host", "date")


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
    key = _private_key(private_key)
    if '"' in key_id or "\\" in key_id:
        raise ValueError("key_id must not contain quotes or backslashes")
    out, req = _outgoing(method, url, headers, body, now, "Digest", body_digest)
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
    signature = base64.b64encode(_sign_bytes(key, message, None)).decode("ascii")
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{signature}"'
    )
    return out


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    *,
    key_id: str,
    private_key: keys.PrivateKey | str,
    now: float | datetime,
    label: str = "sig1",
    algorithm: str | None = None,
    components: Sequence[str] | None = None,
    expires: float | datetime | None = None,
) -> dict[str, str]:
    """Sign a request with RFC 9421 as Fedify 2.3 does; returns every header to send.

    Sets Host, Date, Content-Digest (when there is a body), Signature-Input and Signature.
    Covered by default: ``"@method" "@target-uri" "@authority" "host" "date"`` plus
    ``"content-digest"`` with a body. ``algorithm`` defaults to rsa-v1_5-sha256 for RSA keys
    (rsa-pss-sha512 may be asked for) and ed25519 for Ed25519 keys.
    """
    key = _private_key(private_key)
    if not _SF_KEY.fullmatch(label):
        raise ValueError(f"invalid signature label {label!r}")
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    alg = algorithm or ("rsa-v1_5-sha256" if is_rsa else "ed25519")
    if alg not in _RFC9421_ALGORITHMS or alg.startswith("rsa-") != is_rsa:
        raise ValueError(f"algorithm {alg} does not fit a {type(key).__name__}")
    out, req = _outgoing(method, url, headers, body, now, "Content-Digest", content_digest)
    if components is None:
        names = list(_FEDIFY_COMPONENTS) + (["content-digest"] if body is not None else [])
    else:
        names = list(components)
    for name in names:
        if name.startswith("@") and name not in _DERIVED:
            raise ValueError(f"unsupported derived component {name}")
    params: _Params = {"alg": alg, "keyid": key_id, "created": int(_epoch(now))}
    if expires is not None:
        params["expires"] = int(_epoch(expires))
    inner = _InnerList(tuple(_Item(name, {}) for name in names), params)
    signature_params = _ser_inner_list(inner)
    base = _rfc9421_base(req, names, signature_params)
    if isinstance(base, Rejected):
        raise ValueError(base.detail)
    signature = base64.b64encode(_sign_bytes(key, base, alg)).decode("ascii")
    out["Signature-Input"] = f"{label}={signature_params}"
    out["Signature"] = f"{label}=:{signature}:"
    return out


def _outgoing(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    now: float | datetime,
    digest_name: str,
    digest: Callable[[bytes], str],
) -> tuple[dict[str, str], RequestParts]:
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if scheme not in ("http", "https") or not split.netloc:
        raise ValueError(f"cannot sign a request to {url!r}")
    out = {k: v for k, v in (headers or {}).items() if k.lower() not in _REPLACED}
    out["Host"] = _authority(scheme, split.netloc)
    out["Date"] = http_date(now)
    if body is not None:
        out[digest_name] = digest(body)
    path = _path_and_query(split.path, split.query)
    return out, RequestParts(method, path, out, body, scheme)


def _private_key(key: keys.PrivateKey | str) -> keys.PrivateKey:
    return keys.load_private_key(key) if isinstance(key, str) else key


def _sign_bytes(key: keys.PrivateKey, message: bytes, algorithm: str | None) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm == "rsa-pss-sha512":
            return key.sign(message, _PSS_SHA512, _SHA512)
        return key.sign(message, _PKCS1, _SHA256)
    return key.sign(message)


# --- small helpers -------------------------------------------------------------------------------


def _epoch(now: float | datetime) -> float:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("a datetime clock must be timezone-aware")
        return now.timestamp()
    return float(now)


class _LowerCaseHeaders(dict[str, str]):
    """Headers already normalised, so that RequestParts does not normalise them twice."""

    __slots__ = ()


def _normalise_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> _LowerCaseHeaders:
    if type(headers) is _LowerCaseHeaders:
        return headers
    # Starlette's Headers.items() yields repeated fields separately; join them as HTTP does.
    items = headers.items() if isinstance(headers, dict | Mapping) else headers
    out = _LowerCaseHeaders()
    for name, value in items:
        key = name.lower()
        previous = out.get(key)
        out[key] = value if previous is None else f"{previous}, {value}"
    return out


def _path_and_query(path: str, query: str) -> str:
    return (path or "/") + ("?" + query if query else "")


_DEFAULT_PORTS: Final = {"https": ":443", "http": ":80"}


@lru_cache(maxsize=64)
def _authority(scheme: str, netloc: str) -> str:
    host = netloc.rpartition("@")[2].lower()
    # Clients omit the default port from Host, and RFC 9421 normalises @authority the same way.
    default = _DEFAULT_PORTS.get(scheme.lower())
    if default and host.endswith(default):
        host = host[: -len(default)]
    return host


def _encode(text: str) -> bytes:
    # Header values reach us decoded as latin-1 (ASGI); encoding back recovers the wire bytes.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _b64decode(text: str) -> bytes | None:
    if not text or len(text) > 4 * _MAX_SIGNATURE_BYTES:
        return None
    try:
        return binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return f"{abs(seconds):.0f} s"
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT"
)


@lru_cache(maxsize=64)
def _parse_http_date(value: str) -> float | None:
    # Cached: Date has one-second resolution, so a burst of deliveries repeats the same few.
    value = value.strip()
    if len(value) > 64:
        return None
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        month_no = _MONTHS.get(month)
        if month_no is None or int(hour) > 23 or int(minute) > 59 or int(second) > 60:
            return None
        fields = (int(year), month_no, int(day), int(hour), int(minute), int(second))
        return float(calendar.timegm(fields))
    # The obsolete RFC 850 and asctime forms, which HTTP recipients must still accept; both
    # are GMT, so a missing zone means UTC (not the local zone mktime would assume).
    try:
        parsed = parsedate_tz(value)
        if parsed is None:
            return None
        return float(calendar.timegm(parsed[:6]) - (parsed[9] or 0))
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
