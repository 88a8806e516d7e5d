"""Small helpers shared by inbox handlers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from node.activitypub.vocab import id_of
from node.db import session_scope
from node.federation.context import NodeContext
from node.models import Item, LocalActor


def new_activity_id(node: NodeContext) -> str:
    """A fresh id for an activity we send."""
    return node.urls.activity(uuid.uuid4().hex)


def local_actor_by_id(node: NodeContext, session: Session, ident: Any) -> LocalActor | None:
    """The local actor an id points at (organization, network or the instance actor)."""
    target = id_of(ident)
    if not target:
        return None
    if target == node.urls.instance_actor:
        return session.exec(select(LocalActor).where(LocalActor.kind == "application")).first()
    prefix = node.urls.actor("")
    if not target.startswith(prefix):
        return None
    slug = target[len(prefix) :]
    if "/" in slug or "#" in slug:
        return None
    return session.exec(select(LocalActor).where(LocalActor.slug == slug)).first()


def on_local_actor(
    node: NodeContext, ident: Any, ignored: str, act: Callable[[Session, LocalActor], str]
) -> str:
    """``act`` on the local actor ``ident`` names, in one transaction (blocking: run it in a
    thread); ``ignored`` when it names none of ours."""
    with session_scope(node.engine) as session:
        actor = local_actor_by_id(node, session, ident)
        if actor is None:
            return ignored
        return act(session, actor)


def local_item(session: Session, ident: Any) -> Item | None:
    """One of our items by its id, unless deleted."""
    target = id_of(ident)
    if not target:
        return None
    item = session.exec(select(Item).where(Item.ap_id == target)).first()
    if item is None or item.deleted_at is not None:
        return None
    return item
