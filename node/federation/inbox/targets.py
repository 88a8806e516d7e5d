"""What an incoming activity is about, resolved once before dispatch (see dispatch.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from node.activitypub.vocab import id_of
from node.federation.context import NodeContext
from node.federation.inbox.common import local_actor_by_id
from node.federation.inbox.dispatch import Target
from node.federation.remote.fetch import is_local

# What an object id may name here, in the order resolve_target tries them, in one round trip
# (an inbox job asked them one ORM query at a time: four statements a Create, py-spy on a
# `solnode worker`): one of our items (unless deleted), our relay subscription, our Join,
# our Follow. Each branch reads one unique or indexed column. Every id these columns hold was
# minted here, on our base URL, so an id elsewhere (the object of a remote Create, most of
# what arrives) is not looked up at all: a round trip less a job.
OURS = text(
    "SELECT 0 AS pos, kind FROM item WHERE ap_id = :ref AND deleted_at IS NULL"
    " UNION ALL SELECT 1, '' FROM relay WHERE follow_id = :ref"
    " UNION ALL SELECT 2, '' FROM outgoing_membership WHERE join_id = :ref"
    " UNION ALL SELECT 3, '' FROM following WHERE follow_id = :ref"
)
_BY_POS = {1: Target.OUR_RELAY_FOLLOW, 2: Target.OUR_JOIN, 3: Target.OUR_FOLLOW}


def resolve_target(node: NodeContext, session: Session, activity: dict[str, Any]) -> Target:
    """The :class:`Target` of ``activity``'s object (by id, or by the shape of an embedded
    answer to one of our activities whose id the other server re-minted)."""
    obj = activity.get("object")
    ref = id_of(obj)
    if ref is not None and is_local(node, ref):
        actor = local_actor_by_id(node, session, ref)
        if actor is not None:
            return Target.NETWORK if actor.kind == "network" else Target.ACTOR
        found = session.connection().execute(OURS, {"ref": ref}).all()
        if found:
            pos, kind = min(found)
            if pos == 0:
                return Target.EVENT if kind == "event" else Target.ITEM
            return _BY_POS[pos]
    return _reminted_answer(node, session, obj, activity.get("actor"))


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
