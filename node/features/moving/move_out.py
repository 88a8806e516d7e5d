"""``solnode move SLUG NEW_ACTOR``: one of our organizations moves to another account.

As Mastodon does it: the new account must already name ours in its ``alsoKnownAs`` (checked on
a fresh fetch, because followers' servers check the same before they follow it), then ours
records ``movedTo`` (its document and page say where it went) and sends ``Move`` to every
follower; their servers unfollow ours and follow the new account.
"""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread

from node.activitypub import activities
from node.activitypub.vocab import as_list, id_of
from node.db import session_scope
from node.features.moving.aliases import announce_profile
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.actors.local import get_actor, touch
from node.federation.context import NodeContext
from node.federation.inbox.common import new_activity_id
from node.federation.remote import actors as remote
from node.models import LocalActor


class MoveError(ValueError):
    """The move cannot be made as asked."""


@dataclass(frozen=True)
class Moved:
    """A move made: where to, the Move's id, and how many followers it was sent to."""

    target: str
    activity_id: str
    followers: int


def lists_alias(document: dict[str, object], old: str) -> bool:
    """Whether an actor document names ``old`` in its ``alsoKnownAs``."""
    return old in {id_of(a) for a in as_list(document.get("alsoKnownAs"))}


async def move(node: NodeContext, actor: LocalActor, new: str) -> Moved:
    """Move ``actor`` to the account ``new`` (handle or URL) and tell its followers."""
    ours = actor_id(node.urls, actor)
    found = await remote.lookup(node, new)
    # Fresh, not cached: the alias was most likely set a moment ago.
    target = await remote.get_remote_actor(node, found.ap_id, refresh=True)
    if target.ap_id == ours:
        raise MoveError("an actor cannot move to itself")
    if not lists_alias(target.document, ours):
        raise MoveError(
            f"{target.ap_id} does not list {ours} in its alsoKnownAs; add the alias on the new "
            "account first (followers' servers check it before they follow)"
        )

    def write() -> Moved:
        with session_scope(node.engine) as session:
            row = get_actor(session, actor.slug)
            if row is None:
                raise MoveError(f"no organization or network with slug {actor.slug!r}")
            row.moved_to = target.ap_id
            touch(row)
            session.add(row)
            session.flush()
            announce_profile(node, session, row)
            ident = new_activity_id(node)
            doc = activities.move(ident, ours, target.ap_id, to=[f"{ours}/followers"])
            delivery.send(session, row, doc, delivery.Audience(followers=True), public=False)
            # the kept count (migration 0018), not every follower loaded to be counted
            return Moved(target=target.ap_id, activity_id=ident, followers=row.followers_count)

    moved = await to_thread.run_sync(write)
    node.notify_work()
    return moved
