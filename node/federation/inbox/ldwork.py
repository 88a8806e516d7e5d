"""A rate per claimed origin for the LD-signature work of forwarded activities.

Checking an RsaSignature2017 means canonicalising the body (JSON-LD, URDNA2015): ~10 ms for a
real activity, up to the deadline of ``forwarded.INBOX_LD_LIMITS`` for a crafted one. Whoever
forwards may claim any actor, so the CPU time spent on those checks is metered per origin of
the claimed actor: a bucket of ``rate_limit_ld_work`` milliseconds (``"MS/SECONDS"``, refilled
continuously). A check may start while the bucket holds anything and is charged what it really
cost afterwards, so one origin gets at most its allowance plus one deadline per period.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from node.federation.context import NodeContext
from node.limits import Limit

__all__ = ["WorkMeter", "work_meter"]


class WorkMeter:
    """Milliseconds of work per key, in buckets of ``limit`` that may run into debt."""

    def __init__(
        self, limit: Limit, *, max_keys: int = 10_000, clock: Callable[[], float] | None = None
    ) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._clock = clock or time.monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (ms left, updated at)

    def _level(self, key: str, now: float) -> float:
        return self.limit.level(self._buckets.get(key), now)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may start more work (0.0: now)."""
        level = self._level(key, self._clock())
        return 0.0 if level > 0 else (1.0 - level) / self.limit.rate

    def charge(self, key: str, milliseconds: float) -> None:
        """Spend ``milliseconds`` of ``key``'s allowance (the bucket may go below zero)."""
        now = self._clock()
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            # Forgetting a bucket only lets an origin through sooner; drop the oldest half.
            for old in list(self._buckets)[: self.max_keys // 2]:
                del self._buckets[old]
        self._buckets[key] = (self._level(key, now) - milliseconds, now)


def work_meter(node: NodeContext) -> WorkMeter | None:
    """This node's meter, or None when ``rate_limit_ld_work`` is off."""
    limit = node.settings.rate_limit_ld_work
    if limit is None:
        return None
    meter = node.ld_work_meter
    if meter is None or meter.limit != limit:
        meter = node.ld_work_meter = WorkMeter(limit)
    return meter
