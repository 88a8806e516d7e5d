"""Recurring series in calendars: one VEVENT with an RRULE for the whole series, and each
published date as an override of it (same UID, RECURRENCE-ID), so a calendar client shows every
date of the series — also those not published yet — and never the same date twice.

A series is stored as its template (:class:`node.models.Series`) and the occurrences published so
far, a few ahead (:mod:`node.features.publishing.service.series`). Each occurrence keeps its own page,
participants and status, so it is written as an override carrying its own URL, status and
SEQUENCE; a date deleted on its own becomes an EXDATE. The series' VEVENT:

* UID is the series' IRI (``/series/{uid}``, which leads to its next date);
* DTSTART/DTEND are the first date, in the series' zone; the RRULE repeats it at the same wall
  clock time, as :func:`node.content.series.occurrences` does (a test expands both and compares);
* its texts come from a published date whose own status is the template's (so one cancelled
  date never cancels the series), with the template's status;
* SEQUENCE is the number of Updates sent for all of its dates, which only grows.

Only series of this node are grouped (their occurrences are our items, also when a network on
this node aggregated them); events from other servers are written as they come. A deleted series
is not grouped: what is left of it are single past dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from node.content.events import ICAL_STATUS
from node.content.fields import FieldError, validate_event
from node.content.fields.types import MAX_OCCURRENCES, Recurrence
from node.content.series import Occurrence, occurrences, rrule
from node.db import now_utc
from node.features.feeds.entries import FeedEntry, update_counts
from node.federation.context import NodeContext
from node.models import Item, Series

__all__ = ["SeriesMaster", "group_series", "series_rrule"]

CHUNK = 1000  # object ids per query (a query costs ~0.5 ms to build: 25 of them were 12 ms)


@dataclass(frozen=True)
class SeriesMaster:
    """The VEVENT of a whole series (see the module docstring)."""

    uid: str
    template: FeedEntry
    start: datetime
    end: datetime
    zone: str
    rrule: str
    status: str
    exdates: tuple[datetime, ...]
    sequence: int


def series_rrule(rule: Recurrence, found: list[Occurrence]) -> str:
    """The RRULE of a series whose dates are ``found``. A series this node cuts short (at
    :data:`MAX_OCCURRENCES` dates, or ten years) ends with COUNT at the cut, so a client shows
    exactly the dates this node publishes."""
    cut = len(found) < rule.count if rule.count is not None else len(found) >= MAX_OCCURRENCES
    if cut:
        rule = replace(rule, until=None, count=len(found))
    return rrule(rule)


@dataclass
class _Group:
    series: Series
    dates: list[Occurrence]
    rule: Recurrence
    zone: str
    status: str


def _load(session: Session, ids: Iterable[int]) -> dict[int, _Group]:
    groups: dict[int, _Group] = {}
    for series in session.exec(select(Series).where(col(Series.id).in_(list(ids)))).all():
        if series.deleted_at is not None or series.id is None:
            continue
        try:
            inp = validate_event(series.source)
        except FieldError:
            continue  # a template that no longer validates: its dates stay single events
        if inp.recurrence is None:
            continue
        dates = occurrences(inp.recurrence, inp.start_time, inp.end_time, inp.timezone)
        if dates:
            status = ICAL_STATUS[inp.status]
            groups[series.id] = _Group(series, dates, inp.recurrence, inp.timezone, status)
    return groups


def group_series(
    session: Session, node: NodeContext, entries: list[FeedEntry]
) -> tuple[list[FeedEntry], list[SeriesMaster]]:
    """The entries, with dates of this node's series turned into overrides, and the series."""
    ids = [e.object_id for e in entries]
    where: dict[str, tuple[int, int]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.exec(
            select(Item.ap_id, Item.series_id, Item.series_index).where(
                col(Item.ap_id).in_(ids[start : start + CHUNK]), col(Item.series_id).is_not(None)
            )
        ).all()
        where.update({ap_id: (sid, index or 0) for ap_id, sid, index in rows if sid is not None})
    groups = _load(session, {sid for sid, _ in where.values()})
    result: list[FeedEntry] = []
    members: dict[int, list[FeedEntry]] = {}
    for entry in entries:
        sid, index = where.get(entry.object_id, (0, -1))
        group = groups.get(sid)
        if group is None or not 0 <= index < len(group.dates):
            result.append(entry)
            continue
        uid = node.urls.series(group.series.uid)
        override = replace(entry, series_uid=uid, recurrence_id=group.dates[index].start)
        result.append(override)
        members.setdefault(sid, []).append(override)
    masters = [_master(session, node, groups[sid], found) for sid, found in members.items()]
    return result, masters


def _master(
    session: Session, node: NodeContext, group: _Group, shown: list[FeedEntry]
) -> SeriesMaster:
    items = session.exec(
        select(Item.ap_id, Item.series_index, Item.deleted_at).where(
            Item.series_id == group.series.id
        )
    ).all()
    exdates = sorted(
        group.dates[index].start
        for _, index, deleted in items
        if deleted is not None and index is not None and 0 <= index < len(group.dates)
    )
    # A date of the series may have been deleted and another item never re-published there,
    # but one that is shown (not deleted) wins over an EXDATE for the same date.
    shown_dates = {e.recurrence_id for e in shown}
    now = now_utc()
    alike = [e for e in shown if e.status == group.status]
    upcoming = [e for e in alike if (e.end or e.start or now) >= now]
    template = (upcoming or alike or shown)[0]
    return SeriesMaster(
        uid=node.urls.series(group.series.uid),
        template=template,
        start=group.dates[0].start,
        end=group.dates[0].end,
        zone=group.zone,
        rrule=series_rrule(group.rule, group.dates),
        status=group.status,
        exdates=tuple(d for d in exdates if d not in shown_dates),
        sequence=sum(update_counts(session, [ap_id for ap_id, _, _ in items]).values()),
    )
