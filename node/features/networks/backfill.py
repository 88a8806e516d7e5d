"""When a network admits a member, it files the member's recent public posts, so the new member
shows up in the network's timeline and calendar at once instead of only from its next post."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select

from node.activitypub import bounds
from node.activitypub.addressing import is_http_url, origin
from node.activitypub.vocab import Object, id_of, is_public
from node.features.networks.aggregation import NOT_CONTENT
from node.features.networks.filing import Arrival, file_item
from node.features.networks.sources import MEMBER
from node.federation.context import NodeContext
from node.federation.remote import actors as remote
from node.federation.remote.fetch import is_local
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
        for obj in (_own_public_object(node, c, member) for c in creates)
        if obj is not None
    ]
    filed = 0
    for arrival in arrivals:
        result = await to_thread.run_sync(file_item, node, arrival)
        filed += "already has it" not in result and "gone" not in result
    return filed


def _own_public_object(node: NodeContext, activity: Any, member: str) -> dict[str, Any] | None:
    """The inbox's rules: bounded, content (not an activity or actor), its id an http(s) URL on
    the member's own origin - never another server's object, and never one of ours."""
    if not isinstance(activity, dict) or activity.get("type") != "Create":
        return None
    obj = activity.get("object")
    if not isinstance(obj, dict) or obj.get("inReplyTo") or bounds.check(obj) is not None:
        return None
    ident = id_of(obj)
    if not ident or not is_http_url(ident) or origin(ident) != origin(member):
        return None
    if is_local(node, ident) != is_local(node, member) or Object(obj).has_type(*NOT_CONTENT):
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
    if not isinstance(outbox, str) or not _on_origin(outbox, member):
        return []  # an outbox elsewhere would let the member speak for another server
    collection = await remote.fetch_object(node, outbox)
    page: Any = collection.get("first")
    if isinstance(page, str):
        if not _on_origin(page, member):
            return []
        page = await remote.fetch_object(node, page)
    items = (page if isinstance(page, dict) else collection).get("orderedItems") or []
    return list(items)[:RECENT] if isinstance(items, list) else []


def _on_origin(url: Any, member: str) -> bool:
    return is_http_url(url) and origin(url) == origin(member)


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
