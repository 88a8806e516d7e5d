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
from typing import Any

import orjson
from anyio import to_thread
from sqlalchemy import Engine

from node.db import is_sqlite
from node.federation import jobs

BATCH_WINDOW = 0.002  # seconds a batch waits for company after its first row
MAX_BATCH = 256

# A duplicate activity id inserts nothing and returns no id: no exception, so the other rows
# of the batch go on.
INSERT_NEW = (
    "INSERT INTO inbox_activity (activity_id, type, actor, recipient, raw, signer, verified_by,"
    " received_at, result) VALUES (:activity_id, :type, :actor, :recipient, :raw, :signer,"
    " :verified_by, :received_at, :result) ON CONFLICT (activity_id) DO NOTHING RETURNING id"
)
# PostgreSQL's batch in one statement, the same text whatever its size (so psycopg prepares it
# after a few batches and the server stops parsing and planning it): the rows come as one JSON
# array (orjson writes it in C; psycopg dumped a Python list a column item by item in Python,
# ~70 us a row, bench_inbox's store step); those creating a deleted object are dropped; the new
# activities name themselves (ON CONFLICT DO NOTHING RETURNING) and their jobs are inserted
# from that list.
WRITE_POSTGRESQL = """
WITH given AS (
  SELECT * FROM json_to_recordset(%(rows)s::json) AS g(
    activity_id varchar, type varchar, actor varchar, recipient varchar, raw text,
    signer varchar, verified_by varchar, received_at timestamptz, result varchar,
    created varchar)
  WHERE g.created IS NULL OR NOT EXISTS (SELECT 1 FROM tombstone t WHERE t.ap_id = g.created)
), new AS (
  INSERT INTO inbox_activity (activity_id, type, actor, recipient, raw, signer, verified_by,
                              received_at, result)
  SELECT activity_id, type, actor, recipient, raw, signer, verified_by, received_at, result
  FROM given
  ON CONFLICT (activity_id) DO NOTHING
  RETURNING id, activity_id
), queued AS (
  INSERT INTO job (kind, payload, dedupe_key, state, run_at, attempts, last_error, created_at)
  SELECT 'inbox', json_build_object('inbox_id', id), 'inbox:' || id, 'ready', %(now)s, 0, '',
         %(now)s
  FROM new
  ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT activity_id, id FROM new
"""
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
                write_sqlite(self.engine, rows)
                if self.sqlite
                else write_postgresql(self.engine, rows)
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


def write_postgresql(engine: Engine, rows: list[Row]) -> list[bool]:
    """The batch as one statement (``WRITE_POSTGRESQL``) through the bare driver, in
    autocommit: a single statement is its own transaction, all or nothing, so a batch costs one
    round trip. Before: BEGIN, three statements (the tombstones, a multi-row INSERT of the
    activities and one of their jobs, each of a new text for each batch size), COMMIT: five
    round trips, parsed and planned every time. Of an id sent twice in one batch, the first is
    stored and the second is a duplicate."""
    first: dict[str, int] = {}  # activity id -> the row that may store it
    for i, row in enumerate(rows):
        first.setdefault(row.values["activity_id"], i)
    kept = [rows[i] for i in first.values()]
    given = [{**row.values, "created": row.created_object} for row in kept]
    params = {"rows": orjson.dumps(given).decode(), "now": time.time()}
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        driver.autocommit = True
        try:
            with driver.cursor() as cur:
                new = dict(cur.execute(WRITE_POSTGRESQL, params).fetchall())
        finally:
            driver.autocommit = False
    finally:
        raw.close()
    results = [False] * len(rows)
    for activity_id, i in first.items():
        results[i] = activity_id in new
    return results
