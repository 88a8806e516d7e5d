"""Follow, Undo, Accept, Reject and Block: who follows whom."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, delete, select

from node.activitypub import activities
from node.activitypub.vocab import id_of
from node.db import session_scope
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.inbox.common import local_actor_by_id, new_activity_id, on_local_actor
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.federation.policy import LIMIT, domain_severity, host_of
from node.federation.remote import actors as remote
from node.models import Follower, Following, Interaction, LocalActor


async def on_follow(msg: Incoming) -> str:
    """Record the follower; Accept at once unless the actor approves followers by hand (or the
    follower's server is under a limit block); Reject a new follower of an actor that moved."""

    node = msg.node
    with Session(node.engine) as session:
        target = local_actor_by_id(node, session, msg.object)
    if target is None:
        return "ignored: the Follow's object is not an actor of this node"
    follower = await remote.get_remote_actor(node, msg.actor)
    inbox = follower.inbox
    shared = follower.shared_inbox
    # A server under a limit block may ask; an admin decides (never auto-accepted).
    limited = domain_severity(node.engine, host_of(msg.actor)) == LIMIT

    def write() -> str:
        with session_scope(node.engine) as session:
            row = session.exec(
                select(Follower).where(
                    Follower.actor_id == target.id, Follower.remote_id == msg.actor
                )
            ).first()
            pending = bool(target.manually_approves_followers) or limited
            if row is None and target.moved_to:
                # A moved account takes no new followers (as Mastodon): they belong at the new one.
                reject = activities.reject(
                    new_activity_id(node), _id_of_local(node, target), msg.activity, to=msg.actor
                )
                delivery.send(session, target, reject, delivery.Audience(actors=(msg.actor,)))
                return f"refused: @{target.slug} has moved to {target.moved_to}"
            if row is None:
                assert target.id is not None
                row = Follower(
                    actor_id=target.id,
                    remote_id=msg.actor,
                    inbox=inbox,
                    shared_inbox=shared,
                    follow_id=msg.activity_id,
                    state="pending" if pending else "accepted",
                )
            else:
                row.follow_id = msg.activity_id
                row.inbox, row.shared_inbox = inbox, shared
                if row.state != "accepted":
                    row.state = "pending" if pending else "accepted"
            session.add(row)
            if row.state == "accepted":
                accept = activities.accept(
                    new_activity_id(node), _id_of_local(node, target), msg.activity, to=msg.actor
                )
                delivery.send(session, target, accept, delivery.Audience(actors=(msg.actor,)))
                return "accepted"
            return "pending approval"

    result = await to_thread.run_sync(write)
    node.notify_work()
    return result


def _id_of_local(node: Any, actor: Any) -> str:

    return actor_id(node.urls, actor)


async def on_undo(msg: Incoming) -> str:
    """Undo of a Follow removes the follower; of a Like or Announce, the interaction."""
    obj = msg.object
    undone = id_of(obj)
    inner_type = obj.get("type") if isinstance(obj, dict) else None
    node = msg.node

    def write() -> str:
        with session_scope(node.engine) as session:
            if inner_type in (None, "Follow"):
                query = delete(Follower).where(col(Follower.remote_id) == msg.actor)
                target = (
                    local_actor_by_id(node, session, obj.get("object"))
                    if isinstance(obj, dict)
                    else None
                )
                if target is not None:
                    query = query.where(col(Follower.actor_id) == target.id)
                elif undone:
                    query = query.where(col(Follower.follow_id) == undone)
                removed = session.exec(query).rowcount
                if removed:
                    return "unfollowed"
            if undone:
                gone = session.exec(
                    delete(Interaction).where(
                        col(Interaction.activity_id) == undone, col(Interaction.actor) == msg.actor
                    )
                ).rowcount
                if gone:
                    return "interaction undone"
        return "ignored: nothing to undo"

    return await to_thread.run_sync(write)


async def _settle_following(msg: Incoming, state: str) -> str:
    obj = msg.object
    follow_id = id_of(obj)
    node = msg.node

    def write() -> str:
        with session_scope(node.engine) as session:
            row = None
            if follow_id:
                row = session.exec(
                    select(Following).where(Following.follow_id == follow_id)
                ).first()
            if row is None:
                # Some servers answer with a bare or re-minted Follow: match on who answered.
                row = session.exec(
                    select(Following).where(
                        Following.target_id == msg.actor, Following.state == "pending"
                    )
                ).first()
            if row is None:
                return f"ignored: no pending follow for this {msg.type}"
            if row.target_id != msg.actor:
                return f"ignored: {msg.type} from someone who was not asked"
            row.state = state
            session.add(row)
            return f"follow {state}"

    return await to_thread.run_sync(write)


async def on_accept(msg: Incoming) -> str:
    """Our Follow was accepted."""
    return await _settle_following(msg, "accepted")


async def on_reject(msg: Incoming) -> str:
    """Our Follow was rejected (or a follow we had was removed)."""
    return await _settle_following(msg, "rejected")


async def on_block(msg: Incoming) -> str:
    """A remote actor blocks one of ours: it no longer follows or is followed by it."""

    def unrelate(session: Session, target: LocalActor) -> str:
        session.exec(
            delete(Follower).where(
                col(Follower.actor_id) == target.id, col(Follower.remote_id) == msg.actor
            )
        )
        session.exec(
            delete(Following).where(
                col(Following.actor_id) == target.id, col(Following.target_id) == msg.actor
            )
        )
        return "blocked: relationships removed"

    ignored = "ignored: not one of our actors"
    return await to_thread.run_sync(on_local_actor, msg.node, msg.object, ignored, unrelate)


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handlers. An answer to our Follow is matched by its id; one whose
    object the other server re-minted (any target not claimed by another feature) by who
    answered (see :func:`_settle_following`)."""
    dispatcher.on("Follow", Target.ANY, on_follow)
    dispatcher.on("Undo", Target.ANY, on_undo)
    dispatcher.on("Accept", Target.ANY, on_accept)
    dispatcher.on("Reject", Target.ANY, on_reject)
    dispatcher.on("Block", Target.ANY, on_block)
