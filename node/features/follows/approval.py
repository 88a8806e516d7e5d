"""Followers waiting for approval: an actor set to approve followers by hand decides here."""

from __future__ import annotations

from typing import Any

import orjson
from sqlmodel import Session, select

from node.activitypub import activities
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.inbox.common import new_activity_id
from node.models import Follower, InboxActivity, LocalActor
from node.web.i18n import N_
from node.web.wording import Worded


class FollowerError(Worded):
    """No such follower, or not in a state that allows the decision (English in ``str()``, the
    reader's language with ``in_language``)."""


def _follow_document(session: Session, row: Follower, target: str) -> dict[str, Any]:
    # The Accept embeds the Follow as it arrived (Mastodon matches on its id).
    stored = session.exec(
        select(InboxActivity.raw).where(InboxActivity.activity_id == row.follow_id)
    ).first()
    if stored:
        doc = orjson.loads(stored)
        if isinstance(doc, dict):
            return doc
    return {"id": row.follow_id, "type": "Follow", "actor": row.remote_id, "object": target}


def decide(
    session: Session, node: NodeContext, actor: LocalActor, remote_id: str, *, approve: bool
) -> Follower | None:
    """Approve (Accept) or refuse (Reject) a pending follower; runs in the caller's
    transaction. Returns the follower row when approved, None when refused."""

    row = session.exec(
        select(Follower).where(Follower.actor_id == actor.id, Follower.remote_id == remote_id)
    ).first()
    if row is None:
        raise FollowerError(
            N_("%(who)s has not asked to follow @%(slug)s"), who=remote_id, slug=actor.slug
        )
    if row.state != "pending":
        raise FollowerError(N_("%(who)s already follows @%(slug)s"), who=remote_id, slug=actor.slug)
    me = actor_id(node.urls, actor)
    follow = _follow_document(session, row, me)
    build = activities.accept if approve else activities.reject
    answer = build(new_activity_id(node), me, follow, to=remote_id)
    if approve:
        row.state = "accepted"
        session.add(row)
    else:
        session.delete(row)
    delivery.send(session, actor, answer, delivery.Audience(actors=(remote_id,)), public=False)
    return row if approve else None


def remove(session: Session, node: NodeContext, actor: LocalActor, remote_id: str) -> None:
    """Remove an accepted follower: the row goes and a ``Reject`` of their Follow tells their
    server (Mastodon's "remove from followers" does the same, and unfollows on receipt);
    runs in the caller's transaction."""
    row = session.exec(
        select(Follower).where(Follower.actor_id == actor.id, Follower.remote_id == remote_id)
    ).first()
    if row is None:
        raise FollowerError(N_("%(who)s does not follow @%(slug)s"), who=remote_id, slug=actor.slug)
    if row.state != "accepted":
        raise FollowerError(N_("%(who)s is waiting for approval: refuse it instead"), who=remote_id)
    me = actor_id(node.urls, actor)
    follow = _follow_document(session, row, me)
    answer = activities.reject(new_activity_id(node), me, follow, to=remote_id)
    session.delete(row)
    delivery.send(session, actor, answer, delivery.Audience(actors=(remote_id,)), public=False)
