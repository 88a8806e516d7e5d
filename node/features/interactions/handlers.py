"""Create, Update, Delete, Like and Announce: what others do with content.

Replies from servers under a limit block are kept but never shown before an admin approves
them; an Announce carrying someone else's reply is believed only as its origin serves it.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, delete, select

from node.activitypub.addressing import origin
from node.activitypub.vocab import ACTOR_TYPES, Activity, Object, id_of
from node.db import session_scope
from node.features.interactions.replies import (
    first_ours,
    parent_candidates,
    reply_document,
    sanitize_html,
    visibility,
)
from node.federation.inbox.common import local_item
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.federation.inbox.embedded import WRAPPERS, from_origin, inner_object
from node.federation.inbox.receive import forget_keys
from node.federation.policy import LIMIT, domain_severity, host_of
from node.federation.remote import actors as remote
from node.federation.remote.actors import FetchBudget
from node.models import Follower, Following, Interaction, RemoteActor, Tombstone


def _record(
    msg: Incoming,
    kind: str,
    object_id: str,
    content: str = "",
    document: dict[str, Any] | None = None,
    state: str = "approved",
    actor: str | None = None,
) -> str:
    node = msg.node
    with session_scope(node.engine) as session:
        exists = session.exec(
            select(Interaction).where(Interaction.activity_id == msg.activity_id)
        ).first()
        if exists is not None:
            return f"{kind} already recorded"
        # For a reply the row is keyed by the reply's own id, so that its author's Update and
        # Delete find it; for Like and Announce, by the activity's id (what Undo names).
        session.add(
            Interaction(
                activity_id=msg.activity_id
                if kind != "reply"
                else (id_of(document) or msg.activity_id),
                kind=kind,
                actor=actor or msg.actor,
                object_id=object_id,
                content=content,
                document=document or {},
                state=state,
            )
        )
    return f"{kind} recorded"


async def on_like_or_announce(msg: Incoming) -> str:
    """A Like or Announce of one of our items is counted and kept for its page."""
    target = id_of(msg.object)

    def write() -> str:
        with Session(msg.node.engine) as session:
            if local_item(session, target) is None:
                return f"ignored: {msg.type} of something that is not ours"
        assert target is not None
        return _record(msg, msg.type.lower(), target)

    return await to_thread.run_sync(write)


# The fields of a reply the page shows besides its content.
SHOWN_FIELDS = ("summary", "sensitive", "contentMap", "attachment")


def _reply_state(msg: Incoming, author: str) -> str:
    # A server under a limit block may still answer, but nobody sees it before an admin does.
    if domain_severity(msg.node.engine, host_of(author)) == LIMIT:
        return "pending"
    return "approved" if msg.node.settings.auto_approve_replies else "pending"


NOT_FOR_US = "stored: not addressed to our content"


def _our_parent(msg: Incoming, value: Any) -> str | None:
    with Session(msg.node.engine) as session:
        return first_ours(value, lambda ident: local_item(session, ident) is not None)


def _store_reply(msg: Incoming, obj: Object, author: str) -> str:
    # inReplyTo may be a string, a Link, an object or Collection with an id, or a list of
    # those: the first that is ours is the parent. When none is ours the activity stays stored
    # in the inbox as before (a reply in a thread we are only copied on is ordinary traffic,
    # and refusing it would have to happen before the 202, without the database).
    parent = _our_parent(msg, obj.raw.get("inReplyTo"))
    if parent is None:
        return NOT_FOR_US
    doc = reply_document(obj.raw) | {"inReplyTo": parent}
    content = sanitize_html(obj.raw.get("content"))
    state = _reply_state(msg, author)
    return _record(msg, "reply", parent, content=content, document=doc, state=state, actor=author)


async def on_create(msg: Incoming) -> str:
    """A reply to one of our items is stored (sanitized), shown once approved."""
    obj = Object.of(msg.object)
    if obj is None:
        return "ignored: Create without an embedded object"
    if obj.id is None or origin(obj.id) != origin(msg.actor):
        # The inbox refuses these (400); a stored activity from before that rule is not trusted.
        return "ignored: the object is not on the actor's origin"
    if not parent_candidates(obj.raw.get("inReplyTo")):
        # not a reply at all (most Creates): no parent to look up, no thread hop
        return NOT_FOR_US
    return await to_thread.run_sync(_store_reply, msg, obj, msg.actor)


async def on_announce(msg: Incoming) -> str:
    """An Announce of one of our items is counted; one carrying a reply to our items (a
    group's ``Announce{Create{Note}}``, FEP-1b12) stores that reply as its origin serves it."""

    counted = await on_like_or_announce(msg)
    obj = Activity.of(msg.object)
    if not counted.startswith("ignored") or obj is None:
        return counted  # an Announce by id of someone else's object: a boost, not for us
    hint = obj.object if obj.has_type(*WRAPPERS) else obj
    if hint is None or not parent_candidates(hint.raw.get("inReplyTo")):
        return counted
    # The embedded copy is only a hint that this concerns us; what we store comes from origin.
    if await to_thread.run_sync(_our_parent, msg, hint.raw.get("inReplyTo")) is None:
        return counted
    budget = FetchBudget(limit=3)
    document = await from_origin(msg.node, obj.raw, msg.actor, budget=budget)
    if document is not None and Object(document).has_type(*WRAPPERS):
        document = await inner_object(msg.node, document, budget=budget)
    authentic = Object.of(document)
    author = authentic.attributed_to if authentic is not None else None
    if authentic is None or not author or origin(author) != origin(str(authentic.id)):
        return "ignored: the announced reply could not be confirmed at its origin"
    return await to_thread.run_sync(_store_reply, msg, authentic, author)


async def on_update(msg: Incoming) -> str:
    """An actor's Update refreshes its cached document (and so its key); a reply's, its text."""

    obj = Object.of(msg.object)
    obj_id = id_of(msg.object)
    if obj_id == msg.actor or (obj is not None and obj.has_type(*ACTOR_TYPES)):
        if obj_id != msg.actor:
            return "ignored: an actor can only update itself"
        await remote.get_remote_actor(msg.node, msg.actor, refresh=True)
        forget_keys(msg.node, msg.actor)
        return "actor refreshed"
    if obj is None or obj_id is None:
        return "ignored: Update without an embedded object"

    def write() -> str:
        with session_scope(msg.node.engine) as session:
            row = session.exec(
                select(Interaction).where(
                    Interaction.activity_id == obj_id, Interaction.actor == msg.actor
                )
            ).first()
            if row is None:
                return "stored: update of something we do not keep"
            content = sanitize_html(obj.raw.get("content"))
            # Addressing can only narrow: a reply once private never becomes public by an edit.
            before = str(row.document.get("visibility", "public"))
            after = visibility(obj.raw)
            fresh = reply_document(obj.raw) | {
                "inReplyTo": row.object_id,
                "visibility": before if after == "public" else after,
            }
            # A new text, warning, translation or image is a new reply to moderate.
            changed = content != row.content or any(
                fresh.get(k) != row.document.get(k) for k in SHOWN_FIELDS
            )
            row.content = content
            kept = {k: v for k, v in row.document.items() if k not in SHOWN_FIELDS}
            row.document = kept | fresh
            if changed and row.state == "approved":
                # What a moderator approved was the old text: the new one waits for a decision.
                row.state = _reply_state(msg, row.actor)
            session.add(row)
            return "reply updated" + (f" ({row.state})" if changed else "")

    return await to_thread.run_sync(write)


async def on_delete(msg: Incoming) -> str:
    """Delete of an actor removes its follows and cache; of an object, tombstones it."""
    obj_id = id_of(msg.object)
    if obj_id is None:
        return "ignored: Delete without an object id"
    if origin(obj_id) != origin(msg.actor):
        return "ignored: an actor can only delete its own objects"
    node = msg.node

    def write() -> str:
        with session_scope(node.engine) as session:
            if obj_id == msg.actor:
                session.exec(delete(Follower).where(col(Follower.remote_id) == msg.actor))
                session.exec(delete(Following).where(col(Following.target_id) == msg.actor))
                session.exec(delete(Interaction).where(col(Interaction.actor) == msg.actor))
                session.exec(delete(RemoteActor).where(col(RemoteActor.ap_id) == msg.actor))
                return "actor deleted: follows, interactions and cache removed"
            session.exec(
                delete(Interaction).where(
                    col(Interaction.activity_id) == obj_id, col(Interaction.actor) == msg.actor
                )
            )
            if session.exec(select(Tombstone).where(Tombstone.ap_id == obj_id)).first() is None:
                former = msg.object.get("formerType", "") if isinstance(msg.object, dict) else ""
                session.add(Tombstone(ap_id=obj_id, former_type=str(former)[:64]))
            return "object tombstoned"

    return await to_thread.run_sync(write)


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handlers (each checks what its object is: ours, or a reply to ours)."""
    dispatcher.on("Like", Target.ANY, on_like_or_announce)
    dispatcher.on("Announce", Target.ANY, on_announce)
    dispatcher.on("Create", Target.ANY, on_create)
    dispatcher.on("Update", Target.ANY, on_update)
    dispatcher.on("Delete", Target.ANY, on_delete)
