"""Leases on the job queue: claiming due jobs, and what a worker writes about the jobs it holds
(done, to retry later, dead), each only while it still holds the job's lease.

One claim is one ``UPDATE ... RETURNING`` over rows that are ready, due and not leased; on
PostgreSQL the inner SELECT uses ``FOR UPDATE SKIP LOCKED``, on SQLite the write transaction is
``BEGIN IMMEDIATE``. :func:`settle` records a batch of outcomes and claims the next jobs in one
transaction, as the worker's pipeline runs. The queue's other half (enqueue, holds, purge,
counts) is ``node.federation.jobs``, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, TextClause, text

from node.db import epoch, is_sqlite, write_connection

DEFAULT_LEASE = 120.0


@lru_cache(maxsize=256)
def _statement(sql: str) -> TextClause:
    """``text(sql)``, built once: parsing a statement's bound parameters cost about a third of
    a claim's CPU (cProfile), and the worker makes the same few statements over and over."""
    return text(sql)


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds a lease on."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    dedupe_key: str | None
    # What its kind's batch preparer read for it with the other jobs of its claim (worker.py);
    # None: its handler reads for itself.
    prepared: Any = field(default=None, compare=False, repr=False)


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
    with write_connection(engine) as conn:
        return _claim(conn, worker, limit=limit, lease=lease, kinds=kinds, now=now)


def _claim(
    conn: Connection,
    worker: str,
    *,
    limit: int,
    lease: float,
    kinds: Iterable[str] | None,
    now: float,
) -> list[ClaimedJob]:
    kinds_list = sorted(kinds) if kinds else None
    kind_filter = ""
    params: dict[str, Any] = {"now": now, "lease_until": now + lease, "worker": worker, "n": limit}
    if kinds_list:
        names = ", ".join(f":k{i}" for i in range(len(kinds_list)))
        kind_filter = f" AND kind IN ({names})"
        params.update({f"k{i}": k for i, k in enumerate(kinds_list)})
    lock = "" if is_sqlite(conn) else " FOR UPDATE SKIP LOCKED"
    # Only constant fragments and bound parameters go into this statement.
    sql = (
        "UPDATE job SET locked_by = :worker, locked_until = :lease_until,"  # noqa: S608
        " attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM job WHERE state = 'ready' AND run_at <= :now"
        " AND (locked_until IS NULL OR locked_until < :now)"
        f"{kind_filter} ORDER BY run_at, id LIMIT :n{lock})"
        " RETURNING id, kind, payload, attempts, dedupe_key"
    )
    rows = conn.execute(_statement(sql), params).all()
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


@dataclass(frozen=True)
class StatementRecord:
    """What a finished job did, as one statement and its parameters (``Done.record``).
    :func:`settle` runs the records of one statement together: on PostgreSQL as ``many`` when
    the record has one (one statement for all), otherwise as one ``executemany``, rather than
    one ``execute`` each (~40 us of the worker's CPU a job less, bench_inbox_jobs)."""

    statement: TextClause
    params: dict[str, Any]
    # PostgreSQL: the same for many records in one statement, from ``:rows``, a JSON array of
    # their parameters (json_to_recordset); its executemany is a statement a record server-side
    many: TextClause | None = None

    def __call__(self, conn: Connection) -> None:
        conn.execute(self.statement, self.params)


def _write_records(conn: Connection, writes: list[Callable[[Connection], None]]) -> None:
    """Each record written; those that are one statement, grouped by statement."""
    grouped: dict[TextClause, list[StatementRecord]] = {}
    for write in writes:
        if isinstance(write, StatementRecord):
            grouped.setdefault(write.statement, []).append(write)
        else:
            write(conn)
    for statement, records in grouped.items():
        many = records[0].many
        if many is not None and len(records) > 1 and not is_sqlite(conn):
            rows = orjson.dumps([record.params for record in records]).decode()
            conn.execute(many, {"rows": rows})
        else:
            conn.execute(statement, [record.params for record in records])


@dataclass(frozen=True)
class Release:
    """A held job given back after a failed run: to run again ``delay`` seconds from now, or,
    with ``delay`` None, moved to the dead-letter state."""

    job_id: int
    error: str
    status: int | None = None
    delay: float | None = None


