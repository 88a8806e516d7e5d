"""Looking at and repairing the job queue (``solnode jobs``, ``/metrics``): list, show, retry,
purge the dead, and the depth and age of what is waiting.

The queue itself (enqueue, claim, lease, outcomes) is ``node.federation.jobs``; this module
only reads it and hands jobs back to it. The host of a ``deliver`` job is the canonical host of
the inbox in its payload (``outbox.deliver.inbox_host``); other kinds have none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, text

from node.db import epoch, write_connection
from node.federation.outbox.deliver import inbox_host

STATES = ("ready", "done", "dead")
CHUNK = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class JobRow:
    """One job as an operator sees it."""

    id: int
    kind: str
    state: str
    attempts: int
    run_at: float
    created_at: float
    finished_at: float | None
    locked_by: str | None
    locked_until: float | None
    last_status: int | None
    last_error: str
    dedupe_key: str | None
    payload: dict[str, Any]

    @property
    def host(self) -> str | None:
        """The remote host a deliver job posts to (None for other kinds)."""
        inbox = self.payload.get("inbox")
        return inbox_host(inbox) if self.kind == "deliver" and isinstance(inbox, str) else None


_COLUMNS = (
    "id, kind, state, attempts, run_at, created_at, finished_at, locked_by, locked_until,"
    " last_status, last_error, dedupe_key, payload"
)


def _row(row: Any) -> JobRow:
    payload = row.payload if isinstance(row.payload, dict) else orjson.loads(row.payload)
    return JobRow(
        id=row.id,
        kind=row.kind,
        state=row.state,
        attempts=row.attempts,
        run_at=row.run_at,
        created_at=row.created_at,
        finished_at=row.finished_at,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        last_status=row.last_status,
        last_error=row.last_error or "",
        dedupe_key=row.dedupe_key,
        payload=payload,
    )


def _scan(engine: Engine, where: str, params: dict[str, Any]) -> Iterator[JobRow]:
    """Jobs matching ``where`` (a constant fragment of this module) by id, in chunks."""
    after = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM job WHERE id > :after AND {where}"  # noqa: S608
                    " ORDER BY id LIMIT :n"
                ),
                {**params, "after": after, "n": CHUNK},
            ).all()
        for row in rows:
            yield _row(row)
        if len(rows) < CHUNK:
            return
        after = rows[-1].id


def find(
    engine: Engine,
    *,
    state: str | None = None,
    kind: str | None = None,
    host: str | None = None,
    limit: int | None = None,
) -> Iterator[JobRow]:
    """Jobs by state, kind and (deliver jobs) host, oldest first; at most ``limit``."""
    clauses, params = ["1 = 1"], {}
    if state:
        clauses.append("state = :state")
        params["state"] = state
    if host:
        kind = kind or "deliver"
    if kind:
        clauses.append("kind = :kind")
        params["kind"] = kind
    wanted = host.lower() if host else None
    found = 0
    for job in _scan(engine, " AND ".join(clauses), params):
        if wanted is not None and job.host != wanted:
            continue
        yield job
        found += 1
        if limit is not None and found >= limit:
            return


def get(engine: Engine, job_id: int) -> JobRow | None:
    """One job by id."""
    with engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT {_COLUMNS} FROM job WHERE id = :id"),  # noqa: S608
            {"id": job_id},
        ).first()
    return None if row is None else _row(row)


_RETRY = (
    "UPDATE job SET state = 'ready', run_at = :now, attempts = 0, locked_by = NULL,"
    " locked_until = NULL, finished_at = NULL WHERE id IN ({ids})"
    " AND (state = 'dead' OR (state = 'ready' AND (locked_until IS NULL OR locked_until < :now)))"
)


def retry(engine: Engine, job_ids: list[int], progress: Progress | None = None) -> int:
    """Run these dead or waiting jobs again now, with a fresh round of attempts; a job a
    worker holds, or one that is done, is left alone. Returns how many were requeued."""
    changed = 0
    for start in range(0, len(job_ids), CHUNK):
        chunk = job_ids[start : start + CHUNK]
        params: dict[str, Any] = {f"i{n}": job_id for n, job_id in enumerate(chunk)}
        params["now"] = epoch()
        ids = ", ".join(f":i{n}" for n in range(len(chunk)))
        with write_connection(engine) as conn:
            changed += conn.execute(text(_RETRY.format(ids=ids)), params).rowcount
        if progress is not None:
            progress(start + len(chunk), len(job_ids))
    return changed


def purge_dead(engine: Engine, progress: Progress | None = None) -> int:
    """Delete every dead job, in chunks; returns how many."""
    with engine.connect() as conn:
        total = int(
            conn.execute(text("SELECT COUNT(*) FROM job WHERE state = 'dead'")).scalar_one()
        )
    deleted = 0
    while deleted < total:
        with write_connection(engine) as conn:
            n = conn.execute(
                text(
                    "DELETE FROM job WHERE id IN"
                    " (SELECT id FROM job WHERE state = 'dead' ORDER BY id LIMIT :n)"
                ),
                {"n": CHUNK},
            ).rowcount
        if not n:
            break
        deleted += n
        if progress is not None:
            progress(deleted, total)
    return deleted


def ready_by_kind(engine: Engine, now: float | None = None) -> dict[str, tuple[int, float]]:
    """For each kind with ready jobs: how many, and the age in seconds of the oldest due one
    (0 when none is due yet)."""
    now = epoch() if now is None else now
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT kind, COUNT(*), MIN(CASE WHEN run_at <= :now THEN run_at END)"
                " FROM job WHERE state = 'ready' GROUP BY kind"
            ),
            {"now": now},
        ).all()
    return {str(k): (int(n), max(0.0, now - oldest) if oldest else 0.0) for k, n, oldest in rows}


def open_circuits(engine: Engine, now: float | None = None) -> list[str]:
    """Hosts whose delivery circuit is open now."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT host FROM host_state WHERE open_until > :now ORDER BY host"),
            {"now": epoch() if now is None else now},
        ).all()
    return [str(r[0]) for r in rows]
