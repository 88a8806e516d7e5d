"""Plain notes: the simplest thing an actor publishes (Create{Note} to Public and followers)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from node.activitypub import activities
from node.activitypub.vocab import AS_CONTEXT, PUBLIC, iso
from node.db import now_utc
from node.features.publishing.moved import refuse_if_moved
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor


def publish_note(session: Session, node: NodeContext, actor: LocalActor, content_html: str) -> Item:
    """Store a public Note and hand its Create to delivery (in the caller's transaction);
    ActorMoved when the actor has moved."""
    refuse_if_moved(actor)

    now = now_utc()
    ident = node.urls.item(uuid.uuid4().hex)
    author = actor_id(node.urls, actor)
    followers = f"{author}/followers"
    note = {
        "@context": AS_CONTEXT,
        "id": ident,
        "type": "Note",
        "attributedTo": author,
        "content": content_html,
        "published": iso(now),
        "url": ident,
        "to": [PUBLIC],
        "cc": [followers],
    }
    assert actor.id is not None
    item = Item(
        ap_id=ident, actor_id=actor.id, kind="note", document=note, published=now, updated=now
    )
    session.add(item)
    session.flush()
    create = activities.create(node.urls.activity(uuid.uuid4().hex), author, note, now)
    # Public: the outbox signs it in the body too, so relays can forward it (outbox/signing.py).

    delivery.send(session, actor, create, delivery.Audience(followers=True, relays=True))
    return item
