"""Group commit of inbox rows: POSTs verified within a few milliseconds share one transaction.

Each verified POST hands its row to its process's ``InboxBatch`` and waits. The batch is written
``BATCH_WINDOW`` after its first row (at once when it holds ``MAX_BATCH``) in one transaction:
the raw activity and its inbox job per row, a row whose activity id is already stored (or whose
created object was deleted) left out. Only after COMMIT does each waiter learn whether its row
was new, so a 202 is never sent for a row that could still be lost. Should the transaction fail
as a whole, each row is written again on its own, so one bad row fails alone.

On SQLite the write runs on the event loop, as the single-row write did; on PostgreSQL in
anyio's threads, several batches at once. A writer thread for SQLite was built and measured
(2026-12-07, docs/benchmarks.md, Inbox): on a quiet machine the loop's thread gained nothing,
the process spent 30-40% more CPU a request and the rate fell by a sixth (the writer drops and
takes back the GIL at every statement, and the hand-offs cost more than the overlap gives).
``close`` (the app's lifespan) writes the rows still waiting and waits for the batches being
written: nothing answered is lost, and no row handed over is dropped; a row handed over after
it raises ``BatchClosed``, answered 503 with Retry-After (receive.py). BEGIN, COMMIT and the
connection checkout were most of the per-row cost on SQLite.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine, Table, bindparam, text
from sqlalchemy.sql.dml import Insert

from node.db import is_sqlite, write_connection
from node.federation import jobs
from node.models import InboxActivity, Job

BATCH_WINDOW = 0.002  # seconds a batch waits for company after its first row
MAX_BATCH = 256

# A duplicate activity id inserts nothing and returns no id: no exception, so the other rows
# of the batch go on.
INSERT_NEW = (
    "INSERT INTO inbox_activity (activity_id, type, actor, recipient, raw, signer, verified_by,"
    " received_at, result) VALUES (:activity_id, :type, :actor, :recipient, :raw, :signer,"
    " :verified_by, :received_at, :result) ON CONFLICT (activity_id) DO NOTHING RETURNING id"
)
TOMBSTONES = text("SELECT ap_id FROM tombstone WHERE ap_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_ACTIVITY: Table = InboxActivity.__table__  # type: ignore[attr-defined]
_JOB: Table = Job.__table__  # type: ignore[attr-defined]


@cache
def _many_inserts(dialect: str) -> tuple[Insert, Insert]:
    """The two Core INSERTs of a batch, run with a list of rows: SQLAlchemy's
    "insertmanyvalues" sends each as one INSERT ... VALUES (...), (...) ... RETURNING, compiled
    once. (The jobs' RETURNING is there for that alone: without one, the rows go to the
    driver's executemany, a statement each.)"""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # lazy: one dialect's

        insert: Callable[[Table], Any] = sqlite_insert
    else:
        # PostgreSQL's dialect package (its drivers' modules with it) is ~2 MiB of a SQLite
        # node's memory, and nothing else on SQLite loads it
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # lazy: see above

        insert = pg_insert
    activities = (
        insert(_ACTIVITY)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(_ACTIVITY.c.activity_id, _ACTIVITY.c.id)
    )
    job_rows = insert(_JOB).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return activities, job_rows.returning(_JOB.c.id)


SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite


@dataclass(frozen=True, slots=True)
class Row:
    """One verified activity to store: the inbox_activity columns, and the object a Create
    makes (a deleted id never comes back)."""

    values: dict[str, Any]
    created_object: str | None


# Writes one row alone: True if new, False if a duplicate (receive.store).
SingleWrite = Callable[[Row], bool]


class BatchClosed(RuntimeError):
    """A row handed over after :meth:`InboxBatch.close`: the node is shutting down."""


class InboxBatch:
    """The rows waiting for the next group commit in this process, and the batches being
    written. ``close`` (the app's lifespan) writes what is left."""

    def __init__(self, engine: Engine, write_one: SingleWrite) -> None:
        self.engine = engine
        self.write_one = write_one
        self.sqlite = is_sqlite(engine)
        self.pending: list[tuple[Row, asyncio.Future[bool]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.writes: set[asyncio.Task[list[Any]]] = set()  # PostgreSQL: batches in a thread
        self.closed = False

    async def store(self, row: Row) -> bool:
        """Store ``row`` with the next batch: True once committed as new, False if a duplicate."""
        if self.closed:
            raise BatchClosed("the inbox batch is closed: the node is shutting down")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self.pending.append((row, done))
        if len(self.pending) >= MAX_BATCH:
            self._flush()
        elif self.timer is None:
            self.timer = loop.call_later(BATCH_WINDOW, self._flush)
        # shielded: a client that hangs up does not take its row out of a batch being written
        return await asyncio.shield(done)

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
        if not batch:
            return
        if self.sqlite:
            _settle(batch, self._write(batch))
        else:
            task = asyncio.get_running_loop().create_task(self._write_in_thread(batch))
            self.writes.add(task)
            task.add_done_callback(self.writes.discard)
            task.add_done_callback(lambda t: _settle(batch, _outcome(t)))

    async def close(self) -> None:
        """Write every row still waiting (a row whose client hung up included) and wait for
        the batches being written. A row stored after this is refused."""
        self.closed = True
        while self.pending or self.writes:
            self._flush()
            if self.writes:
                await asyncio.wait(set(self.writes))

    async def _write_in_thread(self, batch: list[tuple[Row, asyncio.Future[bool]]]) -> list[Any]:
        return await to_thread.run_sync(self._write, batch)

    def _write(self, batch: list[tuple[Row, asyncio.Future[bool]]]) -> list[Any]:
        rows = [row for row, _ in batch]
        try:
            return list(
                write_sqlite(self.engine, rows) if self.sqlite else write_core(self.engine, rows)
            )
        except Exception:
            return [_one(self.write_one, row) for row in rows]


def _outcome(task: asyncio.Task[list[Any]]) -> list[Any] | BaseException:
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception() or task.result()


def _one(write_one: SingleWrite, row: Row) -> bool | BaseException:
    try:
        return write_one(row)
    except Exception as exc:
        return exc


def _settle(
    batch: list[tuple[Row, asyncio.Future[bool]]], results: list[Any] | BaseException
) -> None:
    for i, (_, done) in enumerate(batch):
        if done.done():
            continue
        result = results if isinstance(results, BaseException) else results[i]
        if isinstance(result, asyncio.CancelledError):  # the loop is shutting down
            done.cancel()
        elif isinstance(result, BaseException):
            done.set_exception(result)
        else:
            done.set_result(bool(result))


def write_sqlite(engine: Engine, rows: list[Row]) -> list[bool]:
    """The batch in one SQLite transaction through the bare driver (SQLAlchemy's per-statement
    machinery cost more than the inserts). The pooled connection is in autocommit mode
    (node/db.py), so BEGIN IMMEDIATE takes the write lock here."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            gone = _tombstoned(cur, {r.created_object for r in rows if r.created_object})
            results = []
            for row in rows:
                if row.created_object in gone:
                    results.append(False)
                    continue
                params = {
                    **row.values,
                    "received_at": row.values["received_at"].strftime(SQLITE_TIME),
                }
                found = cur.execute(INSERT_NEW, params).fetchone()
                if found is None:
                    results.append(False)
                    continue
                job = jobs.job_row("inbox", {"inbox_id": found[0]}, f"inbox:{found[0]}", now, now)
                cur.execute(jobs.INSERT_SQLITE, job)
                results.append(True)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
    finally:
        raw.close()
    return results


def _tombstoned(cur: Any, created: set[str]) -> set[str]:
    """Which of ``created`` were deleted: one statement for the batch, not one a Create."""
    if not created:
        return set()
    ids = list(created)
    marks = ", ".join("?" * len(ids))
    query = f"SELECT ap_id FROM tombstone WHERE ap_id IN ({marks})"  # noqa: S608 - marks only
    return {found for (found,) in cur.execute(query, ids).fetchall()}


def _inbox_job(inbox_id: int, now: float) -> dict[str, Any]:
    return {
        "kind": "inbox",
        "payload": {"inbox_id": inbox_id},
        "dedupe_key": f"inbox:{inbox_id}",
        "state": "ready",
        "run_at": now,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
    }


def write_core(engine: Engine, rows: list[Row]) -> list[bool]:
    """The batch in one transaction with SQLAlchemy Core (PostgreSQL; on SQLite the bare driver's
    ``write_sqlite`` is cheaper, but this runs there too): three statements whatever
    its size - the tombstones of the objects it creates, one multi-row INSERT of the activities
    (``ON CONFLICT DO NOTHING RETURNING``: the new ones name themselves), one of their jobs.
    A statement a row cost a round trip each and was most of the batch's time (bench_inbox.py).
    Of an id sent twice in one batch, the first is stored and the second is a duplicate."""
    insert_activities, insert_jobs = _many_inserts(engine.dialect.name)
    results = [False] * len(rows)
    created = {row.created_object for row in rows if row.created_object is not None}
    with write_connection(engine) as conn:
        gone = set(conn.execute(TOMBSTONES, {"ids": list(created)}).scalars()) if created else set()
        first: dict[str, int] = {}  # activity id -> the row that may store it
        for i, row in enumerate(rows):
            if row.created_object not in gone:
                first.setdefault(row.values["activity_id"], i)
        if not first:
            return results
        inserted = conn.execute(insert_activities, [rows[i].values for i in first.values()])
        new: dict[str, int] = {activity_id: new_id for activity_id, new_id in inserted}
        if new:
            now = time.time()
            conn.execute(insert_jobs, [_inbox_job(n, now) for n in new.values()])
    for activity_id, i in first.items():
        results[i] = activity_id in new
    return results
