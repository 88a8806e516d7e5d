"""The knobs of delivery: retry policies, the per-host circuit breaker, Retry-After parsing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

from node.federation.jobs import RetryPolicy

# FetchError reasons that no later attempt can fix: the URL itself is unusable or forbidden.
PERMANENT_FETCH_REASONS = frozenset({"blocked_address", "blocked_domain", "bad_scheme", "bad_url"})


@dataclass(frozen=True)
class CircuitPolicy:
    """When a host's circuit opens, for how long, and how it is probed again.

    The circuit opens after ``threshold`` consecutive failures (connection errors, timeouts,
    5xx) that span at least ``min_span`` seconds, so one burst against a host that blinked does
    not open it. It then stays open as long as the host has been failing (at least ``base``,
    at most ``cap``): each failed probe roughly doubles the period, in real time, however many
    deliveries are queued. When it expires, one delivery takes the probe slot for
    ``probe_window`` seconds; the others wait. Any HTTP answer other than 5xx/429 closes it.
    """

    threshold: int = 5
    min_span: float = 60.0
    base: float = 60.0
    cap: float = 6 * 3600.0
    probe_window: float = 30.0
    # How long a host's row read from the database is trusted by this process. Writes by this
    # process update it at once; another worker process's changes show up within this time.
    cache_ttl: float = 10.0

    def open_period(self, failing_for: float) -> float:
        """Seconds the circuit stays open once a host has been failing for ``failing_for``."""
        return min(self.cap, max(self.base, failing_for))


def _fanout_policy() -> RetryPolicy:
    # A fan-out only reads and writes our own database: retry soon, give up sooner.
    return RetryPolicy(base=10.0, cap=600.0, max_attempts=10)


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything tunable about fan-out and delivery; the defaults are production values."""

    deliver_policy: RetryPolicy = field(default_factory=RetryPolicy)
    fanout_policy: RetryPolicy = field(default_factory=_fanout_policy)
    circuit: CircuitPolicy = field(default_factory=CircuitPolicy)
    # Threads that sign concurrently, in batches (cryptography releases the GIL while signing;
    # signer_threads.py). None: one per CPU; 0: sign on the event loop thread.
    sign_threads: int | None = None
    # Deliver jobs inserted per write transaction by a fan-out (SQLite has one writer).
    enqueue_batch: int = 500
    # Remote actors resolved at once by a fan-out with explicit recipients.
    resolve_concurrency: int = 8
    # Activities whose serialised body and signing key are kept in memory per process.
    body_cache_size: int = 32
    # The clock of circuit decisions (signatures always use the real time).
    clock: Callable[[], float] = time.time


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date), or None."""
    value = headers.get("Retry-After", "").strip()
    if not value or len(value) > 64:
        return None
    if value.isascii() and value.isdigit():  # str.isdigit() also says yes to "²", float() no
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
