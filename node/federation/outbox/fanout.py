"""The fan-out job: expand one activity's audience into distinct inboxes, one deliver job each.

Payload: ``activity_id``, ``actor_id`` (the local actor's database id) and ``audience`` (see
:class:`~node.federation.outbox.audience.Audience`). Followers come first, shared inbox preferred; then
the explicit actors, resolved through the remote actor cache; then explicit inboxes. The list
is de-duplicated in that order, exclusions removed, and the deliver jobs inserted in batches,
each batch its own short write transaction. Every deliver job has the dedupe key
``deliver:{activity_id}:{inbox}``, so a fan-out that crashes half-way and runs again creates
only what is missing. Open circuits are not consulted here: deliver handles them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from node.db import write_connection
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob
from node.federation.outbox.audience import Audience
from node.federation.outbox.deliver import inbox_host
from node.federation.outbox.policy import DeliveryConfig
from node.federation.outbox.signing import sign_stored
from node.federation.policy import federates_with
from node.federation.remote import actors as remote
from node.federation.worker import Done, Fail, Outcome
from node.models import Follower, LocalActor, OutboxActivity

log = logging.getLogger("solnode.delivery")

FANOUT = "fanout"
DELIVER = "deliver"
_MAX_DEDUPE_KEY = 512  # job.dedupe_key is VARCHAR(512)


def dedupe_key(kind: str, *parts: str) -> str:
    """``kind:part:part``; hashed when ids are too long for the job table's 512 characters."""
    key = ":".join((kind, *parts))
    if len(key) <= _MAX_DEDUPE_KEY:
        return key
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"{kind}:sha256:{digest}"


def fanout_key(activity_id: str) -> str:
    """Dedupe key of an activity's one fan-out job."""
    return dedupe_key(FANOUT, activity_id)


def deliver_key(activity_id: str, inbox: str) -> str:
    """Dedupe key of the delivery of an activity to one inbox."""
    return dedupe_key(DELIVER, activity_id, inbox)


async def fan_out(node: NodeContext, job: ClaimedJob, config: DeliveryConfig) -> Outcome:
    """Run one fan-out job."""
    payload = job.payload
    activity_id = str(payload["activity_id"])
    actor_pk = int(payload["actor_id"])
    audience = Audience.from_payload(payload.get("audience") or {})
    excluded = frozenset(audience.exclude)
    found, follower_inboxes = await to_thread.run_sync(
        partial(_stored_and_followers, node.engine, activity_id, actor_pk, audience, excluded)
    )
    if not found:
        return Fail(f"activity {activity_id} or actor {actor_pk} is not stored")
    # Public activities get their body signature here, outside any write transaction.
    await to_thread.run_sync(sign_stored, node.engine, activity_id)
    actors = [a for a in dict.fromkeys(audience.actors) if a not in excluded]
    # Followers-only or public posts that also name actors go to shared inboxes, where they
    # merge with the followers'; activities addressed to actors alone (Follow, Accept, a
    # direct message) go to personal inboxes, as Mastodon sends them.
    actor_inboxes = await _resolve(node, actors, shared=audience.followers, config=config)
    inboxes = [
        inbox
        for inbox in dict.fromkeys([*follower_inboxes, *actor_inboxes, *audience.inboxes])
        if inbox and inbox not in excluded and federates_with(node, inbox_host(inbox) or "")
    ]
    created = await to_thread.run_sync(
        partial(
            _enqueue_deliveries,
            node.engine,
            activity_id,
            actor_pk,
            inboxes,
            config,
            # Each committed batch wakes the worker (thread-safe), so the first deliveries go
            # out while the rest are still being written.
            on_batch=node.notify_work,
        )
    )
    log.info(
        "fan-out of %s: %d inbox(es), %d new deliver job(s)", activity_id, len(inboxes), created
    )
    return Done()


def _stored_and_followers(
    engine: Engine, activity_id: str, actor_pk: int, audience: Audience, excluded: frozenset[str]
) -> tuple[bool, list[str]]:
    with Session(engine) as session:
        stored = session.exec(
            select(OutboxActivity.id).where(OutboxActivity.ap_id == activity_id)
        ).first()
        if stored is None or session.get(LocalActor, actor_pk) is None:
            return False, []
        if not audience.followers:
            return True, []
        rows = session.exec(
            select(Follower.remote_id, Follower.inbox, Follower.shared_inbox)
            .where(Follower.actor_id == actor_pk, Follower.state == "accepted")
            .order_by(col(Follower.id))
        ).all()
    # An excluded actor loses only its own row: its shared inbox may still serve others.
    return True, [shared or inbox for remote_id, inbox, shared in rows if remote_id not in excluded]


async def _resolve(
    node: NodeContext, actor_ids: Sequence[str], *, shared: bool, config: DeliveryConfig
) -> list[str]:
    """Inboxes of explicitly addressed actors; one that cannot be resolved is logged, skipped."""
    if not actor_ids:
        return []
    # Imported here: the remote actor cache is a sibling that depends on much of the node.

    gate = asyncio.Semaphore(max(1, config.resolve_concurrency))

    async def one(actor_id: str) -> str | None:
        async with gate:
            try:
                actor = await remote.get_remote_actor(node, actor_id)
                return remote.inbox_for(actor, shared=shared) or None
            except Exception as exc:  # one bad recipient must not sink the whole fan-out
                reason = getattr(exc, "reason", type(exc).__name__)
                log.warning("fan-out: skipping %s, not resolvable (%s: %s)", actor_id, reason, exc)
                return None

    found = await asyncio.gather(*(one(a) for a in actor_ids))
    return [inbox for inbox in found if inbox]


def _enqueue_deliveries(
    engine: Engine,
    activity_id: str,
    actor_pk: int,
    inboxes: Sequence[str],
    config: DeliveryConfig,
    *,
    on_batch: Callable[[], None] | None = None,
) -> int:
    created = 0
    size = max(1, config.enqueue_batch)
    for start in range(0, len(inboxes), size):
        with write_connection(engine) as conn:
            new = jobs.enqueue_many(
                conn,
                DELIVER,
                _deliver_jobs(activity_id, actor_pk, inboxes[start : start + size]),
                host_of=_host_of,
            )
        created += new
        if new and on_batch is not None:
            on_batch()
    return created


def _host_of(payload: Mapping[str, object]) -> str | None:
    host = inbox_host(str(payload["inbox"]))
    return host[:255] if host else None


def _deliver_jobs(
    activity_id: str, actor_pk: int, inboxes: Iterable[str]
) -> Iterable[tuple[dict[str, object], str]]:
    for inbox in inboxes:
        payload = {"activity_id": activity_id, "actor_id": actor_pk, "inbox": inbox}
        yield payload, deliver_key(activity_id, inbox)
