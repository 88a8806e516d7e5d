"""The persistent job queue: one table, one claim, one lease.

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

DEFAULT_LEASE = 120.0
DONE_RETENTION = 7 * 86_400.0


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds a lease on."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    dedupe_key: str | None


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


def claim(
    engine: Engine,
    worker: str,
    *,
    limit: int = 10,
    lease: float = DEFAULT_LEASE,
    kinds: Iterable[str] | None = None,
    now: float | None = None,
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to ``worker`` and return them (attempts already counted)."""
    now = epoch() if now is None else now
    kinds_list = sorted(kinds) if kinds else None
    kind_filter = ""
    params: dict[str, Any] = {"now": now, "lease_until": now + lease, "worker": worker, "n": limit}
    if kinds_list:
        names = ", ".join(f":k{i}" for i in range(len(kinds_list)))
        kind_filter = f" AND kind IN ({names})"
        params.update({f"k{i}": k for i, k in enumerate(kinds_list)})
    lock = "" if engine.dialect.name == "sqlite" else " FOR UPDATE SKIP LOCKED"
    # Only constant fragments and bound parameters go into this statement.
    sql = (
        "UPDATE job SET locked_by = :worker, locked_until = :lease_until,"  # noqa: S608
        " attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM job WHERE state = 'ready' AND run_at <= :now"
        " AND (locked_until IS NULL OR locked_until < :now)"
        f"{kind_filter} ORDER BY run_at, id LIMIT :n{lock})"
        " RETURNING id, kind, payload, attempts, dedupe_key"
    )
    with write_connection(engine) as conn:
        rows = conn.execute(text(sql), params).all()
    jobs = [
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            payload=row.payload if isinstance(row.payload, dict) else orjson.loads(row.payload),
            attempts=row.attempts,
            dedupe_key=row.dedupe_key,
        )
        for row in rows
    ]
    jobs.sort(key=lambda j: j.id)
    return jobs


def complete(engine: Engine, job_id: int, worker: str, *, now: float | None = None) -> bool:
    """Mark a job done; False if this worker no longer holds it (its lease expired and moved)."""
    return _update_held(
        engine,
        job_id,
        worker,
        "state = 'done', finished_at = :now, locked_until = NULL",
        now=epoch() if now is None else now,
    )


def _update_held(engine: Engine, job_id: int, worker: str, assignments: str, **values: Any) -> bool:
    """Apply ``assignments`` (a constant SET list of this module) to a job only while
    ``worker`` still holds it; False when its lease expired and another worker took it."""
    with write_connection(engine) as conn:
        result = conn.execute(
            text(
                f"UPDATE job SET {assignments}"  # noqa: S608 - assignments are constants here
                " WHERE id = :id AND locked_by = :worker AND state = 'ready'"
            ),
            {"id": job_id, "worker": worker, **values},
        )
    return bool(result.rowcount)


def complete_many(
    engine: Engine, job_ids: Iterable[int], worker: str, *, now: float | None = None
) -> int:
    """Mark many jobs done in one statement (the worker batches its completions: one write
    transaction per job cost more than the whole RSA signing of a fan-out, measured)."""
    ids = sorted(set(job_ids))
    if not ids:
        return 0
    done = 0
    with write_connection(engine) as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            params: dict[str, Any] = {f"i{n}": job_id for n, job_id in enumerate(chunk)}
            params.update(worker=worker, now=epoch() if now is None else now)
            placeholders = ", ".join(f":i{n}" for n in range(len(chunk)))
            result = conn.execute(
                text(
                    "UPDATE job SET state = 'done', finished_at = :now, locked_until = NULL"  # noqa: S608
                    f" WHERE id IN ({placeholders}) AND locked_by = :worker AND state = 'ready'"
                ),
                params,
            )
            done += result.rowcount
    return done


def retry_later(
    engine: Engine,
    job_id: int,
    worker: str,
    *,
    delay: float,
    error: str,
    status: int | None = None,
    now: float | None = None,
) -> bool:
    """Release a job to run again after ``delay`` seconds, recording why it failed."""
    now = epoch() if now is None else now
    return _update_held(
        engine,
        job_id,
        worker,
        "run_at = :run_at, locked_until = NULL, locked_by = NULL,"
        " last_error = :error, last_status = :status",
        run_at=now + delay,
        error=error[:2000],
        status=status,
    )


def give_up(
    engine: Engine,
    job_id: int,
    worker: str,
    *,
    error: str,
    status: int | None = None,
    now: float | None = None,
) -> bool:
    """Move a job to the dead-letter state (kept for inspection, never run again)."""
    return _update_held(
        engine,
        job_id,
        worker,
        "state = 'dead', finished_at = :now, locked_until = NULL,"
        " last_error = :error, last_status = :status",
        now=epoch() if now is None else now,
        error=error[:2000],
        status=status,
    )


def extend_lease(engine: Engine, job_id: int, worker: str, *, lease: float) -> bool:
    """Keep holding a long-running job."""
    return _update_held(engine, job_id, worker, "locked_until = :until", until=epoch() + lease)


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
    "ClaimedJob",
    "RetryPolicy",
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
    "worker_name",
]
