"""The figures of the Insight pages, the ones the conference plan's evaluation asks for: per
item, how far it went (servers and followers it was delivered to, failures, what still
retries), what people did with it (replies, likes, boosts, networks re-announcing it), who
takes part (fediverse joins, registrations on the page) and, after an event, the feedback.

The delivery and interaction counts are the dashboard's (node/features/workspace/figures.py);
this module adds what only the Insight pages show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from node.db import as_utc
from node.features.workspace.figures import (
    ItemFigures,
    deliver_jobs,
    delivery_outcome,
    with_figures,
)
from node.federation.outbox.deliver import inbox_host
from node.models import (
    EventFeedback,
    Follower,
    Interaction,
    Item,
    LocalActor,
    NetworkItem,
    OutboxActivity,
    OutgoingMembership,
    Participant,
)

OVERVIEW = 50
COMMENTS = 200


@dataclass
class Reach:
    """Where an item's activities were delivered: distinct servers, and the followers whose
    inbox (or shared inbox) took a delivery."""

    servers: int = 0
    followers: int = 0
    failed_servers: list[str] = field(default_factory=list)
    retrying_servers: list[str] = field(default_factory=list)


@dataclass
class Feedback:
    """The feedback given on an event: how many, the mean rating, each rating's count, the
    comments (newest first)."""

    count: int = 0
    ratings: Counter[int] = field(default_factory=Counter)
    comments: list[tuple[datetime, int, str]] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        """The mean rating, None without feedback."""
        if not self.count:
            return None
        return sum(r * n for r, n in self.ratings.items()) / self.count


@dataclass
class ItemInsight:
    """Everything the Insight page of one item shows."""

    figures: ItemFigures
    item_id: int
    end: datetime | None
    reach: Reach
    reannounces: int
    participants: Counter[str]
    registrations: Counter[str]
    feedback: Feedback


def reach(session: Session, actor: LocalActor, item: Item) -> Reach:
    """Servers and followers the item's activities reached, and the servers still failing."""
    activity_ids = session.exec(
        select(OutboxActivity.ap_id).where(OutboxActivity.object_id == item.ap_id)
    ).all()
    delivered: set[str] = set()
    failed: set[str] = set()
    retrying: set[str] = set()
    for activity_id in activity_ids:
        for state, attempts, status, payload in deliver_jobs(session, activity_id):
            inbox = str((payload or {}).get("inbox", ""))
            outcome = delivery_outcome(state, attempts, status)
            if outcome == "delivered":
                delivered.add(inbox)
            elif outcome == "failed":
                failed.add(inbox)
            elif outcome == "retrying":
                retrying.add(inbox)
    followers = session.exec(
        select(Follower.inbox, Follower.shared_inbox).where(
            Follower.actor_id == actor.id, Follower.state == "accepted"
        )
    ).all()

    def hosts(inboxes: set[str]) -> list[str]:
        return sorted({h for h in (inbox_host(i) for i in inboxes) if h})

    return Reach(
        servers=len(hosts(delivered)),
        followers=sum(1 for inbox, shared in followers if {inbox, shared} & delivered),
        failed_servers=hosts(failed),
        retrying_servers=hosts(retrying),
    )


def reannounces(session: Session, actor: LocalActor, item: Item) -> int:
    """Networks that re-announced the item: networks on this node that relayed it, and the
    boosts by networks elsewhere that this actor is a member of."""
    here = session.exec(
        select(func.count())
        .select_from(NetworkItem)
        .where(NetworkItem.object_id == item.ap_id, NetworkItem.state == "relayed")
    ).one()
    networks = select(OutgoingMembership.network).where(OutgoingMembership.actor_id == actor.id)
    there = session.exec(
        select(func.count())
        .select_from(Interaction)
        .where(
            Interaction.object_id == item.ap_id,
            Interaction.kind == "announce",
            col(Interaction.actor).in_(networks),
        )
    ).one()
    return int(here) + int(there)


def participation(session: Session, item_id: int) -> tuple[Counter[str], Counter[str]]:
    """Fediverse participants (a Join) and registrations on the page, counted by state."""
    joins: Counter[str] = Counter()
    registrations: Counter[str] = Counter()
    rows = session.exec(
        select(Participant.actor, Participant.state).where(Participant.item_id == item_id)
    ).all()
    for remote, state in rows:
        (joins if remote else registrations)[state] += 1
    return joins, registrations


def feedback(session: Session, item_id: int) -> Feedback:
    """The feedback on an event."""
    rows = session.exec(
        select(EventFeedback)
        .where(EventFeedback.item_id == item_id)
        .order_by(col(EventFeedback.created_at).desc(), col(EventFeedback.id).desc())
    ).all()
    result = Feedback(count=len(rows), ratings=Counter(r.rating for r in rows))
    result.comments = [(as_utc(r.created_at), r.rating, r.comment) for r in rows if r.comment][
        :COMMENTS
    ]
    return result


def item_insight(session: Session, actor: LocalActor, item: Item) -> ItemInsight:
    """The Insight of one of ``actor``'s items."""
    assert item.id is not None
    joins, registrations = participation(session, item.id)
    return ItemInsight(
        figures=with_figures(session, [item])[0],
        item_id=item.id,
        end=as_utc(item.end_time) if item.end_time else None,
        reach=reach(session, actor, item),
        reannounces=reannounces(session, actor, item),
        participants=joins,
        registrations=registrations,
        feedback=feedback(session, item.id),
    )


def recent_items(session: Session, actor: LocalActor) -> list[tuple[int, ItemFigures]]:
    """The actor's latest items (not deleted) with the dashboard's figures, and their ids."""
    items = session.exec(
        select(Item)
        .where(Item.actor_id == actor.id, col(Item.deleted_at).is_(None))
        .order_by(col(Item.published).desc())
        .limit(OVERVIEW)
    ).all()
    figures = with_figures(session, list(items))
    return [(item.id or 0, f) for item, f in zip(items, figures, strict=True)]


def mine(session: Session, actor: LocalActor, item_id: int) -> Item | None:
    """``actor``'s item ``item_id`` (not deleted), or None (someone else's: the same answer)."""
    item = session.get(Item, item_id)
    if item is None or item.actor_id != actor.id or item.deleted_at is not None:
        return None
    return item
