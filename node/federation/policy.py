"""Who we federate with: domain blocks (reject / limit), the allow-list mode, actor blocks.

Read on every inbox POST, every fetch and every delivery, so the three small tables are read
into memory at once and kept for ``POLICY_TTL`` seconds by the engine's :class:`PolicyCache`: a
decision made in this process applies at once (:func:`forget_policy`), one made elsewhere (the
``solnode`` command is another process) within the TTL. Blocklists run to a few thousand domains; a dict lookup per
candidate suffix keeps checks in the microseconds.

A block of ``example.org`` also covers ``social.example.org`` (as Mastodon does); the most
specific entry wins. A domain may carry a port (``127.0.0.1:9101``) to single out one server
among several on one address - useful on loopback, harmless elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine
from sqlmodel import Session, select

from node.activitypub.hosts import HostError, canonical_hostport, canonical_url, hostport_of
from node.models import ActorBlock, DomainAllow, DomainBlock

if TYPE_CHECKING:
    from node.federation.context import NodeContext

__all__ = [
    "LIMIT",
    "REJECT",
    "SEVERITIES",
    "DomainError",
    "Policy",
    "PolicyCache",
    "covering_entries",
    "domain_severity",
    "federates_with",
    "forget_policy",
    "host_of",
    "inbox_refusal",
    "is_blocked_actor",
    "is_blocked_domain",
    "normalize_domain",
    "policy_cache",
]

REJECT: Final = "reject"
LIMIT: Final = "limit"
SEVERITIES: Final = (REJECT, LIMIT)
POLICY_TTL = 30.0

_DOMAIN_RE = re.compile(
    r"^(?=.{1,255}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?::[0-9]{1,5})?$"
)

Source = Engine | Session | Connection


class DomainError(ValueError):
    """Not a domain name (or IP address) we can block or allow; the message says why."""


@dataclass(frozen=True)
class Policy:
    """A snapshot of the moderation tables."""

    blocks: dict[str, str]  # domain -> severity
    allows: frozenset[str]
    actors: frozenset[str]
    loaded_at: float


class PolicyCache:
    """The snapshot of one database's moderation tables, read again after ``ttl`` seconds.

    One per engine (:func:`policy_cache`): the engine is what every reader and every moderation
    action holds, so a change made through it is seen at once by the whole process.
    """

    def __init__(self, ttl: float = POLICY_TTL) -> None:
        self.ttl = ttl
        self._current: Policy | None = None

    def get(self, engine: Engine) -> Policy:
        """The snapshot of ``engine``'s tables, loaded if there is none or it is too old."""
        current = self._current
        if current is None or time.monotonic() - current.loaded_at > self.ttl:
            current = self._current = _load(engine)
        return current

    def forget(self) -> None:
        """Drop the snapshot, so the next decision reads the tables again."""
        self._current = None


# The engine's execution options carry its cache: they belong to the engine, so the cache lives
# and dies with it (the cache holds no reference back, so no cycle keeps an engine alive).
_CACHE_OPTION: Final = "solnode_policy_cache"


def normalize_domain(text: str) -> str:
    """``Social.Example.ORG.``, ``https://social.example.org/about`` -> ``social.example.org``.

    The one canonical host form (``node.activitypub.hosts``): Unicode and compatibility
    spellings become IDNA A-labels, IP addresses their canonical text. Raises
    :class:`DomainError` for anything that is not a host name or IP address (with an
    optional port).
    """
    value = text.strip()
    scheme = ""
    if "://" in value:
        parts = urlsplit(value)
        value, scheme = parts.netloc, parts.scheme
    try:
        value = canonical_hostport(value, scheme)
    except (HostError, ValueError):
        value = ""
    if value.startswith("[") or _is_ip(value.partition(":")[0]):
        return value
    if not _DOMAIN_RE.match(value):
        raise DomainError(
            f"{text[:100]!r} is not a domain name like social.example.org (wildcards and "
            "obfuscated names cannot be matched)"
        )
    return value


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_of(url: str) -> str:
    """The canonical host (with port, if not the default) of a URL; "" if it has none."""
    return hostport_of(url)


def _canonical(host: str) -> str:
    """``host[:port]`` in canonical form; a host that has none stays as it is (lower case),
    so it matches no entry but its own."""
    try:
        return canonical_hostport(host)
    except (HostError, ValueError):
        return host.lower()


