"""The SSRF guard: which addresses the node may connect to on a remote party's say-so.

Remote servers name the URLs we fetch and deliver to (actor ids, inboxes, keys), so a hostile
one could point us at our own network. Every destination is judged on its *resolved* address
(:func:`vet_addresses`, called from the HTTP client's resolver, so the connection goes to the
address that was checked) and IP literals in URLs before any connection (:func:`host_refusal`).
Hosts the operator allow-listed pass. The client is ``node.federation.http``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from node.activitypub.hosts import HostError, canonical_hostport

__all__ = [
    "AddressVerdicts",
    "BlockedAddressError",
    "HostPolicy",
    "IPAddress",
    "Resolver",
    "allow_key",
    "host_key",
    "host_refusal",
    "is_allowed",
    "is_blocked_address",
    "policy_refusal",
    "resolve_vetted",
    "system_resolver",
    "vet_addresses",
]

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> IP address strings``: the DNS lookup, injectable so tests can fake answers."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

HostPolicy = Callable[[str], str | None]
"""``canonical host[:port] -> why it is refused, or None``: the node's federation policy
(domain blocks, the allow-list), asked for the host of every hop just before connecting."""


def is_blocked_address(address: str | IPAddress) -> bool:
    """Whether an IP address is one the node must never connect to on a remote party's say-so.

    Blocked: anything the standard library does not call global (private, shared 100.64/10,
    documentation, benchmarking...), loopback, link-local, multicast, unspecified, reserved and
    IPv6 site-local; IPv4 addresses embedded in IPv4-mapped, NAT64 (64:ff9b::/96), 6to4 and
    Teredo IPv6 addresses are judged as the IPv4 address they reach. Unparseable text is blocked.
    """
    if isinstance(address, str):
        try:
            ip: IPAddress = ipaddress.ip_address(address)
        except ValueError:
            return True
    else:
        ip = address
    if isinstance(ip, ipaddress.IPv6Address):
        # These forms carry an IPv4 destination; the stdlib flags judge only the IPv6 prefix
        # (e.g. ::ffff:10.0.0.1 is merely "reserved" on some Python versions, 6to4 "global").
        mapped = ip.ipv4_mapped
        if mapped is not None:
            return is_blocked_address(mapped)
        if ip in _NAT64_WELL_KNOWN:
            return is_blocked_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and is_blocked_address(ip.sixtofour):
            return True
        if ip.teredo is not None and any(is_blocked_address(a) for a in ip.teredo):
            return True
        if ip.is_site_local:  # deprecated fec0::/10, yet is_global says True on 3.11
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast  # 224.0.1.1 and ff0e::1 count as "global" for the stdlib
        or ip.is_reserved
        or ip.is_unspecified
    )


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the operating system (``getaddrinfo``) to IP address strings."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def host_key(host: str) -> str:
    """Normalise a host for allow-list comparison: lower case, no final dot, canonical IP form."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def allow_key(entry: str) -> str:
    """An allow-list entry in comparable form: ``host`` (any port) or ``host:port`` (that port
    only; ``[v6]:port`` for IPv6)."""
    text = entry.strip()
    if text.startswith("[") and "]:" in text:
        host, _, port = text[1:].partition("]:")
        return f"[{host_key(host)}]:{int(port)}" if port.isdigit() else host_key(text)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return f"{host_key(host)}:{int(port)}" if port.isdigit() else host_key(text)
    return host_key(text)


def is_allowed(host: str, port: int | None, allow_hosts: frozenset[str]) -> bool:
    """Whether ``host`` (on ``port``) is exempt: named without a port, or with this port."""
    key = host_key(host)
    if key in allow_hosts:
        return True
    if port is None:
        return False
    return (f"[{key}]:{port}" if ":" in key else f"{key}:{port}") in allow_hosts


class BlockedAddressError(OSError):
    """Every address of a host is refused (raised inside the HTTP client's resolver)."""


