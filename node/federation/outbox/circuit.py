"""The per-host circuit breaker over the ``host_state`` table, so a dead server costs nothing.

A host is ``host[:port]`` of the inbox URL (two servers on one IP are two hosts). Its row says
how many deliveries in a row failed since when, and until when the circuit is open. Healthy
hosts have no row, or a row with no failures; a delivery to them costs no database write here.

States: *closed* (``open_until`` NULL), *open* (``open_until`` in the future: deliveries are
rescheduled without an HTTP attempt), *half-open* (``open_until`` passed: the first delivery
takes the probe slot with one atomic UPDATE, pushing ``open_until`` by the probe window, and
the others keep waiting). A reachable answer closes the circuit, a failure opens it again for
longer. ``Retry-After`` on 429/503 pauses the whole host the same way (see ``pause``).

A dead host's backlog is held, not polled: whenever a failure leaves the circuit open, the
same transaction moves every waiting deliver job to that host past the probe window
(:func:`node.federation.jobs.hold_host`, one UPDATE over ``job.host``). The job that failed
comes back when the circuit half-opens and is the probe; the rest are not claimed at all
while the host stays down. So a retry round of a dead host costs one claim and one UPDATE,
however many activities wait for it (``bench/bench_deadhosts.py``), the way Lemmy's
per-instance worker keeps one cursor per host.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial

from anyio import to_thread
from sqlalchemy import Connection, Engine, text

from node.db import epoch, write_connection
from node.federation import jobs
from node.federation.outbox.policy import CircuitPolicy

_UPSERT_FAILURE = (
    "INSERT INTO host_state (host, consecutive_failures, first_failure_at, open_until,"
    " last_error) VALUES (:host, :n, :first, :until, :error)"
    " ON CONFLICT (host) DO UPDATE SET"
    " consecutive_failures = host_state.consecutive_failures + :n,"
    " first_failure_at = COALESCE(host_state.first_failure_at, :first),"
    " open_until = CASE WHEN host_state.open_until IS NULL OR host_state.open_until < :until"
    " THEN :until ELSE host_state.open_until END,"
    " last_error = :error"
    " RETURNING consecutive_failures, first_failure_at, open_until"
)


@dataclass(frozen=True)
class HostView:
    """What this process knows of one host's delivery health."""

    failures: int = 0
    open_until: float | None = None

    @property
    def clean(self) -> bool:
        """No failures on record and no open circuit: a success needs no write."""
        return self.failures == 0 and self.open_until is None


_CLEAN = HostView()


