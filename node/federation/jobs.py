"""The persistent job queue: one table, one claim, one lease (claims and the writes about held
jobs live in ``node.federation.job_leases`` and are re-exported here).

A worker claims a batch with a single ``UPDATE … RETURNING`` over rows that are ready, due and
not leased. On PostgreSQL the inner SELECT uses ``FOR UPDATE SKIP LOCKED`` so several worker
processes never take the same row; on SQLite the claim runs in ``BEGIN IMMEDIATE``. A crashed
worker's lease expires and the job is taken again: work is at-least-once, and every handler is
written to be safe to repeat (receivers dedupe by activity id).
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from node.db import epoch, is_sqlite, write_connection
from node.federation.job_leases import (
    DEFAULT_LEASE,
    ClaimedJob,
    Release,
    StatementRecord,
    claim,
    complete,
    complete_many,
    extend_lease,
    give_up,
    retry_later,
    settle,
)

DONE_RETENTION = 7 * 86_400.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter and a cap; which failures are permanent.

    Defaults follow Mastodon's delivery behaviour: about 16 attempts spread over two to three
    days, with 4xx other than 401/408/429 treated as final.
    """

    base: float = 30.0
    factor: float = 2.0
    cap: float = 6 * 3600.0
    max_attempts: int = 16
    jitter: float = 0.25
    retry_after_cap: float = 24 * 3600.0
    permanent_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({400, 403, 404, 405, 410, 413, 422})
    )

    def is_permanent(self, status: int | None) -> bool:
        """Whether a response status means "do not try again"."""
        if status is None:
            return False
        if status in self.permanent_statuses:
            return True
        return 400 <= status < 500 and status not in {401, 408, 425, 429}

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempts + 1``; honours Retry-After within a cap."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.retry_after_cap)
        raw = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        spread = raw * self.jitter
        return max(1.0, raw + random.uniform(-spread, spread))

    def exhausted(self, attempts: int) -> bool:
        """Whether a job that has been tried ``attempts`` times should be given up."""
        return attempts >= self.max_attempts


def worker_name() -> str:
    """A name for this worker process: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.randrange(16**6):06x}"


# Also run through the bare sqlite3 driver by the inbox write path (named parameters).
INSERT_SQLITE = (
    "INSERT INTO job (kind, payload, dedupe_key, state, run_at, attempts, last_error,"
    " created_at) VALUES (:kind, :payload, :dedupe_key, 'ready', :run_at, 0, '', :now)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


def job_row(
    kind: str, payload: Mapping[str, Any], dedupe_key: str | None, run_at: float, now: float
) -> dict[str, Any]:
    """The parameters of one job insert."""
    return {
        "kind": kind,
        "payload": orjson.dumps(payload).decode(),
        "dedupe_key": dedupe_key,
        "run_at": run_at,
        "now": now,
    }


def _insert_sql(conn: Connection, *, with_host: bool = False) -> str:
    host_col, host_val = (", host", ", :host") if with_host else ("", "")
    payload = ":payload" if is_sqlite(conn) else "CAST(:payload AS JSON)"
    # Only constant fragments of this module go into this statement.
    return (
        f"INSERT INTO job (kind, payload, dedupe_key, state, run_at, attempts, last_error,"  # noqa: S608
        f" created_at{host_col}) VALUES (:kind, {payload}, :dedupe_key, 'ready', :run_at, 0, '',"
        f" :now{host_val}) ON CONFLICT (dedupe_key) DO NOTHING"
    )


def enqueue(
    conn: Connection,
    kind: str,
    payload: Mapping[str, Any],
    *,
    dedupe_key: str | None = None,
    delay: float = 0.0,
    now: float | None = None,
) -> bool:
    """Add a job inside the caller's transaction; returns False when the dedupe key exists.

    Enqueueing in the same transaction as the state change it follows from is what makes
    "accepted" mean "will be processed": both commit or neither does.
    """
    now = epoch() if now is None else now
    result = conn.execute(
        text(_insert_sql(conn)),
        {
            "kind": kind,
            "payload": orjson.dumps(payload).decode(),
            "dedupe_key": dedupe_key,
            "run_at": now + delay,
            "now": now,
        },
    )
    return bool(result.rowcount)


def enqueue_many(
    conn: Connection,
    kind: str,
    payloads: Iterable[tuple[Mapping[str, Any], str | None]],
    *,
    host_of: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> int:
    """Add many jobs of one kind in one statement batch; returns how many were new.

    ``host_of`` names the remote host each job goes to (deliver jobs), so that
    :func:`hold_host` can hold a dead host's whole backlog at once."""
    now = epoch()
    rows = [
        {
            "kind": kind,
            "payload": orjson.dumps(p).decode(),
            "dedupe_key": key,
            "run_at": now,
            "now": now,
            **({"host": host_of(p)} if host_of is not None else {}),
        }
        for p, key in payloads
    ]
    if not rows:
        return 0
    result = conn.execute(text(_insert_sql(conn, with_host=host_of is not None)), rows)
    return max(0, result.rowcount)


