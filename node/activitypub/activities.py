"""Builders of the activities we send. Pure: ids and timestamps are passed in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from node.activitypub.vocab import AS_CONTEXT, PUBLIC, iso


def _activity(kind: str, ident: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": ident, "type": kind, "actor": actor}
    doc["object"] = obj
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def strip_context(doc: dict[str, Any]) -> dict[str, Any]:
    """An embedded copy of a document: no @context, signature or proof of its own."""
    return {k: v for k, v in doc.items() if k not in {"@context", "signature", "proof"}}


def accept(ident: str, actor: str, request: dict[str, Any], *, to: str) -> dict[str, Any]:
    """Accept of a Follow or Join, embedding it (Mastodon matches on the embedded id)."""
    return _activity("Accept", ident, actor, strip_context(request), to=[to])


def reject(ident: str, actor: str, request: dict[str, Any], *, to: str) -> dict[str, Any]:
    """Reject of a Follow or Join."""
    return _activity("Reject", ident, actor, strip_context(request), to=[to])


def follow(ident: str, actor: str, target: str) -> dict[str, Any]:
    """Follow: sent to the followed actor's personal inbox."""
    return _activity("Follow", ident, actor, target, to=[target])


def undo(ident: str, actor: str, activity: dict[str, Any], *, to: list[str]) -> dict[str, Any]:
    """Undo of one of our activities, embedding it."""
    return _activity("Undo", ident, actor, strip_context(activity), to=to)


def _wrapping(
    kind: str, ident: str, actor: str, obj: dict[str, Any], moment: datetime, *, to: Any
) -> dict[str, Any]:
    # Create and Update embed the whole object (without its @context), cc'd as it is.
    return _activity(
        kind, ident, actor, strip_context(obj), published=iso(moment), to=to, cc=obj.get("cc")
    )


def create(ident: str, actor: str, obj: dict[str, Any], published: datetime) -> dict[str, Any]:
    """Create wrapping an object, addressed as the object is."""
    return _wrapping("Create", ident, actor, obj, published, to=obj.get("to"))


def update(ident: str, actor: str, obj: dict[str, Any], updated: datetime) -> dict[str, Any]:
    """Update carrying the whole new object (Mastodon applies it only if `updated` is newer)."""
    return _wrapping("Update", ident, actor, obj, updated, to=obj.get("to") or [PUBLIC])


def delete(
    ident: str, actor: str, obj_id: str, *, former_type: str, deleted: datetime, followers: str
) -> dict[str, Any]:
    """Delete leaving a Tombstone."""
    tombstone = {
        "id": obj_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": iso(deleted),
    }
    return _activity("Delete", ident, actor, tombstone, to=[PUBLIC], cc=[followers])


def announce(
    ident: str,
    actor: str,
    obj_id: str,
    *,
    followers: str,
    published: datetime,
    cc: list[str] | None = None,
) -> dict[str, Any]:
    """Announce by id: followers' servers fetch the original from its author, so credit stays."""
    return _activity(
        "Announce",
        ident,
        actor,
        obj_id,
        published=iso(published),
        to=[PUBLIC],
        cc=[followers, *(cc or [])],
    )


def actor_update(ident: str, actor_doc: dict[str, Any], published: datetime) -> dict[str, Any]:
    """Update of an actor's own profile (Mastodon refreshes the account and its key)."""
    return _activity(
        "Update",
        ident,
        actor_doc["id"],
        strip_context(actor_doc),
        published=iso(published),
        to=[PUBLIC],
        cc=[actor_doc.get("followers")] if actor_doc.get("followers") else None,
    )


def move(ident: str, actor: str, target: str, *, to: list[str]) -> dict[str, Any]:
    """Move of an account to ``target`` (Mastodon's shape: the actor is its own object)."""
    return _activity("Move", ident, actor, actor, target=target, to=to)
