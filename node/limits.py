"""Rate limits as values: ``Limit(count, per_seconds)``, written ``"N/SECONDS"`` in settings.

Pure: parsed once when the settings are read (node/settings.py), then used by the token
buckets (node/ratelimit.py) and the work meters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class LimitError(ValueError):
    """A limit could not be parsed; the message says what is expected."""


@dataclass(frozen=True)
class Limit:
    """A rate limit: ``count`` requests at once, refilled at ``count / per_seconds`` per second.

    Written ``"N/SECONDS"`` in the environment (``"300/60"``); see :func:`parse_limit`.
    """

    count: int
    per_seconds: float

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.count / self.per_seconds

    def level(self, bucket: tuple[float, float] | None, now: float) -> float:
        """What a bucket stored as ``(level, updated at)`` holds at ``now``: refilled at
        :attr:`rate` up to ``count``; a bucket not stored yet is full."""
        if bucket is None:
            return float(self.count)
        left, updated = bucket
        return min(float(self.count), left + (now - updated) * self.rate)

    def __str__(self) -> str:
        return f"{self.count}/{self.per_seconds:g}"


def parse_limit(text: str) -> Limit | None:
    """``"300/60"`` -> Limit(300, 60.0); ``"0"``, ``"off"`` or ``""`` -> None (no limit)."""
    value = text.strip().lower()
    if value in {"", "0", "off", "none"}:
        return None
    count, sep, seconds = value.partition("/")
    try:
        number = int(count)
        per_seconds = float(seconds) if sep else 1.0
    except ValueError:
        raise LimitError(
            f"a rate limit is written N/SECONDS (e.g. 300/60) or off, got {text!r}"
        ) from None
    if number < 1 or not math.isfinite(per_seconds) or per_seconds <= 0:
        raise LimitError(f"a rate limit needs N >= 1 and SECONDS > 0, got {text!r}")
    return Limit(number, per_seconds)
