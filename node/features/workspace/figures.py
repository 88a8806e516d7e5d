"""What the dashboard shows, read from what the database already records: what needs
attention, upcoming events, and recent items with their figures (deliveries, replies, likes,
boosts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from node.db import as_utc, now_utc
from node.models import (
    Follower,
    Interaction,
    Item,
    Job,
    LocalActor,
    Membership,
    OutboxActivity,
    Participant,
    Report,
)
from node.urls import Urls

RECENT = 10
UPCOMING = 5
DELIVER = "deliver"


@dataclass(frozen=True)
class Attention:
    """Counts of what waits for someone of the organization or network."""

    followers: int = 0
    participants: int = 0
    replies: int = 0
    memberships: int = 0
    reports: int = 0

    @property
    def total(self) -> int:
        """Everything waiting, together."""
        return self.followers + self.participants + self.replies + self.memberships + self.reports


@dataclass
class ItemFigures:
    """One item with what became of it."""

    title: str
    kind: str
    url: str
    published: datetime
    start: datetime | None = None
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    interactions: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows."""

    attention: Attention
    upcoming: list[ItemFigures]
    recent: list[ItemFigures]


def title_of(doc: dict[str, Any]) -> str:
    """An item's title (its name in the first language it has), or its kind's word."""
    name = doc.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:200]
    names = doc.get("nameMap")
    if isinstance(names, dict):
        for value in names.values():
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return "(untitled)"


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


def _reports(session: Session, actor_url: str, item_ids: set[str]) -> int:
    reports = session.exec(select(Report).where(Report.state == "open")).all()
    return sum(
        1
        for r in reports
        if r.target_actor == actor_url or item_ids.intersection(r.target_objects or [])
    )


def attention(session: Session, actor: LocalActor, urls: Urls) -> Attention:
    """What waits: followers to approve, registrations and joins, replies to moderate,
    membership requests (networks), open reports about the actor or its items."""
    mine = select(Item.ap_id).where(Item.actor_id == actor.id, col(Item.deleted_at).is_(None))
    item_ids = set(session.exec(mine).all())
    count = select(func.count())
    return Attention(
        followers=_count(session, count.select_from(Follower).where(
            Follower.actor_id == actor.id, Follower.state == "pending")),
        participants=_count(session, count.select_from(Participant).join(
            Item, col(Item.id) == col(Participant.item_id)).where(
            Item.actor_id == actor.id, Participant.state == "pending")),
        replies=_count(session, count.select_from(Interaction).join(
            Item, col(Item.ap_id) == col(Interaction.object_id)).where(
            Item.actor_id == actor.id, Interaction.state == "pending")),
        memberships=_count(session, count.select_from(Membership).where(
            Membership.network_id == actor.id, Membership.state == "requested")),
        reports=_reports(session, urls.actor(actor.slug), item_ids),
    )  # fmt: skip


def _figures(item: Item) -> ItemFigures:
    return ItemFigures(
        title=title_of(item.document),
        kind=item.kind,
        url=item.ap_id,
        published=as_utc(item.published),
        start=as_utc(item.start_time) if item.start_time else None,
    )


def delivery_outcome(state: str, attempts: int, status: int | None) -> str:
    """What became of one deliver job: delivered, failed (dead, or refused for good),
    retrying (tried and due again), or queued (not tried yet)."""
    if state == "dead" or (state == "done" and status is not None and status >= 400):
        return "failed"
    if state == "done":
        return "delivered"
    return "retrying" if attempts else "queued"


def deliver_jobs(session: Session, activity_id: str) -> list[Any]:
    """The deliver jobs of one activity: (state, attempts, last_status, payload) rows."""
    prefix = f"{DELIVER}:{activity_id}:"
    return list(
        session.exec(
            select(Job.state, Job.attempts, Job.last_status, Job.payload).where(
                Job.kind == DELIVER, col(Job.dedupe_key).startswith(prefix, autoescape=True)
            )
        ).all()
    )


def _deliveries(session: Session, figures: dict[str, ItemFigures]) -> None:
    """Fill the delivery counts: every activity sent about an item, each deliver job of it
    (done: delivered or refused for good; dead: failed; ready after a try: retrying)."""
    activities = session.exec(
        select(OutboxActivity.ap_id, OutboxActivity.object_id).where(
            col(OutboxActivity.object_id).in_(list(figures))
        )
    ).all()
    for activity_id, object_id in activities:
        target = figures[object_id]
        for state, attempts, status, _ in deliver_jobs(session, activity_id):
            outcome = delivery_outcome(state, attempts, status)
            if outcome == "failed":
                target.failed += 1
            elif outcome == "delivered":
                target.delivered += 1
            elif outcome == "retrying":
                target.retrying += 1


def _interactions(session: Session, figures: dict[str, ItemFigures]) -> None:
    rows = session.exec(
        select(Interaction.object_id, Interaction.kind, func.count())
        .where(col(Interaction.object_id).in_(list(figures)), Interaction.state != "hidden")
        .group_by(col(Interaction.object_id), col(Interaction.kind))
    ).all()
    for object_id, kind, n in rows:
        figures[object_id].interactions[kind] += int(n)


def with_figures(session: Session, items: list[Item]) -> list[ItemFigures]:
    """The items with their delivery and interaction counts."""
    figures = {item.ap_id: _figures(item) for item in items}
    if figures:
        _deliveries(session, figures)
        _interactions(session, figures)
    return list(figures.values())


def dashboard(session: Session, actor: LocalActor, urls: Urls) -> Dashboard:
    """The dashboard of ``actor``."""
    alive = (Item.actor_id == actor.id, col(Item.deleted_at).is_(None))
    upcoming = session.exec(
        select(Item)
        .where(*alive, Item.kind == "event", col(Item.start_time) >= now_utc())
        .order_by(col(Item.start_time))
        .limit(UPCOMING)
    ).all()
    recent = session.exec(
        select(Item).where(*alive).order_by(col(Item.published).desc()).limit(RECENT)
    ).all()
    return Dashboard(
        attention=attention(session, actor, urls),
        upcoming=with_figures(session, list(upcoming)),
        recent=with_figures(session, list(recent)),
    )
