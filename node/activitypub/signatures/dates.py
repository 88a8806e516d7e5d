"""HTTP dates: the ``Date`` header we send, the ones we read, and clock arithmetic."""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from email.utils import formatdate, parsedate_tz
from functools import lru_cache

__all__ = ["epoch", "http_date", "parse_http_date", "span"]


def http_date(now: float | datetime) -> str:
    """Format an instant as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    return formatdate(epoch(now), usegmt=True)


def epoch(now: float | datetime) -> float:
    """Seconds since the epoch of a clock reading (a float, or a timezone-aware datetime)."""
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("a datetime clock must be timezone-aware")
        return now.timestamp()
    return float(now)


def span(seconds: float) -> str:
    """A duration for error messages: ``40 s``, ``65 min``, ``3 h 5 min``."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return f"{abs(seconds):.0f} s"
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT"
)


@lru_cache(maxsize=64)
def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP date (any of the three forms), or None."""
    # Cached: Date has one-second resolution, so a burst of deliveries repeats the same few.
    value = value.strip()
    if len(value) > 64:
        return None
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        month_no = _MONTHS.get(month)
        if month_no is None or int(hour) > 23 or int(minute) > 59 or int(second) > 60:
            return None
        fields = (int(year), month_no, int(day), int(hour), int(minute), int(second))
        return float(calendar.timegm(fields))
    # The obsolete RFC 850 and asctime forms, which HTTP recipients must still accept; both
    # are GMT, so a missing zone means UTC (not the local zone mktime would assume).
    try:
        parsed = parsedate_tz(value)
        if parsed is None:
            return None
        return float(calendar.timegm(parsed[:6]) - (parsed[9] or 0))
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