def covering_entries(host: str) -> list[str]:
    """The block or allow entries that would cover ``host``, most specific first:
    ``a.b.example.org:8443`` -> itself, without the port, ``b.example.org``, ``example.org``.
    Any spelling of the host gives the same entries (the canonical form)."""
    host = _canonical(host)
    out = [host]
    name = host
    if host.startswith("["):
        name = host.partition("]")[0] + "]"
    elif host.count(":") == 1:
        name = host.partition(":")[0]
    if name != host:
        out.append(name)
    if not _is_ip(name.strip("[]")):
        labels = name.split(".")
        out.extend(".".join(labels[i:]) for i in range(1, len(labels) - 1))
    return out


def _engine_of(source: Source) -> Engine:
    if isinstance(source, Engine):
        return source
    if isinstance(source, Connection):
        return source.engine
    bind = source.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _load(engine: Engine) -> Policy:
    with Session(engine) as session:
        # Entries written before hosts had one form are read in that form too.
        blocks = {_canonical(row.domain): row.severity for row in session.exec(select(DomainBlock))}
        allows = frozenset(_canonical(d) for d in session.exec(select(DomainAllow.domain)))
        actors = frozenset(canonical_url(a) for a in session.exec(select(ActorBlock.actor)))
    return Policy(blocks, allows, actors, time.monotonic())


def policy_cache(source: Source) -> PolicyCache:
    """The policy cache of this database's engine, attached to it on first use."""
    engine = _engine_of(source)
    cache = engine.get_execution_options().get(_CACHE_OPTION)
    if not isinstance(cache, PolicyCache):
        # Two threads may both attach one at first use; the last wins and the other's snapshot
        # is simply not read again, so no lock is needed.
        cache = PolicyCache()
        engine.update_execution_options(**{_CACHE_OPTION: cache})
    return cache


def policy(source: Source) -> Policy:
    """The cached snapshot for this database (read again after ``POLICY_TTL`` seconds)."""
    engine = _engine_of(source)
    return policy_cache(engine).get(engine)


def forget_policy(source: Source) -> None:
    """Drop the snapshot after a change, so this process applies the change at once."""
    policy_cache(source).forget()


def domain_severity(source: Source, host: str) -> str | None:
    """``reject``, ``limit`` or None for a host (``example.org`` or ``example.org:8443``)."""
    if not host:
        return None
    blocks = policy(source).blocks
    if not blocks:
        return None
    for candidate in covering_entries(host):
        severity = blocks.get(candidate)
        if severity is not None:
            return severity
    return None


def is_blocked_domain(source: Source, host: str) -> bool:
    """Whether ``host`` is blocked with severity reject: never fetched, never delivered to.

    ``source``: an engine, session or connection of the node's database. Cached per engine
    (see the module docstring), so calling it per delivery or fetch is cheap.
    """
    return domain_severity(source, host) == REJECT


def _is_allowed(source: Source, host: str) -> bool:
    allows = policy(source).allows
    return any(candidate in allows for candidate in covering_entries(host))


def federates_with(node: NodeContext, host: str) -> bool:
    """Whether the node talks to ``host`` at all: not rejected, and allowed in allowlist mode.

    This node's own host always qualifies.
    """
    if not host or _canonical(host) == _canonical(node.settings.host):
        return True
    if is_blocked_domain(node.engine, host):
        return False
    return node.settings.federation_mode != "allowlist" or _is_allowed(node.engine, host)


def is_blocked_actor(source: Source, actor_id: str) -> bool:
    """Whether this remote actor is blocked (whatever the spelling of its host)."""
    return canonical_url(actor_id) in policy(source).actors


def inbox_refusal(node: NodeContext, actor_id: str, key_id: str | None) -> str | None:
    """Why an inbox POST by ``actor_id`` signed with ``key_id`` is refused (403), or None.

    Checked before any signature work: a blocked server costs a dict lookup, not a key fetch.
    Both the actor's server and the signer's (a relay, a forwarding server) must be acceptable.
    """
    for host in dict.fromkeys(h for h in (host_of(actor_id), host_of(key_id or "")) if h):
        if is_blocked_domain(node.engine, host):
            return f"this node does not accept activities from {host} (domain blocked)"
        if node.settings.federation_mode == "allowlist" and not _is_allowed(node.engine, host):
            return (
                f"this node federates only with servers its admins allowed, and {host} is not "
                "one of them"
            )
    if is_blocked_actor(node.engine, actor_id):
        return f"this node does not accept activities from {actor_id} (actor blocked)"
    return None
