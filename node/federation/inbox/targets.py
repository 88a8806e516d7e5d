"""What an incoming activity is about, resolved once before dispatch (see dispatch.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from node.activitypub.vocab import id_of
from node.federation.context import NodeContext
from node.federation.inbox.common import local_actor_by_id, local_item
from node.federation.inbox.dispatch import Target
from node.models import Following
from node.models.networks import OutgoingMembership, Relay


def resolve_target(node: NodeContext, session: Session, activity: dict[str, Any]) -> Target:
    """The :class:`Target` of ``activity``'s object (by id, or by the shape of an embedded
    answer to one of our activities whose id the other server re-minted)."""
    obj = activity.get("object")
    ref = id_of(obj)
    if ref is not None:
        actor = local_actor_by_id(node, session, ref)
        if actor is not None:
            return Target.NETWORK if actor.kind == "network" else Target.ACTOR
        item = local_item(session, ref)
        if item is not None:
            return Target.EVENT if item.kind == "event" else Target.ITEM
        ours = _our_activity(session, ref)
        if ours is not None:
            return ours
    return _reminted_answer(node, session, obj, activity.get("actor"))


def _our_activity(session: Session, ref: str) -> Target | None:
    if session.exec(select(Relay.id).where(Relay.follow_id == ref)).first() is not None:
        return Target.OUR_RELAY_FOLLOW
    joined = session.exec(
        select(OutgoingMembership.id).where(OutgoingMembership.join_id == ref)
    ).first()
    if joined is not None:
        return Target.OUR_JOIN
    if session.exec(select(Following.id).where(Following.follow_id == ref)).first() is not None:
        return Target.OUR_FOLLOW
    return None


def _reminted_answer(node: NodeContext, session: Session, obj: Any, answerer: Any) -> Target:
    # Some servers answer with a bare or re-minted Join: it still names who asked whom.
    if (
        isinstance(obj, dict)
        and obj.get("type") == "Join"
        and id_of(obj.get("object")) == id_of(answerer)
        and local_actor_by_id(node, session, obj.get("actor")) is not None
    ):
        return Target.OUR_JOIN
    return Target.ELSEWHERE
