"""Times, zones and recurring series in the API input.

Times are given with an offset, or as local wall times with ``timezone`` (an IANA id); they are
stored as UTC plus the zone. A series is bounded (``count`` or ``until``) and anchored at
``startTime``; its rule is a small subset of RFC 5545 RRULE: weekly or monthly, ``byDay`` like
``TU,TH`` or ``3TH`` (third Thursday) / ``-1FR`` (last Friday).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo

from node.content.fields.parse import read_choice, read_int, read_list, read_object, sub_path
from node.content.fields.types import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_OCCURRENCES,
    MAX_SERIES_YEARS,
    WEEKDAYS,
    ByDay,
    FieldError,
    Frequency,
    Recurrence,
)

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?$"
)
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ZONE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}$")
_BYDAY_RE = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")


def read_zone(value: Any, path: str) -> ZoneInfo:
    """An IANA time zone."""
    if not isinstance(value, str) or not _ZONE_RE.match(value) or len(value) > 64:
        raise FieldError(path, "must be an IANA time zone such as America/New_York")
    try:
        return ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, ValueError, OSError for odd keys
        raise FieldError(path, f"{value!r} is not a known IANA time zone") from None


def parse_datetime(value: Any, path: str) -> datetime:
    """RFC 3339 date-time, with or without an offset (naive when without)."""
    if not isinstance(value, str) or len(value) > 40:
        raise FieldError(path, "must be a date and time like 2026-12-17T18:00:00-05:00")
    match = _DATETIME_RE.match(value.strip())
    if match is None:
        raise FieldError(path, "must be a date and time like 2026-12-17T18:00:00-05:00")
    y, mo, d, h, mi, s, _frac, z, sign, oh, om = match.groups()
    try:
        tzinfo: timezone | None = None
        if z:
            tzinfo = UTC
        elif sign:
            offset = timedelta(hours=int(oh), minutes=int(om))
            tzinfo = timezone(-offset if sign == "-" else offset)
        # Seconds precision is what we publish; fractions are dropped.
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=tzinfo)
    except ValueError:
        raise FieldError(path, f"{value!r} is not a valid date and time") from None


def to_utc(moment: datetime, zone: ZoneInfo, path: str) -> datetime:
    """UTC for an aware datetime, or for a wall time in ``zone``.

    A wall time that occurs twice (when clocks go back) means the first one, as RFC 5545 says; a
    wall time that does not exist (clocks go forward) is refused rather than guessed.
    """
    if not EARLIEST_YEAR - 1 <= moment.year <= LATEST_YEAR:
        raise FieldError(path, "must be between the years 2000 and 2099")
    if moment.tzinfo is not None:
        result = moment.astimezone(UTC)
    else:
        local = moment.replace(tzinfo=zone, fold=0)
        result = local.astimezone(UTC)
        if result.astimezone(zone).replace(tzinfo=None) != moment:
            raise FieldError(
                path,
                f"{moment:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip that "
                "hour for daylight saving time",
            )
    if not EARLIEST_YEAR <= result.year < LATEST_YEAR:
        raise FieldError(path, "must be between the years 2000 and 2099")
    return result


def zone_for(given: Any, moments: list[tuple[datetime, str]], zone_path: str) -> ZoneInfo:
    """The display zone: the given one, or one derived from a UTC offset when none was given."""
    if given is not None:
        return read_zone(given, zone_path)
    naive = [path for moment, path in moments if moment.tzinfo is None]
    if naive:
        raise FieldError(
            zone_path,
            f"is required when {naive[0]} has no UTC offset (an IANA zone such as America/New_York)",
        )
    offset = moments[0][0].utcoffset() or timedelta(0)
    seconds = int(offset.total_seconds())
    if seconds == 0:
        return ZoneInfo("UTC")
    if seconds % 3600 == 0 and -12 <= seconds // 3600 <= 14:
        # IANA's fixed-offset zones have the POSIX sign: Etc/GMT+5 is UTC-05:00.
        return ZoneInfo(f"Etc/GMT{-seconds // 3600:+d}")
    raise FieldError(zone_path, "is required (an IANA zone such as Asia/Kolkata)")


def read_deadline(value: Any, path: str, zone: ZoneInfo) -> datetime | None:
    """A date (the end of that day in ``zone``) or a date and time, as UTC."""
    if value is None:
        return None
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(path, f"{value!r} is not a valid date") from None
        # A date means "until the end of that day" where the author is.
        return to_utc(datetime.combine(day, time(23, 59, 59)), zone, path)
    return to_utc(parse_datetime(value, path), zone, path)


# --------------------------------------------------------------------------- recurrence


def read_by_day(value: Any, path: str, frequency: str) -> tuple[ByDay, ...]:
    """``byDay``: ``TU,TH``/``["TU", "TH"]`` (weekly) or ``3TH``/``-1FR`` (monthly)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [t.strip() for t in value.split(",")]
    else:
        items = read_list(value, path, 7)
    if not items or len(items) > 7:
        raise FieldError(path, "must list 1 to 7 days")
    result: list[ByDay] = []
    for index, item in enumerate(items):
        sub = path if isinstance(value, str) else sub_path(path, index)
        match = _BYDAY_RE.match(item.strip().upper()) if isinstance(item, str) else None
        if match is None:
            raise FieldError(sub, "must be like TH, 3TH (third Thursday) or -1FR (last Friday)")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal == 0:
            raise FieldError(sub, "the ordinal must be 1 to 5 or -1 to -5")
        if frequency == "weekly" and ordinal is not None:
            raise FieldError(sub, "weekly series take plain days (MO, TU…), without an ordinal")
        if frequency == "monthly" and ordinal is None:
            raise FieldError(
                sub, "monthly series need an ordinal: 3TH (third Thursday), -1FR (last Friday)"
            )
        day = ByDay(WEEKDAYS.index(match.group(2)), ordinal)
        if day not in result:
            result.append(day)
    return tuple(result)


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date | None:
    """The ``ordinal``-th ``weekday`` (0 = Monday) of a month; negative counts from the end.
    None when the month has no such day (a fifth Thursday)."""
    if ordinal > 0:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))
    else:
        following = date(year + (month == 12), month % 12 + 1, 1)
        last = following - timedelta(days=1)
        day = last - timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-ordinal - 1))
    return day if day.month == month else None