def hold_host(
    conn: Connection,
    host: str,
    *,
    delay: float,
    before: float,
    error: str,
    max_attempts: int,
    now: float | None = None,
) -> int:
    """Hold every waiting job to ``host`` (but those already held past ``before``) until
    ``delay`` seconds from now, in one UPDATE: a dead host's backlog costs one statement per
    retry round, not one claim per queued job. Leased jobs are left to their workers. Each hold counts as an attempt of every
    job it moves (as a claim refused by the circuit did), and a job whose attempts run out goes
    dead with ``error``: a host that never comes back does not keep its backlog for ever."""
    now = epoch() if now is None else now
    result = conn.execute(
        text(
            "UPDATE job SET run_at = :run_at, attempts = attempts + 1, last_error = :error,"
            " state = CASE WHEN attempts + 1 >= :max THEN 'dead' ELSE 'ready' END,"
            " finished_at = CASE WHEN attempts + 1 >= :max THEN :now ELSE NULL END"
            " WHERE host = :host AND state = 'ready' AND (run_at < :before OR run_at > :run_at)"
            " AND (locked_until IS NULL OR locked_until < :now)"
        ),
        {
            "run_at": now + delay,
            "error": error[:2000],
            "max": max_attempts,
            "now": now,
            "host": host[:255],
            "before": before,
        },
    )
    return max(0, result.rowcount)


def purge_done(engine: Engine, *, older_than: float = DONE_RETENTION) -> int:
    """Delete finished jobs older than the retention period; dead jobs are kept."""
    with write_connection(engine) as conn:
        result = conn.execute(
            text("DELETE FROM job WHERE state = 'done' AND finished_at < :cutoff"),
            {"cutoff": epoch() - older_than},
        )
    return result.rowcount


def counts(engine: Engine) -> dict[str, int]:
    """Number of jobs by state (for `solnode status` and health pages)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state, COUNT(*) FROM job GROUP BY state")).all()
    return {str(state): int(n) for state, n in rows}


def pending_count(engine: Engine, kinds: Iterable[str] | None = None) -> int:
    """How many jobs are still to run (ready, whether due or not)."""
    sql = "SELECT COUNT(*) FROM job WHERE state = 'ready'"
    params: dict[str, Any] = {}
    if kinds:
        kl = sorted(kinds)
        sql += " AND kind IN (" + ", ".join(f":k{i}" for i in range(len(kl))) + ")"
        params = {f"k{i}": k for i, k in enumerate(kl)}
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


__all__ = [
    "DEFAULT_LEASE",
    "DONE_RETENTION",
    "ClaimedJob",
    "Release",
    "RetryPolicy",
    "StatementRecord",
    "claim",
    "complete",
    "complete_many",
    "counts",
    "enqueue",
    "enqueue_many",
    "extend_lease",
    "give_up",
    "hold_host",
    "pending_count",
    "purge_done",
    "retry_later",
    "settle",
    "worker_name",
]
