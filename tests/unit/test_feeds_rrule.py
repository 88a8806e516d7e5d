"""The RRULE a calendar carries for a series gives the very dates this node publishes: each rule is
expanded by python-dateutil (as calendar libraries do) and compared with
:func:`node.content.series.occurrences`, across daylight-saving changes and month ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from node.content.fields.times import nth_weekday
from node.content.fields.types import MAX_OCCURRENCES, ByDay, Frequency, Recurrence
from node.content.series import occurrences
from node.features.feeds.series import series_rrule

FREQUENCIES: list[Frequency] = ["weekly", "monthly"]
ZONES = ["Europe/London", "America/New_York", "America/Sao_Paulo", "Australia/Sydney", "UTC"]


def expand(rule: Recurrence, start: datetime, zone: str) -> list[datetime]:
    """The dates a client computes from DTSTART;TZID=zone and our RRULE, in UTC."""
    found = occurrences(rule, start, start + timedelta(hours=1), zone)
    text = series_rrule(rule, found)
    dates = rrulestr(text, dtstart=found[0].start.astimezone(ZoneInfo(zone)))
    return [d.astimezone(UTC) for d in dates]


def ours(rule: Recurrence, start: datetime, zone: str) -> list[datetime]:
    return [o.start for o in occurrences(rule, start, start + timedelta(hours=1), zone)]


def test_third_thursdays_in_manchester_keep_their_local_time_across_the_clock_change() -> None:
    rule = Recurrence("monthly", by_day=(ByDay(3, 3),), count=12)
    start = datetime(2027, 1, 21, 18, 30, tzinfo=ZoneInfo("Europe/London"))
    got = expand(rule, start, "Europe/London")
    assert got == ours(rule, start, "Europe/London")
    assert len(got) == 12
    assert {d.astimezone(ZoneInfo("Europe/London")).hour for d in got} == {18}
    assert {d.hour for d in got} == {17, 18}  # 18:30 BST is 17:30 UTC


def test_a_weekly_series_ten_years_long_ends_where_ours_is_cut() -> None:
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    rule = Recurrence("weekly", until=start + timedelta(days=3650))
    found = occurrences(rule, start, start + timedelta(hours=1), "UTC")
    assert len(found) == MAX_OCCURRENCES
    assert series_rrule(rule, found).endswith(f"COUNT={MAX_OCCURRENCES}")
    assert expand(rule, start, "UTC") == [o.start for o in found]


@st.composite
def series(draw: st.DrawFn) -> tuple[Recurrence, datetime, str]:
    zone = draw(st.sampled_from(ZONES))
    day = draw(
        st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2030, 12, 31).date())
    )
    hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45]))
    frequency = draw(st.sampled_from(FREQUENCIES))
    interval = draw(st.integers(1, 4))
    by_day: tuple[ByDay, ...] = ()
    if frequency == "weekly" and draw(st.booleans()):
        extra = draw(st.sets(st.integers(0, 6), max_size=3))
        by_day = tuple(ByDay(d) for d in sorted(extra | {day.weekday()}))
    elif frequency == "monthly" and draw(st.booleans()):
        ordinal = draw(st.sampled_from([1, 2, 3, 4, -1, -2]))
        found = nth_weekday(day.year, day.month, day.weekday(), ordinal)
        if found is not None:
            day, by_day = found, (ByDay(found.weekday(), ordinal),)
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    if draw(st.booleans()):
        rule = Recurrence(frequency, interval, by_day, count=draw(st.integers(1, 40)))
    else:
        until = start + timedelta(days=draw(st.integers(0, 900)))
        rule = Recurrence(frequency, interval, by_day, until=until.astimezone(UTC))
    return rule, start.astimezone(UTC), zone


@settings(max_examples=300, deadline=None)
@given(series())
def test_every_rule_expands_to_our_dates(case: tuple[Recurrence, datetime, str]) -> None:
    rule, start, zone = case
    assert expand(rule, start, zone) == ours(rule, start, zone)
