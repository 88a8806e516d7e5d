"""The ``inbox`` job: dispatch a stored activity to the one handler for its type."""

from __future__ import annotations

import logging

import orjson
from anyio import to_thread
from sqlmodel import Session

from node.activitypub.vocab import primary_types
from node.context import NodeContext
from node.db import now_utc, session_scope
from node.features.follows import handlers as follows
from node.features.interactions import handlers as objects
from node.features.moderation import flags
from node.features.networks import handlers as network_handlers
from node.features.participation import handlers as participation
from node.federation.inbox.dispatch import HandlerRegistry, Incoming
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.worker import Done, Fail, Outcome, Registry, Retry
from node.models import InboxActivity

log = logging.getLogger("solnode.inbox")

# Remote fetches while processing may fail for a while; a few retries over ~an hour suffice.
INBOX_POLICY = RetryPolicy(base=10, factor=3, cap=1800, max_attempts=6)


def build_handlers() -> HandlerRegistry:
    """Every activity handler of the node, in one table."""
    registry = HandlerRegistry()
    follows.register(registry)
    objects.register(registry)
    flags.register(registry)
    participation.register(registry)
    network_handlers.register(registry)
    return registry


async def process_inbox_job(node: NodeContext, job: ClaimedJob) -> Outcome:
    """Run the handler of the stored activity and record what it did."""
    from node.federation.remote.actors import RemoteActorError

    row_id = int(job.payload["inbox_id"])

    def load() -> InboxActivity | None:
        with Session(node.engine) as session:
            return session.get(InboxActivity, row_id)

    row = await to_thread.run_sync(load)
    if row is None:
        return Fail(f"inbox activity {row_id} no longer exists")
    if "inbox_handlers" not in node.cache:
        node.cache["inbox_handlers"] = build_handlers()
    handlers: HandlerRegistry = node.cache["inbox_handlers"]
    handler = handlers.get(row.type)
    if handler is None:
        result = f"stored: no handler for {row.type}"
    else:
        msg = Incoming(
            node=node,
            # handlers compare `type` with sets of names: a list of types must not crash them
            activity=primary_types(orjson.loads(row.raw)),
            activity_id=row.activity_id,
            type=row.type,
            actor=row.actor,
            recipient=row.recipient,
            inbox_row_id=row_id,
        )
        try:
            result = await handler(msg)
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


def register(registry: Registry) -> None:
    """Register the inbox job kind."""
    registry.register("inbox", process_inbox_job, INBOX_POLICY)