class HostHealth:
    """Reads host states through a per-process snapshot; every change goes to the database.

    The snapshot holds only the hosts with failures or an open circuit (few, even on a big
    node), read in one SELECT at most every ``cache_ttl`` seconds: a fan-out to a thousand
    healthy hosts reads nothing per host, and a success on a clean host writes nothing.
    """

    def __init__(self, engine: Engine, policy: CircuitPolicy, *, max_attempts: int = 16) -> None:
        self._engine = engine
        self._policy = policy
        self._max_attempts = max_attempts
        self._views: dict[str, HostView] = {}
        self._loaded_at: float | None = None
        self._loading = asyncio.Lock()

    async def wait_before_sending(self, host: str, now: float) -> float | None:
        """None if a delivery to ``host`` may go now; otherwise seconds until the circuit closes.

        Taking the probe slot of a half-open circuit is a write; everything else is cached.
        """
        view = await self._view(host, now)
        if view.open_until is None:
            return None
        if view.open_until > now:
            return view.open_until - now
        won, open_until = await to_thread.run_sync(partial(self._take_probe, host, now))
        self._remember(host, HostView(view.failures, open_until), now)
        if won or open_until is None:
            return None
        return max(0.0, open_until - now)

    async def record_failure(
        self, host: str, error: str, now: float, *, pause_until: float | None = None
    ) -> HostView:
        """Count one failed delivery; open the circuit when the policy says so, and then hold
        the host's waiting backlog until after the next probe."""
        view = await to_thread.run_sync(
            partial(self._write_failure, host, error, now, 1, pause_until)
        )
        self._remember(host, view, now)
        return view

    async def pause(self, host: str, until: float, error: str, now: float) -> None:
        """Hold every delivery to ``host`` until ``until`` (Retry-After), without a failure."""
        view = await to_thread.run_sync(partial(self._write_failure, host, error, now, 0, until))
        self._remember(host, view, now)

    async def record_success(self, host: str, now: float) -> None:
        """The host answered: close its circuit and forget its failures (a write only if any)."""
        if self._loaded_at is not None and host not in self._views:
            return
        await to_thread.run_sync(partial(self._write_success, host))
        self._remember(host, _CLEAN, now)

    # --- internals -----------------------------------------------------------------------------

    async def _view(self, host: str, now: float) -> HostView:
        if self._stale(now):
            async with self._loading:  # one reader for all the deliveries that find it stale
                if self._stale(now) or self._policy.cache_ttl <= 0:
                    self._views = await to_thread.run_sync(self._read_unclean)
                    self._loaded_at = now
        return self._views.get(host, _CLEAN)

    def _stale(self, now: float) -> bool:
        return self._loaded_at is None or now - self._loaded_at >= self._policy.cache_ttl

    def _remember(self, host: str, view: HostView, now: float) -> None:
        if view.clean:
            self._views.pop(host, None)
        else:
            self._views[host] = view

    def _read_unclean(self) -> dict[str, HostView]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT host, consecutive_failures, open_until FROM host_state"
                    " WHERE consecutive_failures > 0 OR open_until IS NOT NULL"
                )
            ).all()
        return {row.host: HostView(int(row.consecutive_failures), row.open_until) for row in rows}

    def _take_probe(self, host: str, now: float) -> tuple[bool, float | None]:
        until = now + self._policy.probe_window
        with write_connection(self._engine) as conn:
            taken = conn.execute(
                text(
                    "UPDATE host_state SET open_until = :until WHERE host = :host"
                    " AND open_until IS NOT NULL AND open_until <= :now"
                ),
                {"host": host, "until": until, "now": now},
            ).rowcount
            if taken:
                return True, until
            current = conn.execute(
                text("SELECT open_until FROM host_state WHERE host = :host"), {"host": host}
            ).scalar()
        return False, current

    def _write_failure(
        self, host: str, error: str, now: float, count: int, pause_until: float | None
    ) -> HostView:
        policy = self._policy
        with write_connection(self._engine) as conn:
            row = conn.execute(
                text(_UPSERT_FAILURE),
                {
                    "host": host[:255],
                    "n": count,
                    "first": now if count else None,
                    "until": pause_until,
                    "error": error[:500],
                },
            ).one()
            failures, first, open_until = int(row[0]), row[1], row[2]
            failing_for = now - first if first is not None else 0.0
            if count and failures >= policy.threshold and failing_for >= policy.min_span:
                reopen = now + policy.open_period(failing_for)
                if open_until is None or open_until < reopen:
                    open_until = reopen
                    conn.execute(
                        text("UPDATE host_state SET open_until = :until WHERE host = :host"),
                        {"host": host[:255], "until": open_until},
                    )
            if count and open_until is not None and open_until > now:
                self._hold_backlog(conn, host, error, open_until - now)
        return HostView(failures, open_until)

    def _hold_backlog(self, conn: Connection, host: str, error: str, open_for: float) -> None:
        """Move the host's waiting jobs due before the circuit half-opens to after the probe
        window (job times are epoch seconds; the circuit's clock may be a test's)."""
        at = epoch()
        jobs.hold_host(
            conn,
            host,
            delay=open_for + self._policy.probe_window,
            before=at + open_for,
            error=f"held: circuit open for {host} ({error})",
            max_attempts=self._max_attempts,
            now=at,
        )

    def _write_success(self, host: str) -> None:
        with write_connection(self._engine) as conn:
            conn.execute(
                text(
                    "UPDATE host_state SET consecutive_failures = 0, first_failure_at = NULL,"
                    " open_until = NULL WHERE host = :host"
                    " AND (consecutive_failures > 0 OR open_until IS NOT NULL)"
                ),
                {"host": host[:255]},
            )
