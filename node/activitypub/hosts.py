"""ONE canonical form of a host, for every decision about who a server is.

The HTTP client connects to the host as yarl spells it after IDNA/UTS46 mapping, and the
operating system reads legacy IPv4 forms (``127.000.0.1``, ``2130706433``, ``0x7f.1``) as the
address they encode. A policy that compared the spellings as written could be walked around:
``¹²7.0.0.1`` and a fullwidth ``evil.example`` reach ``127.0.0.1`` and ``evil.example``. So every host is
put into one form before it is compared, blocked, allowed or connected to:

* names: UTS46-mapped, IDNA A-labels (``xn--``), lower case, without a final dot;
* IP addresses: the canonical text of the address they reach (``127.0.0.1``, ``::1``; an
  IPv4-mapped IPv6 address is its IPv4 address; legacy IPv4 forms as ``inet_aton`` reads them);
* ports: an integer, dropped when it is the scheme's default.

Ids (actors, keys, objects) must already be written in this form (case aside):
:func:`is_canonical_url` says whether they are, so callers refuse the others rather than
silently normalising them.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

import idna

__all__ = [
    "HostError",
    "canonical_host",
    "canonical_hostport",
    "canonical_origin",
    "canonical_url",
    "hostport_of",
    "is_canonical_url",
    "split_hostport",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_NAME_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")
_LEGACY_IPV4_RE = re.compile(r"^[0-9a-fx.]+$")


class HostError(ValueError):
    """Not a host name or IP address that can be put in canonical form."""


def _as_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        if not _LEGACY_IPV4_RE.match(text) or not any(c.isdigit() for c in text):
            return None
        return _legacy_ipv4(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _legacy_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """127.1, 127.000.0.1, 2130706433, 0x7f.0.0.1: the address ``inet_aton`` (so the resolver,
    so the connection) reads in them; None if it reads none."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part.startswith("0x"):
                numbers.append(int(part[2:], 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


@functools.lru_cache(maxsize=4096)
def canonical_host(host: str) -> str:
    """The canonical form of a host (no port); IPv6 without brackets. Raises HostError."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise HostError(f"{host[:100]!r} is not a valid host name") from exc
    text = text.lower()
    if text.endswith("."):
        text = text[:-1]
    ip = _as_ip(text)
    if ip is not None:
        return str(ip)
    if not text or len(text) > 253 or not _NAME_RE.match(text) or ".." in text:
        raise HostError(f"{host[:100]!r} is not a valid host name")
    return text


def split_hostport(netloc: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` (no userinfo) -> (host, port or None)."""
    text = netloc.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise HostError(f"{netloc[:100]!r} is not host[:port]")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    elif text.count(":") > 1:
        host, port_text = text, ""  # a bare IPv6 address
    else:
        host, port_text = text, ""
    if not port_text:
        return host, None
    if not port_text.isdigit() or not port_text.isascii() or not 0 < int(port_text) < 65536:
        raise HostError(f"{netloc[:100]!r} has no valid port")
    return host, int(port_text)


# Pure and asked several times per inbox request about the same few hosts: memoised (bounded;
# a failure raises again each time, it is not cached).
@functools.lru_cache(maxsize=4096)
def canonical_hostport(netloc: str, scheme: str = "") -> str:
    """``host[:port]`` in canonical form; the port is dropped when it is ``scheme``'s default."""
    host, port = split_hostport(netloc.rpartition("@")[2])
    name = canonical_host(host)
    if ":" in name:
        name = f"[{name}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme.lower()):
        return name
    return f"{name}:{port}"


def hostport_of(url: str) -> str:
    """The canonical ``host[:port]`` of an http(s) URL; "" when it has none or none valid."""
    try:
        parts = urlsplit(url)
        if not parts.netloc:
            return ""
        return canonical_hostport(parts.netloc, parts.scheme)
    except (ValueError, HostError):
        return ""


def canonical_origin(url: str) -> str | None:
    """``scheme://host[:port]`` in canonical form, or None for a URL without a valid host."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{canonical_hostport(parts.netloc, parts.scheme)}"
    except (ValueError, HostError):
        return None


def canonical_url(url: str) -> str:
    """The URL with its scheme and host in canonical form (the rest untouched); the URL itself
    when it has no valid host (it then equals no canonical URL but itself)."""
    try:
        parts = urlsplit(url)
        if not parts.netloc:
            return url
        hostport = canonical_hostport(parts.netloc, parts.scheme)
    except (ValueError, HostError):
        return url
    return parts._replace(scheme=parts.scheme.lower(), netloc=hostport).geturl()


def is_canonical_url(url: str) -> bool:
    """Whether a URL's host is written in canonical form (letter case aside): no Unicode or
    compatibility spelling, no final dot, no legacy or IPv4-mapped IP form, no userinfo."""
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            return False
        host, _ = split_hostport(parts.netloc)
        if host.startswith("[") or ":" in host:  # IPv6 is written [addr] in a URL
            written = host.strip("[]").lower()
        else:
            written = host.lower()
        return bool(written) and canonical_host(written) == written
    except (ValueError, HostError):
        return False
