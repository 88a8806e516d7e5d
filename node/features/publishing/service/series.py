"""Recurring events: a series (the template) whose occurrences are published a few at a time.

Each occurrence is an ordinary ``Event`` item with its own id, page, participants and status
(one date can be cancelled alone). They are not all published at once: followers would see a
year of monthly forums arrive as twelve posts in a row, and every edit of the series would
fan out twelve Updates. Instead the next :data:`AHEAD` occurrences that are not over are always
published — three months ahead for a monthly forum, three weeks for a weekly one — and a
``series`` job, scheduled for the moment the earliest of them ends, publishes the next one.
(A time horizon alone would publish nothing for a monthly series checked two months ahead, or a
flood for a weekly one; a count keeps the same number of dates in everyone's calendar.)

Occurrences that are already over when their turn comes (a series started in the past, or a
worker that was down) are skipped, never published late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select

from node.content.events import rfc3339
from node.content.fields import EventInput, FieldError, merge, validate_event
from node.content.series import Occurrence, occurrences
from node.db import as_utc, session_scope
from node.features.media.refs import ITEM_IMAGES, with_media
from node.features.publishing.moved import refuse_if_moved
from node.features.publishing.service.build import new_uid, now_seconds
from node.features.publishing.service.items import Published, create_item, delete_item, update_item
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.worker import Done, Outcome, Registry
from node.models import Item, LocalActor, Series

__all__ = [
    "AHEAD",
    "MAX_AHEAD",
    "SERIES_JOB",
    "SeriesResult",
    "create_series",
    "delete_series",
    "published_occurrences",
    "register",
    "top_up",
    "update_series",
]

log = logging.getLogger("solnode.series")

AHEAD = 3
MAX_AHEAD = 12
SERIES_JOB = "series"
# Times in the series' source that are recomputed per occurrence, never patched through.
_PER_OCCURRENCE = ("startTime", "endTime")


@dataclass(frozen=True)
class SeriesResult:
    """A series and the occurrences published by this step."""

    series: Series
    published: list[Published]


def _template(series_source: dict[str, Any]) -> tuple[EventInput, list[Occurrence]]:
    inp = validate_event(series_source)
    if inp.recurrence is None:
        raise FieldError("recurrence", "is required for a series")
    if inp.parent is not None:
        raise FieldError("parent", "a session of a conference cannot recur")
    return inp, occurrences(inp.recurrence, inp.start_time, inp.end_time, inp.timezone)


def occurrence_source(template: dict[str, Any], inp: EventInput, occ: Occurrence) -> dict[str, Any]:
    """The source of one occurrence: the template at that date (the recurrence is kept: the
    summary says "Repeats monthly on the third Thursday…")."""
    return template | {
        "startTime": rfc3339(occ.start, inp.timezone),
        "endTime": rfc3339(occ.end, inp.timezone),
        "timezone": inp.timezone,
    }


def create_series(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    source: Any,
    *,
    now: datetime | None = None,
    ahead: int | None = None,
) -> SeriesResult:
    """Store a series and publish its first occurrences (FieldError names a bad field);
    ``ahead``: how many dates to keep published (default :data:`AHEAD`)."""
    refuse_if_moved(actor)
    now = now or now_seconds()
    if ahead is not None and not 1 <= ahead <= MAX_AHEAD:
        raise FieldError("ahead", f"must be between 1 and {MAX_AHEAD}")
    source = with_media(session, node.urls, actor, source, ITEM_IMAGES)
    inp, occs = _template(source)
    if not any(o.end > now for o in occs):
        raise FieldError("recurrence", "every date of this series is already over")
    assert actor.id is not None
    series = Series(uid=new_uid(inp.name), actor_id=actor.id, source=dict(source), ahead=ahead)
    session.add(series)
    session.flush()
    return SeriesResult(series, top_up(session, node, actor, series, now=now))


def top_up(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    series: Series,
    *,
    now: datetime | None = None,
) -> list[Published]:
    """Publish what is due (the next :data:`AHEAD` dates not over) and schedule the next run."""
    now = now or now_seconds()
    if series.deleted_at is not None or actor.moved_to:
        return []  # a moved account's series publishes no further dates
    inp, occs = _template(series.source)
    upcoming = [i for i, o in enumerate(occs) if o.end > now][: series.ahead or AHEAD]
    target = upcoming[-1] + 1 if upcoming else len(occs)
    done: list[Published] = []
    for index in range(series.published_count, target):
        if occs[index].end <= now:
            continue  # over before its turn came: never published late
        source = occurrence_source(series.source, inp, occs[index])
        done.append(
            create_item(
                session, node, actor, "event", source, series=series, series_index=index, now=now
            )
        )
    series.published_count = max(series.published_count, target)
    session.add(series)
    if upcoming and series.published_count < len(occs):
        due = occs[upcoming[0]].end
        jobs.enqueue(
            session.connection(),
            SERIES_JOB,
            {"series_id": series.id},
            dedupe_key=f"{SERIES_JOB}:{series.id}:{series.published_count}:{int(due.timestamp())}",
            delay=max(0.0, (due - now).total_seconds()),
            now=now.timestamp(),
        )
    return done


def published_occurrences(session: Session, series: Series) -> list[Item]:
    """The series' occurrences published so far and not deleted, by date."""
    return list(
        session.exec(
            select(Item)
            .where(Item.series_id == series.id, col(Item.deleted_at).is_(None))
            .order_by(col(Item.series_index))
        )
    )