def settle(
    engine: Engine,
    worker: str,
    *,
    done: Iterable[int] = (),
    records: Iterable[Callable[[Connection], None]] = (),
    released: Iterable[Release] = (),
    claim_limit: int = 0,
    lease: float = DEFAULT_LEASE,
    kinds: Iterable[str] | None = None,
    now: float | None = None,
) -> list[ClaimedJob]:
    """Record what ``worker`` finished (``done``, ``released``) and claim up to ``claim_limit``
    due jobs, all in ONE write transaction; returns the claimed jobs.

    The worker's pipeline settles every batch of finished jobs this way: a fan-out of 1,000
    deliveries made about 40 claims and 40 completion transactions, each a BEGIN IMMEDIATE,
    a thread hop and a commit (bench/bench_fanout.py); now it makes one of each kind of work
    per transaction. Jobs whose lease this worker lost are left alone, as with ``complete``.
    ``records`` write what finished jobs did (``Done.record``), in the same transaction.
    """
    now = epoch() if now is None else now
    done_ids = sorted(set(done))
    writes = list(records)
    releases = list(released)
    if not done_ids and not releases and claim_limit <= 0:
        return []
    with write_connection(engine) as conn:
        _write_records(conn, writes)
        _complete_many(conn, done_ids, worker, now)
        for release in releases:
            if release.delay is None:
                _update_held(conn, release.job_id, worker, _DEAD, **_dead_values(release, now))
            else:
                _update_held(conn, release.job_id, worker, _RETRY, **_retry_values(release, now))
        if claim_limit <= 0:
            return []
        return _claim(conn, worker, limit=claim_limit, lease=lease, kinds=kinds, now=now)


def complete(engine: Engine, job_id: int, worker: str, *, now: float | None = None) -> bool:
    """Mark a job done; False if this worker no longer holds it (its lease expired and moved)."""
    with write_connection(engine) as conn:
        return _update_held(conn, job_id, worker, _DONE, now=epoch() if now is None else now)


_DONE = "state = 'done', finished_at = :now, locked_until = NULL"
_RETRY = (
    "run_at = :run_at, locked_until = NULL, locked_by = NULL,"
    " last_error = :error, last_status = :status"
)
_DEAD = (
    "state = 'dead', finished_at = :now, locked_until = NULL,"
    " last_error = :error, last_status = :status"
)


def _retry_values(release: Release, now: float) -> dict[str, Any]:
    assert release.delay is not None
    return {"run_at": now + release.delay, "error": release.error[:2000], "status": release.status}


def _dead_values(release: Release, now: float) -> dict[str, Any]:
    return {"now": now, "error": release.error[:2000], "status": release.status}


def _update_held(
    conn: Connection, job_id: int, worker: str, assignments: str, **values: Any
) -> bool:
    """Apply ``assignments`` (a constant SET list of this module) to a job only while
    ``worker`` still holds it; False when its lease expired and another worker took it."""
    result = conn.execute(
        _statement(
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
    with write_connection(engine) as conn:
        return _complete_many(conn, ids, worker, epoch() if now is None else now)


def _complete_many(conn: Connection, ids: list[int], worker: str, now: float) -> int:
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        params: dict[str, Any] = {f"i{n}": job_id for n, job_id in enumerate(chunk)}
        params.update(worker=worker, now=now)
        placeholders = ", ".join(f":i{n}" for n in range(len(chunk)))
        result = conn.execute(
            _statement(
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
    release = Release(job_id, error, status, delay)
    with write_connection(engine) as conn:
        return _update_held(conn, job_id, worker, _RETRY, **_retry_values(release, now))


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
    now = epoch() if now is None else now
    release = Release(job_id, error, status)
    with write_connection(engine) as conn:
        return _update_held(conn, job_id, worker, _DEAD, **_dead_values(release, now))


def extend_lease(engine: Engine, job_id: int, worker: str, *, lease: float) -> bool:
    """Keep holding a long-running job."""
    with write_connection(engine) as conn:
        return _update_held(conn, job_id, worker, "locked_until = :until", until=epoch() + lease)
