"""The ``inbox`` job: dispatch a stored activity on (type, target) and record the result."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import orjson
from anyio import to_thread
from sqlalchemy import Boolean, DateTime, bindparam, text
from sqlmodel import Session

from node.activitypub.vocab import primary_types
from node.db import now_utc, read_session, write_connection
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Dispatcher, Incoming
from node.federation.inbox.targets import resolve_target
from node.federation.jobs import ClaimedJob, RetryPolicy, StatementRecord
from node.federation.remote.actors import RemoteActorError
from node.federation.worker import Done, Fail, Outcome, Registry, Retry

log = logging.getLogger("solnode.inbox")

# Remote fetches while processing may fail for a while; a few retries over ~an hour suffice.
INBOX_POLICY = RetryPolicy(base=10, factor=3, cap=1800, max_attempts=6)


# The row's columns, not an ORM object: nothing here writes it back (its result is written
# with the job's completion, FINISH below).
LOAD = text("SELECT raw, activity_id, type, actor, recipient FROM inbox_activity WHERE id = :id")
# The rows of several jobs claimed together (prepare_batch).
LOAD_MANY = text(
    "SELECT raw, activity_id, type, actor, recipient, id FROM inbox_activity WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _incoming(node: NodeContext, session: Session, row_id: int, row: Any) -> Incoming:
    raw, activity_id, kind, actor, recipient = row[:5]
    # handlers compare `type` with sets of names: a list of types must not crash them
    activity = primary_types(orjson.loads(raw))
    return Incoming(
        node=node,
        activity=activity,
        activity_id=activity_id,
        type=kind,
        actor=actor,
        recipient=recipient,
        inbox_row_id=row_id,
        target=resolve_target(node, session, activity),
    )


def _load(node: NodeContext, row_id: int, dispatcher: Dispatcher) -> Incoming | None:
    # Reads only: on PostgreSQL no BEGIN and no closing ROLLBACK (db.read_session).
    with read_session(node.engine) as session:
        row = session.connection().execute(LOAD, {"id": row_id}).first()
        if row is None:
            return None
        return dispatcher.prepared(session, _incoming(node, session, row_id, row))


def _load_many(node: NodeContext, row_ids: list[int], dispatcher: Dispatcher) -> list[Incoming]:
    """The activities of these rows with their targets and what their preparers read, in one
    read-only session. A row that is gone, or that fails to parse or prepare, is left out:
    its job loads it alone and fails or retries alone, as it would have."""
    loaded = []
    with read_session(node.engine) as session:
        for row in session.connection().execute(LOAD_MANY, {"ids": row_ids}).all():
            try:
                loaded.append(_incoming(node, session, row.id, row))
            except Exception as exc:
                log.info("inbox activity %s left to run alone: %r", row.id, exc)
        return dispatcher.prepared_many(session, _apart_from_their_senders_moves(loaded))


def _apart_from_their_senders_moves(loaded: list[Incoming]) -> list[Incoming]:
    """``loaded`` without the Creates whose sender has something else in the same batch (a
    Join, an Accept, an Undo...): planned here, before any handler runs, a member's first post
    claimed with its admission would always be planned as a stranger's. Left out, such a Create
    is prepared when its job runs, as every job was before batches."""
    movers = {msg.actor for msg in loaded if msg.type != "Create"}
    return [msg for msg in loaded if msg.type != "Create" or msg.actor not in movers]


async def prepare_batch(
    node: NodeContext, claimed: list[ClaimedJob], dispatcher: Dispatcher
) -> dict[int, Incoming]:
    """Job id -> its activity, loaded and prepared with the others in ONE thread hop."""
    by_row: dict[int, int] = {}
    for job in claimed:
        row_id = job.payload.get("inbox_id")
        if isinstance(row_id, int):
            by_row[row_id] = job.id
    msgs = await to_thread.run_sync(_load_many, node, list(by_row), dispatcher)
    return {by_row[msg.inbox_row_id]: msg for msg in msgs}


async def process_inbox_job(node: NodeContext, job: ClaimedJob, dispatcher: Dispatcher) -> Outcome:
    """Dispatch the stored activity on (type, target) and record what was done."""
    row_id = int(job.payload["inbox_id"])
    msg = job.prepared if isinstance(job.prepared, Incoming) else None
    if msg is None:
        msg = await to_thread.run_sync(_load, node, row_id, dispatcher)
    if msg is None:
        return Fail(f"inbox activity {row_id} no longer exists")
    if msg.type not in dispatcher.types:
        result = f"stored: no handler for {msg.type}"
    else:
        try:
            result = await dispatcher.dispatch(msg)
        except RemoteActorError as exc:
            if exc.reason in {
                "gone",
                "not_found",
                "bad_document",
                "id_mismatch",
                "not_an_actor",
                "blocked_domain",
            }:
                result = f"dropped: {exc}"
            else:
                return Retry(f"remote actor unavailable: {exc}")

    # A type nothing here acts on keeps its id only (dedupe), never its body.
    keep_body = msg.type in dispatcher.types

    if sweep_due(node):
        await to_thread.run_sync(expire_bodies_now_and_then, node)
    # written with the job's completion (Done.record): no transaction of its own
    return Done(record=result_record(row_id, result[:500], keep_body))


def result_record(row_id: int, result: str, keep_body: bool) -> StatementRecord:
    """What the job did, on the inbox row: processed now, with this result (the body blanked
    when nothing here acts on the activity's type). Written with the job's completion, with
    the results of the other inbox jobs settled with it in one statement (PostgreSQL,
    ``FINISH_MANY``) or one ``executemany`` (SQLite)."""
    params = {"id": row_id, "at": now_utc(), "result": result, "keep": keep_body}
    return StatementRecord(FINISH, params, FINISH_MANY)


# One statement, not an ORM load and flush (two round trips a job, py-spy on the worker).
FINISH = text(
    "UPDATE inbox_activity SET processed_at = :at, result = :result,"
    " raw = CASE WHEN :keep THEN raw ELSE '' END WHERE id = :id"
).bindparams(bindparam("at", type_=DateTime(timezone=True)), bindparam("keep", type_=Boolean()))

FINISH_MANY = text(
    "UPDATE inbox_activity SET processed_at = v.at, result = v.result,"
    " raw = CASE WHEN v.keep THEN inbox_activity.raw ELSE '' END"
    " FROM json_to_recordset(CAST(:rows AS json))"
    " AS v(id bigint, at timestamptz, result varchar, keep boolean)"
    " WHERE inbox_activity.id = v.id"
)


# How often (per process, i.e. per NodeContext) the inbox job blanks expired bodies: the sweep
# runs where new bodies come from, so storage grows only with traffic and is trimmed by it.
EXPIRY_INTERVAL = 3600.0
# The sweep walks the table by id, EXPIRY_CHUNK rows a step: the ids are found by reads, which
# never wait for a writer nor hold one back, and each step blanks its rows in a transaction of
# its own. One UPDATE over the whole table held SQLite's write lock 0.22 s at 1M rows with
# nothing to blank and 0.75 s with 10,000 bodies (every inbox POST waited that long); a step
# holds it ~5 ms (docs/benchmarks.md).
EXPIRY_CHUNK = 500
EXPIRED_AFTER = text(
    "SELECT id FROM inbox_activity WHERE id > :after AND processed_at < :cutoff AND raw != ''"
    " ORDER BY id LIMIT :limit"
).bindparams(bindparam("cutoff", type_=DateTime(timezone=True)))
BLANK_BODIES = text(
    "UPDATE inbox_activity SET raw = '' WHERE id IN :ids AND processed_at < :cutoff AND raw != ''"
).bindparams(bindparam("ids", expanding=True), bindparam("cutoff", type_=DateTime(timezone=True)))


def sweep_due(node: NodeContext) -> bool:
    """Whether this process's next sweep of expired bodies is due (checked before a thread hop
    that, most jobs, would find nothing to do)."""
    last = node.inbox_swept_at
    return last is None or time.monotonic() - last >= EXPIRY_INTERVAL


def expire_bodies_now_and_then(node: NodeContext) -> int:
    """Blank bodies processed more than ``SOLNODE_INBOX_RETENTION_DAYS`` ago, at most once per
    ``EXPIRY_INTERVAL``; the rows and their activity ids stay, so replays are still duplicates."""
    if not sweep_due(node):
        return 0
    node.inbox_swept_at = time.monotonic()
    return expire_bodies(node)


def expire_bodies(node: NodeContext, chunk: int = EXPIRY_CHUNK) -> int:
    """Blank every body processed more than the retention period ago; how many were. A walk
    by id in steps of ``chunk`` rows, each step's write a short transaction of its own."""
    cutoff = now_utc() - timedelta(days=node.settings.inbox_retention_days)
    expired, after, steps = 0, 0, 0
    while True:
        with read_session(node.engine) as session:  # no transaction to open on PostgreSQL
            params = {"after": after, "cutoff": cutoff, "limit": chunk}
            ids = list(session.connection().execute(EXPIRED_AFTER, params).scalars())
        if not ids:
            break
        with write_connection(node.engine) as conn:
            expired += conn.execute(BLANK_BODIES, {"ids": ids, "cutoff": cutoff}).rowcount
        after, steps = ids[-1], steps + 1
    if expired:
        log.info(
            "inbox retention: blanked %d bodies processed before %s (%d steps)",
            expired,
            cutoff,
            steps,
        )
    return expired


def register(registry: Registry, dispatcher: Dispatcher) -> None:
    """Register the inbox job kind, dispatching through ``dispatcher``."""

    async def run(node: NodeContext, job: ClaimedJob) -> Outcome:
        return await process_inbox_job(node, job, dispatcher)

    async def batch(node: NodeContext, claimed: list[ClaimedJob]) -> dict[int, Incoming]:
        return await prepare_batch(node, claimed, dispatcher)

    registry.register("inbox", run, INBOX_POLICY, batch)