def update_series(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    series: Series,
    patch: Any,
    *,
    now: datetime | None = None,
) -> SeriesResult:
    """Edit the template: the patch is applied to every published date that is not over (their
    own edits, such as one cancelled date, stay unless the patch names the same field); dates
    move if the rule or times changed; dates beyond a shortened series are deleted."""
    now = now or now_seconds()
    patch = with_media(session, node.urls, actor, patch, ITEM_IMAGES, patch=True)
    merged = merge(series.source, patch)
    assert isinstance(patch, dict)
    if patch.get("recurrence", ...) is None:
        raise FieldError("recurrence", "a series needs one; delete the series to stop it")
    inp, occs = _template(merged)
    own = {k: v for k, v in patch.items() if k not in _PER_OCCURRENCE}
    for item in published_occurrences(session, series):
        if item.end_time is not None and as_utc(item.end_time) <= now:
            continue  # history stays as it was
        index = item.series_index or 0
        if index >= len(occs):
            delete_item(session, node, actor, item, now=now)
            continue
        at = occurrence_source(merged, inp, occs[index])
        item_patch = own | {k: at[k] for k in (*_PER_OCCURRENCE, "timezone")}
        update_item(session, node, actor, item, item_patch, allow_recurrence=True, now=now)
    series.source = merged
    series.updated_at = now
    series.published_count = min(series.published_count, len(occs))
    session.add(series)
    return SeriesResult(series, top_up(session, node, actor, series, now=now))


def delete_series(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    series: Series,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Stop the series: its dates that are not over are deleted (Delete each); past ones stay."""
    now = now or now_seconds()
    sent: list[str] = []
    for item in published_occurrences(session, series):
        if item.end_time is None or as_utc(item.end_time) > now:
            sent += delete_item(session, node, actor, item, now=now)
    series.deleted_at = now
    session.add(series)
    return sent


async def run_series_job(node: NodeContext, job: ClaimedJob) -> Outcome:
    """The periodic step of one series: publish the next date when one is over."""
    series_id = int(job.payload["series_id"])

    def work() -> int:
        with session_scope(node.engine) as session:
            series = session.get(Series, series_id)
            if series is None or series.deleted_at is not None:
                return 0
            actor = session.get(LocalActor, series.actor_id)
            if actor is None:
                return 0
            return len(top_up(session, node, actor, series))

    published = await to_thread.run_sync(work)
    if published:
        log.info("series %s: published %d occurrence(s)", series_id, published)
        node.notify_work()
    return Done()


def register(registry: Registry) -> None:
    """Register the ``series`` job kind."""
    registry.register(SERIES_JOB, run_series_job, RetryPolicy(base=60, factor=2, cap=3600))
