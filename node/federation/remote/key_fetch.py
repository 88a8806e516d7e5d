"""The budget of inbox key fetches: what an unauthenticated request may make us fetch.

A signature's keyId is chosen by whoever sends the request, before anything is verified, so the
fetch of an unknown key is the one piece of outbound work a stranger can start at will. Those
fetches run under :class:`KeyFetchGate`, never on the delivery pool:

* their own small HTTP client (``NodeContext.open_key_http``: short connect and total
  timeouts), so a server that accepts and never answers holds a key-fetch connection for a few
  seconds at most, and never one that deliveries or WebFinger need;
* at most ``per_origin`` fetches in flight per origin (scheme, host, port);
* at most ``per_client`` key lookups in flight per client IP: a burst of tarpit key ids from
  one address waits on its own slots (429), not on everyone's;
* a negative cache: an origin whose fetch failed is not asked again for ``failure_ttl``
  seconds (every key id on it is refused at once);
* failures counted against the client IP: after ``client_failures`` failed lookups in a
  window, that IP gets 429 for key lookups until its bucket refills.

The gate is entered around a key lookup (``node.federation.verify``); :func:`active_gate` tells
the signed fetch (``node.federation.remote.fetch``) to use the key client and the per-origin
slots while inside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from node.limits import Limit
from node.ratelimit import RateLimiter

__all__ = ["KeyFetchBusy", "KeyFetchGate", "active_gate", "origin_of"]

_ACTIVE: ContextVar[KeyFetchGate | None] = ContextVar("key_fetch_gate", default=None)


def active_gate() -> KeyFetchGate | None:
    """The gate of the key lookup running in this task, if any."""
    return _ACTIVE.get()


def origin_of(url: str) -> str:
    """Scheme, host and port of ``url`` (lower case): what the per-origin rules count."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class KeyFetchBusy(Exception):
    """A key lookup refused before any fetch: the client's slots or failure allowance are
    spent (``retry_after`` seconds), or the origin failed recently (``retry_after`` None)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class KeyFetchGate:
    """Per-origin and per-client bounds, and the negative cache, of inbox key fetches."""

    def __init__(
        self,
        *,
        per_origin: int = 2,
        per_client: int = 4,
        failure_ttl: float = 60.0,
        slot_wait: float = 3.0,
        client_failures: Limit | None = None,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_origin = per_origin
        self.per_client = per_client
        self.failure_ttl = failure_ttl
        self.slot_wait = slot_wait
        self.max_entries = max_entries
        self._clock = clock
        self._failures = RateLimiter(client_failures or Limit(20, 60.0), clock=clock)
        self._origins: dict[str, asyncio.Semaphore] = {}
        self._clients: dict[str, int] = {}
        self._failed: dict[str, float] = {}  # origin -> when it may be asked again

    @asynccontextmanager
    async def lookup(self, client_ip: str) -> AsyncIterator[None]:
        """Run one key lookup for ``client_ip`` under the gate (``KeyFetchBusy`` if refused).

        A lookup that raises counts as a failure of the client.
        """
        wait = self._failures.peek(client_ip) if client_ip else 0.0
        if wait:
            raise KeyFetchBusy("too many failed key lookups from this address", wait)
        if client_ip and self._clients.get(client_ip, 0) >= self.per_client:
            raise KeyFetchBusy("too many key lookups in flight from this address", 1.0)
        if client_ip:
            self._clients[client_ip] = self._clients.get(client_ip, 0) + 1
        token = _ACTIVE.set(self)
        try:
            yield
        except Exception:
            if client_ip:
                self._failures.take(client_ip)
            raise
        finally:
            _ACTIVE.reset(token)
            if client_ip:
                left = self._clients.pop(client_ip, 1) - 1
                if left > 0:
                    self._clients[client_ip] = left

    def recently_failed(self, url: str) -> bool:
        """Whether ``url``'s origin failed a key fetch within ``failure_ttl`` seconds."""
        origin = origin_of(url)
        until = self._failed.get(origin)
        if until is None:
            return False
        if until <= self._clock():
            del self._failed[origin]
            return False
        return True

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """One of ``url``'s origin slots for the duration of a fetch (``KeyFetchBusy`` if
        none frees within ``slot_wait`` seconds, or if the origin failed recently)."""
        if self.recently_failed(url):
            raise KeyFetchBusy(f"{origin_of(url)} failed a key fetch recently")
        origin = origin_of(url)
        semaphore = self._origins.get(origin)
        if semaphore is None:
            if len(self._origins) >= self.max_entries:
                self._forget_idle()
            semaphore = self._origins[origin] = asyncio.Semaphore(self.per_origin)
        try:
            async with asyncio.timeout(self.slot_wait):
                await semaphore.acquire()
        except TimeoutError:
            raise KeyFetchBusy(f"too many key fetches in flight to {origin}") from None
        try:
            yield
        finally:
            semaphore.release()

    def failed(self, url: str) -> None:
        """Remember that ``url``'s origin could not be reached (for ``failure_ttl`` s)."""
        if len(self._failed) >= self.max_entries:
            now = self._clock()
            self._failed = {k: v for k, v in self._failed.items() if v > now}
            if len(self._failed) >= self.max_entries:
                self._failed.clear()
        self._failed[origin_of(url)] = self._clock() + self.failure_ttl

    def _forget_idle(self) -> None:
        idle = [k for k, s in self._origins.items() if s._value == self.per_origin]
        for key in idle:
            del self._origins[key]