def vet_addresses(
    host: str, addresses: list[str], *, allowed: bool, family: socket.AddressFamily
) -> list[tuple[str, socket.AddressFamily]]:
    """The addresses of ``host`` the node may connect to, with their family.

    Only those of ``family`` when it is AF_INET or AF_INET6; all of them when ``allowed`` (an
    allow-listed host). Raises ``BlockedAddressError`` when every usable address is refused,
    ``OSError`` when there is none.
    """
    results: list[tuple[str, socket.AddressFamily]] = []
    refused: list[str] = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            refused.append(text)
            continue
        ip_family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        if family in (socket.AF_INET, socket.AF_INET6) and family != ip_family:
            continue
        if not allowed and is_blocked_address(ip):
            refused.append(text)
            continue
        results.append((str(ip), ip_family))
    if results:
        return results
    if refused:
        raise BlockedAddressError(f"{host} resolves to {', '.join(refused)}")
    raise OSError(f"no address found for {host}")


async def resolve_vetted(
    resolve: Resolver,
    allow_hosts: frozenset[str],
    host: str,
    port: int,
    family: socket.AddressFamily = socket.AF_UNSPEC,
) -> list[tuple[str, socket.AddressFamily]]:
    """Resolve ``host`` and keep the addresses the node may connect to (all of them when it is
    allow-listed), as :func:`vet_addresses`. Both HTTP transports connect only to these."""
    allowed = is_allowed(host, port, allow_hosts)
    return vet_addresses(host, await resolve(host, port), allowed=allowed, family=family)


def host_refusal(
    host: str, allow_hosts: frozenset[str], port: int | None = None
) -> tuple[str, str] | None:
    """Why a URL's host is refused before connecting, as (reason, detail), or None.

    A name passes here: it is vetted after resolution (:func:`vet_addresses`). An IP literal
    is judged now, because the HTTP client does not resolve literals. ``allow_hosts`` holds
    :func:`allow_key` entries; one with a port exempts that port only.
    """
    if is_allowed(host, port, allow_hosts):
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if _is_legacy_ipv4(host):
            # 127.1, 2130706433, 0x7f.0.0.1: inet_aton would map these onto an address.
            return "bad_url", f"non-canonical IPv4 address {host}"
        return None
    if is_blocked_address(ip):
        return "blocked_address", f"{host} is not a public address"
    return None


class AddressVerdicts:
    """:func:`host_refusal` for one fixed allow-list, remembered per (host, port): the verdict
    depends on nothing else, and for a name it costs an IDNA encoding and two address parses
    that a fan-out would otherwise repeat for every delivery. Past ``size`` hosts the memo
    starts again."""

    def __init__(self, allow_hosts: frozenset[str], size: int = 4096) -> None:
        self._allow_hosts = allow_hosts
        self._size = size
        self._verdicts: dict[tuple[str, int | None], tuple[str, str] | None] = {}

    def refusal(self, host: str, port: int | None) -> tuple[str, str] | None:
        """Why ``host`` on ``port`` is refused before connecting, or None (see host_refusal)."""
        key = (host, port)
        try:
            return self._verdicts[key]
        except KeyError:
            pass
        verdict = host_refusal(host, self._allow_hosts, port)
        if len(self._verdicts) >= self._size:
            self._verdicts.clear()
        self._verdicts[key] = verdict
        return verdict


def _is_legacy_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def policy_refusal(
    scheme: str, host: str, port: int | None, host_policy: HostPolicy | None
) -> tuple[str, str] | None:
    """Why the federation policy refuses the host a hop connects to, as (reason, detail), or
    None. The host is put in the canonical form first (``node.activitypub.hosts``), so no
    spelling of a blocked server reaches it; asked for the first URL and every redirect."""
    if host_policy is None:
        return None
    try:
        netloc = f"[{host}]" if ":" in host else host
        hostport = canonical_hostport(netloc if port is None else f"{netloc}:{port}", scheme)
    except (HostError, ValueError):
        return "bad_url", f"host {host[:100]!r} is not a valid host"
    refused = host_policy(hostport)
    return None if refused is None else ("blocked_domain", refused)
