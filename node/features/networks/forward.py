"""Inbox forwarding: a network passes a member's Update or Delete on to its own followers.

The activity is the member's, so the network cannot sign it as its own; it sends the body
exactly as it arrived (byte for byte), under its own HTTP signature, and the receiver checks
the author's LD signature or integrity proof inside (node/federation/inbox/forwarded.py does so here;
Mastodon and Fedify do the same). The raw body is stored on an ``outbox_activity`` row whose
key is the network's own (``<network>#forward-<hash>``): the original id may already be in our
outbox (a member on this node) or be forwarded by several networks of this node.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session

from node.activitypub.vocab import id_of
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import InboxActivity, LocalActor

# Forwarded bodies are bounded by the inbox (1 MB); the row's type and object id by the table.
_TYPE_MAX, _ID_MAX = 64, 2048


def forward_key(node: NodeContext, network: LocalActor, activity_id: str) -> str:
    """The outbox key of ``activity_id`` forwarded by ``network``."""
    digest = hashlib.sha256(activity_id.encode()).hexdigest()[:40]
    return f"{actor_id(node.urls, network)}#forward-{digest}"


def raw_body(session: Session, inbox_row_id: int) -> str | None:
    """The body of a received activity as it arrived."""
    row = session.get(InboxActivity, inbox_row_id)
    return row.raw if row is not None else None


def forward(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    activity: dict[str, Any],
    raw: str,
    *,
    exclude: tuple[str, ...] = (),
) -> bool:
    """Queue ``raw`` (the received ``activity``) for the network's followers, minus ``exclude``.

    In the caller's transaction. Returns False when this network already forwarded it.
    """

    activity_id = id_of(activity)
    if not activity_id or not raw:
        return False
    key = forward_key(node, network, activity_id)
    audience = delivery.Audience(followers=True, exclude=exclude)
    return delivery.forward(session, network, key, activity, raw, audience)
