"""Delivery: fan-out (audience -> inboxes) and the signed deliver job.

The flow (docs/architecture.md)::

    send()          stores the activity (outbox_activity) and enqueues ONE "fanout" job, in
                    the caller's transaction; nothing is delivered while a request waits
    "fanout" job    expands the audience into distinct inboxes (shared inboxes first) and
                    enqueues one "deliver" job per inbox                   -> fanout.py
    "deliver" job   signs at send time (in batches on signing threads), POSTs, retries with
                    back-off, prunes gone followers, and keeps a per-host circuit breaker
                                          -> deliver.py, signer_threads.py, circuit.py

Usage, from publishing code or an inbox handler::

    with session_scope(node.engine) as session:
        ...
        delivery.send(session, actor, activity, Audience(followers=True))
    node.notify_work()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select, update

from node.activitypub import vocab
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob
from node.federation.outbox.audience import Audience, with_relays
from node.federation.outbox.circuit import HostHealth, HostView
from node.federation.outbox.deliver import deliver, delivery_state, inbox_host, prune_followers
from node.federation.outbox.fanout import DELIVER, FANOUT, deliver_key, fan_out, fanout_key
from node.federation.outbox.policy import CircuitPolicy, DeliveryConfig, parse_retry_after
from node.federation.worker import Outcome, Registry
from node.models import LocalActor, OutboxActivity

__all__ = [
    "DELIVER",
    "FANOUT",
    "Audience",
    "CircuitPolicy",
    "DeliveryConfig",
    "HostHealth",
    "HostView",
    "deliver",
    "deliver_key",
    "delivery_state",
    "fan_out",
    "fanout_key",
    "forward",
    "inbox_host",
    "parse_retry_after",
    "prune_followers",
    "register",
    "send",
]


def send(
    session: Session,
    actor: LocalActor,
    activity: dict[str, Any],
    audience: Audience,
    *,
    public: bool | None = None,
) -> None:
    """Store ``activity`` as sent by ``actor`` and enqueue its one fan-out job.

    Runs in the caller's transaction: the caller commits, then calls ``node.notify_work()``.
    If an activity with this id is already stored, the stored document is what goes out (it is
    not replaced). The fan-out job's dedupe key makes a repeated ``send`` of the same id a
    no-op for as long as the finished job is kept (a week); after that receivers, which dedupe
    by activity id, are the safety net. ``public`` defaults to whether as:Public is in to/cc
    (or audience).
    """
    activity_id = activity.get("id")
    if not isinstance(activity_id, str) or not activity_id:
        raise ValueError("an activity needs a string id to be sent")
    if actor.id is None:
        raise ValueError("the actor must be stored (flushed) before it sends anything")
    stored = session.exec(
        select(OutboxActivity.id).where(OutboxActivity.ap_id == activity_id)
    ).first()
    is_public = vocab.is_public(activity) if public is None else public
    # A public activity is signed in the body too (so relays and networks can forward it), by
    # its fan-out job: never here, inside the caller's write transaction (signing.py).
    if stored is None:
        session.add(_row(activity_id, actor.id, activity, public=is_public))
        session.flush()
        if is_public:  # the outbox's totalItems, kept as rows are added (never removed)
            session.execute(
                update(LocalActor)
                .where(col(LocalActor.id) == actor.id)
                .values(outbox_count=col(LocalActor.outbox_count) + 1)
            )
    audience = with_relays(session, audience)
    jobs.enqueue(
        session.connection(),
        FANOUT,
        {"activity_id": activity_id, "actor_id": actor.id, "audience": audience.to_payload()},
        dedupe_key=fanout_key(activity_id),
    )


def forward(
    session: Session,
    actor: LocalActor,
    key: str,
    activity: dict[str, Any],
    raw: str,
    audience: Audience,
) -> bool:
    """Queue someone else's activity, received as ``raw``, to go out again byte for byte
    (inbox forwarding) under the row id ``key``; False when ``key`` was forwarded already.

    In the caller's transaction, like :func:`send`. The row is never listed in ``actor``'s
    outbox and never signed by us: the body carries its author's own signature.
    """
    if session.exec(select(OutboxActivity.id).where(OutboxActivity.ap_id == key)).first():
        return False
    if actor.id is None:
        raise ValueError("the actor must be stored (flushed) before it forwards anything")
    session.add(_row(key, actor.id, activity, public=False, raw=raw))
    session.flush()
    send(session, actor, {"id": key, "type": activity.get("type")}, audience)
    return True


def _row(
    key: str, actor_id: int, activity: dict[str, Any], *, public: bool, raw: str = ""
) -> OutboxActivity:
    """The outbox row of ``activity`` under ``key``: its type and object id cut to their
    columns' widths (a remote activity's may be anything)."""
    return OutboxActivity(
        ap_id=key,
        actor_id=actor_id,
        type=str(activity.get("type", ""))[:64],
        object_id=_object_id(activity.get("object"))[:2048],
        document=activity,
        raw=raw,
        public=public,
    )


def _object_id(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return ""


def register(registry: Registry, *, config: DeliveryConfig | None = None) -> None:
    """Register the "fanout" and "deliver" job kinds with their retry policies."""
    cfg = config or DeliveryConfig()

    async def run_fanout(node: NodeContext, job: ClaimedJob) -> Outcome:
        return await fan_out(node, job, cfg)

    async def run_deliver(node: NodeContext, job: ClaimedJob) -> Outcome:
        return await deliver(node, job, cfg)

    registry.register(FANOUT, run_fanout, cfg.fanout_policy)
    registry.register(DELIVER, run_deliver, cfg.deliver_policy)