def read_recurrence(value: Any, path: str, start: datetime, zone: ZoneInfo) -> Recurrence | None:
    """A bounded series anchored at ``start``, which must fall on one of its days."""
    if value is None:
        return None
    keys = frozenset({"frequency", "interval", "byDay", "count", "until"})
    data = read_object(value, path, keys)
    frequency = cast(
        Frequency,
        read_choice(data.get("frequency"), sub_path(path, "frequency"), get_args(Frequency)),
    )
    top = 12 if frequency == "monthly" else 52
    interval = (
        1
        if data.get("interval") is None
        else read_int(data["interval"], sub_path(path, "interval"), 1, top)
    )
    by_day = read_by_day(data.get("byDay"), sub_path(path, "byDay"), frequency)
    count = (
        None
        if data.get("count") is None
        else read_int(data["count"], sub_path(path, "count"), 1, MAX_OCCURRENCES)
    )
    until = read_deadline(data.get("until"), sub_path(path, "until"), zone)
    if (count is None) == (until is None):
        raise FieldError(path, "give either count or until (a series must end)")
    if until is not None:
        if until < start:
            raise FieldError(sub_path(path, "until"), "must not be before startTime")
        if until > start + timedelta(days=366 * MAX_SERIES_YEARS):
            raise FieldError(
                sub_path(path, "until"), f"must be within {MAX_SERIES_YEARS} years of startTime"
            )
    local = start.astimezone(zone).date()
    if by_day and frequency == "weekly" and all(d.weekday != local.weekday() for d in by_day):
        raise FieldError(
            sub_path(path, "byDay"), f"startTime ({local:%A}) is not one of these days"
        )
    if (
        by_day
        and frequency == "monthly"
        and not any(
            nth_weekday(local.year, local.month, d.weekday, d.ordinal or 1) == local for d in by_day
        )
    ):
        wanted = " or ".join(_describe_day(d) for d in by_day)
        raise FieldError(
            sub_path(path, "byDay"),
            f"startTime ({local:%A %d %B %Y}) is not the {wanted} of its month",
        )
    return Recurrence(frequency, interval, by_day, count, until)


_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last",
             -2: "second-to-last", -3: "third-to-last", -4: "fourth-to-last", -5: "fifth-to-last"}  # fmt: skip
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _describe_day(day: ByDay) -> str:
    name = _DAY_NAMES[day.weekday]
    return f"{_ORDINALS[day.ordinal]} {name}" if day.ordinal else name


def describe_days(days: tuple[ByDay, ...]) -> str:
    """``(3TH,)`` -> "third Thursday"; ``(TU, TH)`` -> "Tuesday and Thursday"."""
    names = [_describe_day(d) for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
