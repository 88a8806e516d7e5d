"""The per-process context: settings, database engine, URL builder, the outbound client and the
in-memory services (key cache, rate limiters, delivery state) that request handlers and jobs share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import Engine

from node import __version__
from node.activitypub.keys import PrivateKey
from node.federation.http import HttpClient
from node.federation.policy import federates_with
from node.federation.remote.key_fetch import KeyFetchGate
from node.keycache import KeyCache
from node.ratelimit import RateLimiters
from node.settings import Settings
from node.spent_tokens import SpentTokens
from node.urls import Urls

if TYPE_CHECKING:
    from node.federation.inbox.batch import InboxBatch
    from node.federation.inbox.ldwork import WorkMeter
    from node.federation.outbox.deliver import DeliveryState

T = TypeVar("T")

# Inbox key fetches: a whole fetch (pool wait, connect, every hop, the body) within 3 s, the
# connection within 2 s, at most 64 connections (never the delivery pool's).
KEY_FETCH_TIMEOUT = 3.0
KEY_CONNECT_TIMEOUT = 2.0
KEY_FETCH_CONNECTIONS = 64


@dataclass
class NodeContext:
    """What request handlers and jobs share in one process; built by create_app / the worker."""

    settings: Settings
    engine: Engine
    urls: Urls
    http: HttpClient | None = None
    # the client of inbox key fetches only (never deliveries): small pool, short timeouts
    key_http: HttpClient | None = None
    # per-origin and per-client bounds and negative cache of those fetches
    key_fetch: KeyFetchGate = field(default_factory=KeyFetchGate)
    # parsed public keys of remote signers (node.federation.verify)
    key_cache: KeyCache = field(default_factory=KeyCache)
    # set by the in-process worker so a request that enqueues work can wake it
    wake_worker: Any = None
    # the token buckets of this process, built from the settings
    limiters: RateLimiters = field(init=False)
    # what deliveries share in this process (node/federation/outbox/deliver.py)
    delivery: DeliveryState | None = None
    # the instance actor's key id and private key, which sign our fetches
    signing_key: tuple[str, PrivateKey] | None = None
    # (key id, client IP) -> the lookup of that uncached key in flight (node.federation.verify)
    key_lookups: dict[tuple[str, str], asyncio.Future[Any]] = field(default_factory=dict)
    # key owner -> when (monotonic) it was last refetched after a failed signature
    key_refetches: dict[str, float] = field(default_factory=dict)
    # CPU time of LD-signature work per claimed origin (node/federation/inbox/ldwork.py)
    ld_work_meter: WorkMeter | None = None
    # verified inbox rows waiting for their group commit (node/federation/inbox/batch.py)
    inbox_batch: InboxBatch | None = None
    # inbox slug -> (slug of our actor or None, expiry on the monotonic clock)
    inbox_recipients: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    # when (monotonic) the inbox job last blanked expired bodies (node/federation/inbox/process.py)
    inbox_swept_at: float | None = None
    # registration-form tokens already used (node/web/forms.py): each is good for one post
    spent_tokens: SpentTokens = field(default_factory=SpentTokens)

    def __post_init__(self) -> None:
        self.limiters = RateLimiters.from_settings(self.settings)

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> NodeContext:
        """A context for these settings (no client yet; opened where an event loop runs)."""
        return cls(settings=settings, engine=engine, urls=Urls(settings.base_url))

    def user_agent(self) -> str:
        """User-Agent of every outbound request: software, version, and where to reach us."""
        return f"SolidarityNode/{__version__} (+{self.settings.base_url}/)"

    def open_http(self) -> HttpClient:
        """Create the one outbound HTTP client of this process (call inside the event loop)."""
        if self.http is None:
            # The node may always talk to itself: an organization and the network it belongs
            # to can live on the same node, and their activities travel over HTTP like any.
            # Itself is its base URL's host AND port: another port of the same host is any
            # other destination (the SSRF guard judges it).
            self.http = HttpClient(
                user_agent=self.user_agent(),
                allow_hosts=self.settings.allow_hosts | {self._own_host_and_port()},
                host_policy=self._policy_refusal,
            )
        return self.http

    def open_key_http(self) -> HttpClient:
        """The client of inbox key fetches (node.federation.remote.key_fetch): its own pool,
        so a server that never answers cannot hold the connections deliveries need."""
        if self.key_http is None:
            self.key_http = HttpClient(
                user_agent=self.user_agent(),
                allow_hosts=self.settings.allow_hosts | {self._own_host_and_port()},
                host_policy=self._policy_refusal,
                timeout=KEY_FETCH_TIMEOUT,
                connect_timeout=KEY_CONNECT_TIMEOUT,
                connection_limit=KEY_FETCH_CONNECTIONS,
                per_host_limit=2,
            )
        return self.key_http

    def _own_host_and_port(self) -> str:
        parts = urlsplit(self.settings.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _policy_refusal(self, host: str) -> str | None:
        """The HTTP client's check of every hop's host: blocks and the allow-list."""
        if federates_with(self, host):
            return None
        return f"{host} is blocked on this node, or not on its allow-list"

    async def close_http(self) -> None:
        """Close the outbound clients."""
        if self.http is not None:
            await self.http.close()
            self.http = None
        if self.key_http is not None:
            await self.key_http.close()
            self.key_http = None

    def run(
        self,
        work: Callable[[NodeContext], Awaitable[T]],
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    ) -> T:
        """Run ``work(self)`` to completion from synchronous code (CLI commands, the demo),
        with the outbound client open for it and closed afterwards; on ``loop_factory``'s loop
        when given (``solnode worker`` runs on uvloop, as ``serve`` does)."""

        async def main() -> T:
            self.open_http()
            try:
                return await work(self)
            finally:
                await self.close_http()

        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(main())

    def notify_work(self) -> None:
        """Tell the in-process worker (if any) that jobs are waiting."""
        if self.wake_worker is not None:
            self.wake_worker()
