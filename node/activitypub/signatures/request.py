"""The parts of an HTTP request a signature covers, and a parsed (not yet checked) signature."""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit

import http_sf

from node.activitypub.signatures.dates import http_date
from node.activitypub.signatures.results import Spec

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_COMPONENTS",
    "MAX_HEADER",
    "MAX_KEY_ID",
    "MAX_SIGNATURE_BYTES",
    "ClockWindow",
    "RequestParts",
    "SignatureInfo",
    "authority",
    "b64decode",
    "encode",
    "outgoing",
    "parse_dictionary",
]

# Bounds on what a remote party sends: a header, the components one signature covers, a key id,
# and a signature (an 8192-bit RSA signature is 1024 bytes).
MAX_HEADER = 8192
MAX_COMPONENTS = 32
MAX_KEY_ID = 2048
MAX_SIGNATURE_BYTES = 1024


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
            normalised["host"] = authority(scheme, split.netloc)
        return cls(method, _path_and_query(split.path, split.query), normalised, body, scheme)

    def expects_body(self) -> bool:
        """Whether the request carries a body (by method, or it came anyway): a digest is due."""
        return self.method in ("POST", "PUT", "PATCH") or bool(self.body)


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


_REPLACED = frozenset({"host", "date", "digest", "content-digest", "signature", "signature-input"})


def outgoing(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    now: float | datetime,
    digest_header: tuple[str, Callable[[bytes], str]],
) -> tuple[dict[str, str], RequestParts]:
    """The headers to send (Host, Date and the body digest set) and the request they make."""
    split = urlsplit(url)
    scheme = split.scheme.lower()
    if scheme not in ("http", "https") or not split.netloc:
        raise ValueError(f"cannot sign a request to {url!r}")
    out = {k: v for k, v in (headers or {}).items() if k.lower() not in _REPLACED}
    out["Host"] = authority(scheme, split.netloc)
    out["Date"] = http_date(now)
    if body is not None:
        name, digest = digest_header
        out[name] = digest(body)
    path = _path_and_query(split.path, split.query)
    return out, RequestParts(method, path, out, body, scheme)


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
def authority(scheme: str, netloc: str) -> str:
    """The host[:port] a request goes to, lower-cased, without the scheme's default port."""
    host = netloc.rpartition("@")[2].lower()
    # Clients omit the default port from Host, and RFC 9421 normalises @authority the same way.
    default = _DEFAULT_PORTS.get(scheme.lower())
    if default and host.endswith(default):
        host = host[: -len(default)]
    return host


def encode(text: str) -> bytes:
    """The wire bytes of a signature base or signing string."""
    # Header values reach us decoded as latin-1 (ASGI); encoding back recovers the wire bytes.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def b64decode(text: str) -> bytes | None:
    """Strict, bounded base64 (padding optional); None when it is not base64."""
    if not text or len(text) > 4 * MAX_SIGNATURE_BYTES:
        return None
    try:
        return binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def parse_dictionary(header: str) -> http_sf.DictionaryType | None:
    """A header parsed as an RFC 8941 dictionary, strictly and bounded (``MAX_HEADER``); None
    when it is too long, not latin-1, or malformed."""
    if len(header) > MAX_HEADER:
        return None
    try:
        parsed = http_sf.parse(header.encode("latin-1"), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        return None
    return parsed if isinstance(parsed, dict) else None
