"""The pieces of the Mastodon text: time ranges in their zone, deadlines, series, accessibility."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from node.content.fields import Accessibility, ByDay, Recurrence
from node.content.summary import accessibility_text, format_moment, format_when, recurrence_text


@pytest.mark.parametrize(
    ("start", "end", "zone", "text"),
    [
        (datetime(2026, 12, 17, 23, tzinfo=UTC), datetime(2026, 12, 18, 1, tzinfo=UTC), "America/New_York",
         "Thu 17 Dec 2026, 18:00\u201320:00 EST (America/New_York)"),
        (datetime(2026, 7, 16, 17, 30, tzinfo=UTC), datetime(2026, 7, 16, 19, tzinfo=UTC), "Europe/London",
         "Thu 16 Jul 2026, 18:30\u201320:00 BST (Europe/London)"),
        (datetime(2026, 3, 8, 6, tzinfo=UTC), datetime(2026, 3, 8, 8, tzinfo=UTC), "America/New_York",
         "Sun 8 Mar 2026, 01:00 EST\u201304:00 EDT (America/New_York)"),
        (datetime(2026, 11, 3, 15, tzinfo=UTC), datetime(2026, 11, 5, 22, tzinfo=UTC), "America/New_York",
         "Tue 3 Nov 2026, 10:00 \u2013 Thu 5 Nov 2026, 17:00 EST (America/New_York)"),
        (datetime(2026, 12, 17, 18, tzinfo=UTC), datetime(2026, 12, 17, 19, tzinfo=UTC), "UTC",
         "Thu 17 Dec 2026, 18:00\u201319:00 UTC"),
        (datetime(2026, 12, 17, 12, 30, tzinfo=UTC), datetime(2026, 12, 17, 14, tzinfo=UTC), "Asia/Kolkata",
         "Thu 17 Dec 2026, 18:00\u201319:30 IST (Asia/Kolkata)"),
        (datetime(2026, 12, 17, 12, tzinfo=UTC), datetime(2026, 12, 17, 13, tzinfo=UTC), "America/Sao_Paulo",
         "Thu 17 Dec 2026, 09:00\u201310:00 UTC-03:00 (America/Sao_Paulo)"),
    ],
)  # fmt: skip
def test_format_when(start: datetime, end: datetime, zone: str, text: str) -> None:
    assert format_when(start, end, zone) == text


def test_format_moment_shows_a_date_for_an_end_of_day_deadline() -> None:
    assert (
        format_moment(datetime(2027, 1, 16, 4, 59, 59, tzinfo=UTC), "America/New_York")
        == "Fri 15 Jan 2027"
    )
    assert format_moment(datetime(2027, 1, 15, 22, 0, tzinfo=UTC), "America/New_York") == (
        "Fri 15 Jan 2027, 17:00 EST (America/New_York)"
    )


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Recurrence("monthly", 1, (ByDay(3, 3),), 12), "Repeats monthly on the third Thursday, 12 times"),
        (Recurrence("monthly", 2, (ByDay(4, -1),), 1), "Repeats every 2 months on the last Friday, once"),
        (Recurrence("weekly", 1, (ByDay(1), ByDay(3)), 8), "Repeats weekly on Tuesday and Thursday, 8 times"),
        (Recurrence("weekly", 2, (), None, datetime(2027, 1, 1, 4, 59, 59, tzinfo=UTC)), "Repeats every 2 weeks, until Thu 31 Dec 2026"),
    ],
)  # fmt: skip
def test_recurrence_text(rule: Recurrence, text: str) -> None:
    assert recurrence_text(rule, "America/New_York") == text


def test_accessibility_text() -> None:
    full = Accessibility(
        True, True, ("es", "fr", "ht"), "partially", "Quiet room on the first floor."
    )
    assert accessibility_text(full) == (
        "live captioning; sign language interpretation; interpretation into Spanish, French and "
        "Haitian Creole; partly wheelchair accessible; Quiet room on the first floor."
    )
    assert accessibility_text(Accessibility(wheelchair="no")) == "not wheelchair accessible"
    assert accessibility_text(Accessibility()) == ""
