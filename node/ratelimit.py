"""Token-bucket rate limits, in memory, per process: the inbox per remote host and per IP,
sign-in and the API.

A bucket for a :class:`node.settings.Limit` of ``N`` per ``SECONDS`` holds ``N`` tokens and
refills at ``N/SECONDS`` per second, so a sender may burst ``N`` requests and then sustain ``N``
per ``SECONDS``. Buckets live in one process: with several web processes each enforces its own
share, which is what a cheap first line of defence needs (the proxy in front, Caddy, can add a
global one). Answering a refused request (429 with Retry-After) is the web and API kits' job.

Usage::

    limiter = node.limiters.signin
    wait = limiter.take(client_ip) if limiter else 0.0
    if wait:
        return too_many_requests(wait, "too many sign-in attempts")  # node.web.render
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.limits import Limit
from node.settings import Settings

if TYPE_CHECKING:
    pass

__all__ = ["RateLimiter", "RateLimiters"]


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
        return self.limit.level(self._buckets.get(key), now)

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
        burst = float(self.limit.count)
        full = [k for k in self._buckets if self._level(k, now) >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            # Everyone is busy (a flood from many addresses): drop the oldest half. Forgetting
            # a bucket only ever lets a sender through sooner, never refuses anyone wrongly.
            for key in list(self._buckets)[: self.max_keys // 2]:
                del self._buckets[key]


@dataclass(frozen=True)
class RateLimiters:
    """The process-wide limiters, built once from the settings; None where a limit is off."""

    inbox_host: RateLimiter | None
    inbox_ip: RateLimiter | None
    signin: RateLimiter | None
    api: RateLimiter | None
    register: RateLimiter | None = None
    answer: RateLimiter | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiters:
        """One limiter per configured limit."""

        def build(limit: Limit | None) -> RateLimiter | None:
            return RateLimiter(limit) if limit is not None else None

        return cls(
            inbox_host=build(settings.rate_limit_inbox_host),
            inbox_ip=build(settings.rate_limit_inbox_ip),
            signin=build(settings.rate_limit_signin),
            api=build(settings.rate_limit_api),
            register=build(settings.rate_limit_register),
            answer=build(settings.rate_limit_answer),
        )
