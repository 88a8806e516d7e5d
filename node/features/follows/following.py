"""Following out: one of our actors follows a remote actor (networks, relays, calendars)."""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session, select

from node.activitypub import activities
from node.db import session_scope
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.inbox.common import new_activity_id
from node.federation.remote import actors as remote
from node.models import Following, LocalActor, OutboxActivity


class FollowError(ValueError):
    """A follow cannot be made or undone as asked."""


def _following(session: Session, actor: LocalActor, target_id: str) -> Following | None:
    return session.exec(
        select(Following).where(Following.actor_id == actor.id, Following.target_id == target_id)
    ).first()


async def follow(node: NodeContext, actor: LocalActor, target: str) -> Following:
    """Send a Follow from ``actor`` to a handle (user@host) or actor URL; pending until Accept."""

    remote_actor = await remote.lookup(node, target)
    target_id = remote_actor.ap_id
    if target_id == actor_id(node.urls, actor):
        raise FollowError("an actor cannot follow itself")

    def write() -> Following:
        with session_scope(node.engine) as session:
            row = _following(session, actor, target_id)
            if row is not None and row.state in {"accepted", "pending"}:
                return row
            ident = new_activity_id(node)
            doc = activities.follow(ident, actor_id(node.urls, actor), target_id)
            if row is None:
                assert actor.id is not None
                row = Following(actor_id=actor.id, target_id=target_id, follow_id=ident)
            row.follow_id, row.state = ident, "pending"
            session.add(row)
            delivery.send(session, actor, doc, delivery.Audience(actors=(target_id,)), public=False)
            return row

    row = await to_thread.run_sync(write)
    node.notify_work()
    return row


async def unfollow(node: NodeContext, actor: LocalActor, target: str) -> None:
    """Send Undo(Follow) and forget the follow."""

    target_id = (
        target
        if target.startswith(("http://", "https://"))
        else (await remote.resolve_handle(node, target))
    )

    def write() -> None:
        with session_scope(node.engine) as session:
            row = _following(session, actor, target_id)
            if row is None:
                raise FollowError(f"@{actor.slug} does not follow {target}")
            original = session.exec(
                select(OutboxActivity).where(OutboxActivity.ap_id == row.follow_id)
            ).first()
            follow_doc = (
                original.document
                if original is not None
                else activities.follow(row.follow_id, actor_id(node.urls, actor), target_id)
            )
            undo = activities.undo(
                new_activity_id(node), actor_id(node.urls, actor), follow_doc, to=[target_id]
            )
            session.delete(row)
            delivery.send(
                session, actor, undo, delivery.Audience(actors=(target_id,)), public=False
            )

    await to_thread.run_sync(write)
    node.notify_work()
