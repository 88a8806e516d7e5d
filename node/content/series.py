"""Recurring series: the dates of an event that repeats (RFC 5545 rules, a subset), and the rule
as an iCalendar RRULE.

Validation (node/content/fields) bounds a series to MAX_OCCURRENCES dates and MAX_SERIES_YEARS
years; the calendar feed (node/features/feeds/series.py) expands the same rule and a test compares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from node.content.fields import EventInput, Recurrence, nth_weekday
from node.content.fields.types import MAX_OCCURRENCES, MAX_SERIES_YEARS, WEEKDAYS

__all__ = ["Occurrence", "expand_series", "occurrences", "rrule"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One date of a series, in UTC."""

    start: datetime
    end: datetime


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _dates(rule: Recurrence, first: date) -> Iterator[date]:
    """Candidate dates of a series from its first date on, in order (unbounded; callers stop)."""
    if rule.frequency == "weekly":
        weekdays = sorted({d.weekday for d in rule.by_day} or {first.weekday()})
        monday = first - timedelta(days=first.weekday())
        for week in range(0, 53 * MAX_SERIES_YEARS + 1, rule.interval):
            for weekday in weekdays:
                day = monday + timedelta(weeks=week, days=weekday)
                if day >= first:
                    yield day
        return
    for months in range(0, 12 * MAX_SERIES_YEARS + 1, rule.interval):
        year, month = _add_months(first, months)
        if rule.by_day:
            found = {nth_weekday(year, month, d.weekday, d.ordinal or 1) for d in rule.by_day}
            days = sorted(d for d in found if d is not None)
        else:
            # RFC 5545: a month without that day (the 31st) is skipped, not moved.
            try:
                days = [date(year, month, first.day)]
            except ValueError:
                days = []
        yield from (d for d in days if d >= first)


def occurrences(
    rule: Recurrence, start: datetime, end: datetime, zone: str, *, limit: int = MAX_OCCURRENCES
) -> list[Occurrence]:
    """The dates of a series, first one at ``start``, at the same wall-clock time in ``zone``.

    Across a daylight-saving change the local time stays (18:00 stays 18:00, so the UTC time
    moves); a wall time that does not exist that day is taken with the offset before the gap, as
    RFC 5545 says (02:30 becomes 03:30). Each occurrence lasts as long as the first.
    """
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    wall, duration = local.time().replace(tzinfo=None), end - start
    result: list[Occurrence] = []
    maximum = min(limit, rule.count if rule.count is not None else limit)
    for day in _dates(rule, local.date()):
        moment = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
        if rule.until is not None and moment > rule.until:
            break
        result.append(Occurrence(moment, moment + duration))
        if len(result) >= maximum:
            break
    return result


def expand_series(inp: EventInput, *, limit: int = MAX_OCCURRENCES) -> list[EventInput]:
    """One EventInput per occurrence of a recurring event (the event itself if it has no
    ``recurrence``). Each keeps ``recurrence``, which describes the series it belongs to (the
    summary says "Repeats monthly on the third Thursday…"); builders never expand again."""
    if inp.recurrence is None:
        return [inp]
    return [
        dataclasses.replace(inp, start_time=o.start, end_time=o.end)
        for o in occurrences(
            inp.recurrence, inp.start_time, inp.end_time, inp.timezone, limit=limit
        )
    ]


def rrule(rule: Recurrence) -> str:
    """The rule as an iCalendar RRULE value: ``FREQ=MONTHLY;BYDAY=3TH;COUNT=12``."""
    parts = [f"FREQ={rule.frequency.upper()}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.by_day:
        parts.append("BYDAY=" + ",".join(str(d) for d in rule.by_day))
    if rule.frequency == "weekly":
        parts.append("WKST=" + WEEKDAYS[0])
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    if rule.until is not None:
        parts.append("UNTIL=" + rule.until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)
