"""Token-bucket rate limits, in memory, per process: the inbox per remote host and per IP,
and (for whoever builds them) sign-in and the API.

A limit is written ``"N/SECONDS"``: a bucket holds ``N`` tokens and refills at ``N/SECONDS``
per second, so a sender may burst ``N`` requests and then sustain ``N`` per ``SECONDS``.
``"0"`` or ``"off"`` disables a limit. Buckets live in one process: with several web processes
each enforces its own share, which is what a cheap first line of defence needs (the proxy in
front, Caddy, can add a global one).

Usage::

    limiter = limiter_for(node, "signin")
    wait = limiter.take(client_ip) if limiter else 0.0
    if wait:
        return too_many_requests(wait, "too many sign-in attempts")
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from starlette.responses import Response

if TYPE_CHECKING:
    from node.context import NodeContext

__all__ = [
    "Limit",
    "LimitError",
    "RateLimiter",
    "limiter_for",
    "parse_limit",
    "too_many_requests",
]

# Settings field of each named limiter (node.settings.Settings).
LIMIT_SETTINGS = {
    "inbox_host": "rate_limit_inbox_host",
    "inbox_ip": "rate_limit_inbox_ip",
    "signin": "rate_limit_signin",
    "api": "rate_limit_api",
}
_CACHE_PREFIX = "ratelimit:"


class LimitError(ValueError):
    """A limit could not be parsed; the message says what is expected."""


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, refilled at ``burst / period`` per second."""

    burst: int
    period: float

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.burst / self.period


def parse_limit(text: str) -> Limit | None:
    """``"300/60"`` -> Limit(300, 60.0); ``"0"``, ``"off"`` or ``""`` -> None (no limit)."""
    value = text.strip().lower()
    if value in {"", "0", "off", "none"}:
        return None
    count, sep, seconds = value.partition("/")
    try:
        burst = int(count)
        period = float(seconds) if sep else 1.0
    except ValueError:
        raise LimitError(
            f"a rate limit is written N/SECONDS (e.g. 300/60) or off, got {text!r}"
        ) from None
    if burst < 1 or not math.isfinite(period) or period <= 0:
        raise LimitError(f"a rate limit needs N >= 1 and SECONDS > 0, got {text!r}")
    return Limit(burst, period)


class RateLimiter:
    """Token buckets keyed by a string (a host, an IP, an account), bounded in number.

    ``take`` spends a token; ``peek`` only looks. Both return 0.0 when a request may go
    ahead, else the seconds until a token is available (the Retry-After to send). When more
    than ``max_keys`` buckets exist, the full ones (idle senders) are forgotten first: a full
    bucket and no bucket mean the same thing.
    """

    def __init__(
        self, limit: Limit, *, max_keys: int = 50_000, clock: Callable[[], float] | None = None
    ) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._clock = clock or time.monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)

    def _level(self, key: str, now: float) -> float:
        entry = self._buckets.get(key)
        if entry is None:
            return float(self.limit.burst)
        tokens, updated = entry
        return min(float(self.limit.burst), tokens + (now - updated) * self.limit.rate)

    def peek(self, key: str) -> float:
        """Seconds to wait before ``key`` may send (0.0: it may), without spending a token."""
        level = self._level(key, self._clock())
        return 0.0 if level >= 1.0 else (1.0 - level) / self.limit.rate

    def take(self, key: str) -> float:
        """Spend one token of ``key``; 0.0 if allowed, else the seconds to wait (nothing spent)."""
        now = self._clock()
        level = self._level(key, now)
        if level < 1.0:
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.limit.rate
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._evict(now)
        self._buckets[key] = (level - 1.0, now)
        return 0.0

    def _evict(self, now: float) -> None:
        burst = float(self.limit.burst)
        full = [k for k in self._buckets if self._level(k, now) >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            # Everyone is busy (a flood from many addresses): drop the oldest half. Forgetting
            # a bucket only ever lets a sender through sooner, never refuses anyone wrongly.
            for key in list(self._buckets)[: self.max_keys // 2]:
                del self._buckets[key]


def limiter_for(node: NodeContext, name: str) -> RateLimiter | None:
    """The process-wide limiter ``name`` (inbox_host, inbox_ip, signin, api) built from the
    node's settings, or None when that limit is off."""
    key = _CACHE_PREFIX + name
    if key in node.cache:
        cached: RateLimiter | None = node.cache[key]
        return cached
    limit = parse_limit(str(getattr(node.settings, LIMIT_SETTINGS[name])))
    limiter = RateLimiter(limit) if limit is not None else None
    node.cache[key] = limiter
    return limiter


def too_many_requests(retry_after: float, message: str) -> Response:
    """429 with ``Retry-After`` (whole seconds, at least 1) and a JSON error body."""
    seconds = max(1, math.ceil(retry_after))
    return Response(
        orjson.dumps({"error": message, "reason": "rate_limited", "retry_after": seconds}),
        status_code=429,
        media_type="application/json",
        headers={"Retry-After": str(seconds)},
    )
