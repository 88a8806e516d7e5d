"""When a network admits a member, it files the member's recent public posts, so the new member
shows up in the network's timeline and calendar at once instead of only from its next post."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select

from node.activitypub.vocab import id_of, is_public
from node.features.networks.aggregation import MEMBER
from node.features.networks.filing import Arrival, file_item
from node.federation.context import NodeContext
from node.federation.remote import actors as remote
from node.models import LocalActor, OutboxActivity

log = logging.getLogger("solnode.networks")

RECENT = 20  # how many of a new member's latest posts a network files


async def backfill(node: NodeContext, network: LocalActor, member: str) -> int:
    """File up to RECENT recent public posts of ``member``; returns how many were new."""
    try:
        creates = await _recent_creates(node, member)
    except Exception as exc:  # an unreachable outbox only means no backfill
        log.info("no backfill from %s: %s", member, exc)
        return 0
    assert network.id is not None
    arrivals = [
        Arrival(network.id, obj, member, "", MEMBER)
        for obj in (_own_public_object(c, member) for c in creates)
        if obj is not None
    ]
    filed = 0
    for arrival in arrivals:
        result = await to_thread.run_sync(file_item, node, arrival)
        filed += "already has it" not in result and "gone" not in result
    return filed


def _own_public_object(activity: Any, member: str) -> dict[str, Any] | None:
    if not isinstance(activity, dict) or activity.get("type") != "Create":
        return None
    obj = activity.get("object")
    if not isinstance(obj, dict) or not id_of(obj) or obj.get("inReplyTo"):
        return None
    author = id_of(obj.get("attributedTo")) or id_of(activity.get("actor"))
    if author != member or not (is_public(obj) or is_public(activity)):
        return None
    return obj


async def _recent_creates(node: NodeContext, member: str) -> list[Any]:
    local_prefix = node.urls.actor("")
    if member.startswith(local_prefix):
        slug = member[len(local_prefix) :]
        return await to_thread.run_sync(_local_creates, node, slug)

    actor = await remote.get_remote_actor(node, member)
    outbox = actor.document.get("outbox")
    if not isinstance(outbox, str):
        return []
    collection = await remote.fetch_object(node, outbox)
    page: Any = collection.get("first")
    if isinstance(page, str):
        page = await remote.fetch_object(node, page)
    items = (page if isinstance(page, dict) else collection).get("orderedItems") or []
    return list(items)[:RECENT] if isinstance(items, list) else []


def _local_creates(node: NodeContext, slug: str) -> list[Any]:
    with Session(node.engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == slug)).first()
        if actor is None:
            return []
        rows = session.exec(
            select(OutboxActivity.document)
            .where(
                OutboxActivity.actor_id == actor.id,
                OutboxActivity.type == "Create",
                col(OutboxActivity.public).is_(True),
            )
            .order_by(col(OutboxActivity.published).desc())
            .limit(RECENT)
        ).all()
    return list(rows)
