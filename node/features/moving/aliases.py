"""An actor's ``alsoKnownAs``: the accounts it was before, so their followers can move in.

Mastodon (and Fedify) follow a ``Move`` from an old account to a new one only when the new
account lists the old one in ``alsoKnownAs``; ``solnode alias add`` sets that on our side. The
list is kept in the actor's profile (the document renders it) and every change is announced to
followers with an actor ``Update``, so their servers' copies list it too.
"""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session

from node.activitypub import activities
from node.db import now_utc, session_scope
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_document, actor_id
from node.federation.actors.local import get_actor, touch
from node.federation.context import NodeContext
from node.federation.inbox.common import new_activity_id
from node.federation.remote import actors as remote
from node.models import LocalActor

MAX_ALIASES = 10


class AliasError(ValueError):
    """An alias cannot be added or removed as asked."""


def aliases_of(actor: LocalActor) -> list[str]:
    """The actor's ``alsoKnownAs``, in the order added."""
    return [str(a) for a in (actor.profile or {}).get("alsoKnownAs") or []]


def announce_profile(node: NodeContext, session: Session, actor: LocalActor) -> None:
    """Send the actor's current document to its followers (Update), in the caller's
    transaction."""
    doc = actor_document(actor, node.urls, host=node.settings.host)
    update = activities.actor_update(new_activity_id(node), doc, now_utc())
    delivery.send(session, actor, update, delivery.Audience(followers=True))


async def add_alias(node: NodeContext, slug: str, old: str) -> str:
    """Add the account ``old`` (handle or URL, looked up so the id is exact) to ``slug``'s
    ``alsoKnownAs``; returns the id added."""
    found = await remote.lookup(node, old)
    ident = found.ap_id

    def write() -> str:
        with session_scope(node.engine) as session:
            actor = _actor(session, slug)
            if ident == actor_id(node.urls, actor):
                raise AliasError("an actor cannot be an alias of itself")
            current = aliases_of(actor)
            if ident in current:
                return ident
            if len(current) >= MAX_ALIASES:
                raise AliasError(f"@{slug} already has {MAX_ALIASES} aliases; remove one first")
            _store(session, actor, [*current, ident])
            announce_profile(node, session, actor)
            return ident

    added = await to_thread.run_sync(write)
    node.notify_work()
    return added


def remove_alias(node: NodeContext, slug: str, old: str) -> None:
    """Remove ``old`` (its id as listed) from ``slug``'s ``alsoKnownAs``."""
    with session_scope(node.engine) as session:
        actor = _actor(session, slug)
        current = aliases_of(actor)
        if old not in current:
            listed = ", ".join(current) or "none"
            raise AliasError(f"{old} is not an alias of @{slug} (aliases: {listed})")
        _store(session, actor, [a for a in current if a != old])
        announce_profile(node, session, actor)
    node.notify_work()


def _actor(session: Session, slug: str) -> LocalActor:
    actor = get_actor(session, slug)
    if actor is None:
        raise AliasError(f"no organization or network with slug {slug!r} on this node")
    return actor


def _store(session: Session, actor: LocalActor, aliases: list[str]) -> None:
    profile = dict(actor.profile or {})
    if aliases:
        profile["alsoKnownAs"] = aliases
    else:
        profile.pop("alsoKnownAs", None)
    actor.profile = profile
    touch(actor)
    session.add(actor)
    session.flush()
