"""The ``inbox`` job: dispatch a stored activity on (type, target) and record the result."""

from __future__ import annotations

import logging

import orjson
from anyio import to_thread
from sqlmodel import Session

from node.activitypub.vocab import primary_types
from node.db import now_utc, session_scope
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Dispatcher, Incoming
from node.federation.inbox.targets import resolve_target
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.remote.actors import RemoteActorError
from node.federation.worker import Done, Fail, Outcome, Registry, Retry
from node.models import InboxActivity

log = logging.getLogger("solnode.inbox")

# Remote fetches while processing may fail for a while; a few retries over ~an hour suffice.
INBOX_POLICY = RetryPolicy(base=10, factor=3, cap=1800, max_attempts=6)


def _load(node: NodeContext, row_id: int) -> Incoming | None:
    with Session(node.engine) as session:
        row = session.get(InboxActivity, row_id)
        if row is None:
            return None
        # handlers compare `type` with sets of names: a list of types must not crash them
        activity = primary_types(orjson.loads(row.raw))
        return Incoming(
            node=node,
            activity=activity,
            activity_id=row.activity_id,
            type=row.type,
            actor=row.actor,
            recipient=row.recipient,
            inbox_row_id=row_id,
            target=resolve_target(node, session, activity),
        )


async def process_inbox_job(node: NodeContext, job: ClaimedJob, dispatcher: Dispatcher) -> Outcome:
    """Dispatch the stored activity on (type, target) and record what was done."""
    row_id = int(job.payload["inbox_id"])
    msg = await to_thread.run_sync(_load, node, row_id)
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

    def finish() -> None:
        with session_scope(node.engine) as session:
            stored = session.get(InboxActivity, row_id)
            if stored is not None:
                stored.processed_at = now_utc()
                stored.result = result[:500]
                session.add(stored)

    await to_thread.run_sync(finish)
    return Done()


def register(registry: Registry, dispatcher: Dispatcher) -> None:
    """Register the inbox job kind, dispatching through ``dispatcher``."""

    async def run(node: NodeContext, job: ClaimedJob) -> Outcome:
        return await process_inbox_job(node, job, dispatcher)

    registry.register("inbox", run, INBOX_POLICY)
