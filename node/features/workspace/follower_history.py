"""Followers over time: a daily snapshot, because the ``follower`` table keeps only the
present (an Undo deletes its row, and nothing records when).

Deriving the history from ``follower.created_at`` would count only those who still follow,
and adding ``accepted_at``/``removed_at`` columns would make every reader of the follower
table filter out the removed ones. Instead the ``followers-snapshot`` job writes one
``follower_count`` row per local actor for the current UTC day (written again if the job runs
twice that day), then schedules itself for shortly after the next midnight. The chain is
started (idempotently, by its dedupe key) by :func:`schedule`, which the Insight overview
calls; the page adds today's live count, so the curve always ends at the present.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from sqlalchemy import func
from sqlmodel import Session, col, select

from node.db import now_utc, session_scope
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.worker import Done, Outcome, Registry
from node.models import Follower, FollowerCount, LocalActor

log = logging.getLogger("solnode.insight")

SNAPSHOT_JOB = "followers-snapshot"
DAYS = 90
# a few minutes after midnight, so the day before is complete
AFTER_MIDNIGHT = timedelta(minutes=5)


@dataclass(frozen=True)
class Point:
    """Followers on one day."""

    day: str
    accepted: int
    pending: int


def day_of(moment: datetime) -> str:
    """The UTC day of ``moment`` as YYYY-MM-DD."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def counts(session: Session, actor_id: int) -> tuple[int, int]:
    """(accepted, pending) followers of an actor now: the accepted ones as kept on the actor
    (migration 0018), not counted again over tens of thousands of rows; those waiting
    counted over their own range of the ``(actor_id, state, id)`` index."""
    kept = session.exec(select(LocalActor.followers_count).where(LocalActor.id == actor_id)).first()
    pending = session.exec(
        select(func.count())
        .select_from(Follower)
        .where(Follower.actor_id == actor_id, Follower.state == "pending")
    ).one()
    return int(kept or 0), int(pending)


def take_snapshot(session: Session, now: datetime) -> int:
    """Write today's count for every local actor; returns how many rows were written."""
    day = day_of(now)
    actor_ids = session.exec(select(LocalActor.id)).all()
    for actor_id in actor_ids:
        assert actor_id is not None
        accepted, pending = counts(session, actor_id)
        row = session.exec(
            select(FollowerCount).where(
                FollowerCount.actor_id == actor_id, FollowerCount.day == day
            )
        ).first() or FollowerCount(actor_id=actor_id, day=day)
        row.accepted, row.pending = accepted, pending
        session.add(row)
    return len(actor_ids)


def schedule(session: Session, now: datetime) -> bool:
    """Enqueue the next snapshot (shortly after the coming midnight), unless it is queued."""
    due = (now.astimezone(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + AFTER_MIDNIGHT
    return jobs.enqueue(
        session.connection(),
        SNAPSHOT_JOB,
        {},
        dedupe_key=f"{SNAPSHOT_JOB}:{day_of(due)}",
        delay=max(0.0, (due - now).total_seconds()),
        now=now.timestamp(),
    )


def history(session: Session, actor_id: int, now: datetime, days: int = DAYS) -> list[Point]:
    """The actor's daily counts of the last ``days`` days, today's taken live."""
    since = day_of(now - timedelta(days=days))
    today = day_of(now)
    rows = session.exec(
        select(FollowerCount)
        .where(FollowerCount.actor_id == actor_id, col(FollowerCount.day) >= since,
               FollowerCount.day != today)
        .order_by(col(FollowerCount.day))
    ).all()  # fmt: skip
    points = [Point(r.day, r.accepted, r.pending) for r in rows]
    return [*points, Point(today, *counts(session, actor_id))]


async def run_snapshot_job(node: NodeContext, job: ClaimedJob) -> Outcome:
    """Count today's followers of every actor and schedule tomorrow's count."""

    def work() -> int:
        now = now_utc()
        with session_scope(node.engine) as session:
            written = take_snapshot(session, now)
            schedule(session, now)
        return written

    written = await to_thread.run_sync(work)
    log.info("follower counts of %d actor(s) recorded", written)
    return Done()


def register(registry: Registry) -> None:
    """Register the ``followers-snapshot`` job kind."""
    registry.register(SNAPSHOT_JOB, run_snapshot_job, RetryPolicy(base=300, cap=3600))
