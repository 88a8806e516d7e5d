"""A ``Move`` from an account our actors follow: they follow the new account instead.

Mastodon's rule, kept: the Move must be the actor moving itself (``object`` is the signed
``actor``), and the new account (fetched fresh) must list the old one in ``alsoKnownAs``;
otherwise anyone could steer followers to an account of their choosing. Each of our actors
that followed the old account sends ``Undo(Follow)`` to it and ``Follow`` to the new one.
"""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session, col, select

from node.activitypub.vocab import id_of
from node.features.follows.following import FollowError, follow, unfollow
from node.features.moving.move_out import lists_alias
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.federation.remote import actors as remote
from node.models import Following, LocalActor


def _followers_of(msg: Incoming) -> list[LocalActor]:
    """Our actors with an accepted or pending follow of the moving account."""
    with Session(msg.node.engine) as session:
        rows = session.exec(
            select(LocalActor)
            .join(Following, col(Following.actor_id) == col(LocalActor.id))
            .where(col(Following.target_id) == msg.actor)
            .where(col(Following.state).in_(("accepted", "pending")))
        )
        return list(rows)


async def on_move(msg: Incoming) -> str:
    """Follow the account that ours followed to where it moved."""
    old = msg.actor
    new = id_of(msg.activity.get("target"))
    if id_of(msg.object) != old:
        return "ignored: a Move of someone other than its actor"
    if not new or new == old:
        return "ignored: a Move without a target"
    ours = await to_thread.run_sync(_followers_of, msg)
    if not ours:
        return "ignored: none of our actors follows the account that moved"
    try:
        target = await remote.get_remote_actor(msg.node, new, refresh=True)
    except remote.RemoteActorError as exc:
        return f"ignored: the Move's target cannot be fetched ({exc.reason})"
    if target.ap_id != new or not lists_alias(target.document, old):
        return f"refused: {new} does not list {old} in its alsoKnownAs"
    for actor in ours:
        try:
            await unfollow(msg.node, actor, old)
            await follow(msg.node, actor, new)
        except FollowError as exc:
            return f"refused: {exc}"
    return f"moved: {len(ours)} follow(s) of {old} now follow {new}"


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handler."""
    dispatcher.on("Move", Target.ANY, on_move)
