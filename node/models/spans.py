"""Classes of duration of events, shared by the tables that hold events (``item.span_class``,
``network_item.span_class``) and their readers. Pure: the standard library alone.

An event's span class is the first k whose SPANS[k] it lasts no longer than. Class k lasts at
most LASTING·4^k, so one still running at ``since`` started in [since - SPANS[k], since): each
class is a range of an index closed on both sides (node/features/networks/event_ranges.py,
own_ranges.py). The last class outlasts anything a datetime can hold (year 1 to 9999: under
3,652,059 days; 4^11 is 4,194,304), so every event has a class and every class a bound.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NO_END = timedelta(hours=12)  # an event without an end is over this long after its start
LASTING = timedelta(days=1)  # the longest an event of span class 0 lasts
SPAN_BASE = 4
SPANS = tuple(LASTING * SPAN_BASE**k for k in range(12))


def over_at(start: datetime | None, end: datetime | None) -> datetime | None:
    """An event's effective end: ``end`` (not before ``start``), else ``start`` + NO_END."""
    if start is None:
        return None
    return max(end, start) if end is not None else start + NO_END


def span_class(start: datetime | None, ends: datetime | None) -> int:
    """The first k whose SPANS[k] an event from ``start`` to ``ends`` lasts no longer than (0
    for one of a day or less, or without a start)."""
    if start is None or ends is None:
        return 0
    length = ends - start
    return next((k for k, span in enumerate(SPANS) if length <= span), len(SPANS) - 1)


def event_class(start: datetime | None, end: datetime | None) -> int:
    """The class of an event from ``start`` to ``end`` (None: it is over NO_END after its
    start, see :func:`over_at`)."""
    return span_class(start, over_at(start, end))


def started_from(since: datetime, span: timedelta) -> datetime:
    """``since`` - ``span``, or the earliest datetime when that is earlier (the last classes
    reach back past year 1)."""
    earliest = datetime.min.replace(tzinfo=UTC)
    return since - span if since - earliest > span else earliest


def class_lowers(since: datetime, after: datetime | None = None) -> list[datetime]:
    """Where each class's range of the events still running at ``since`` begins: ``since`` -
    SPANS[k], or ``after`` (a cursor's start) when that is later, so the index is entered
    where the page goes on."""
    lowers = [started_from(since, span) for span in SPANS]
    return lowers if after is None else [max(lower, after) for lower in lowers]
