"""Our iCalendar writer, read back by the independent ``icalendar`` parser: escaping, folding by
octets (never inside a UTF-8 character), parameters and times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from node.features.feeds import icstext

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _parse_event(*lines: str) -> Calendar:
    body = icstext.component(
        "VCALENDAR",
        [icstext.prop("VERSION", "2.0"), icstext.prop("PRODID", "-//t//EN"),
         icstext.component("VEVENT", [icstext.prop("UID", "u"), *lines])],
    )  # fmt: skip
    for line in body.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line
    return Calendar.from_ical(body)


@given(st.text(max_size=400))
def test_any_text_reads_back_as_written_without_its_control_characters(value: str) -> None:
    cal = _parse_event(icstext.prop("SUMMARY", icstext.text(value)))
    [event] = cal.walk("VEVENT")
    expected = _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    assert str(event["SUMMARY"]) == expected


def test_long_lines_fold_between_characters_of_any_width() -> None:
    title = "Assemblée générale — économie solidaire 🌱 " * 6
    line = icstext.prop("SUMMARY", icstext.text(title))
    assert line.count("\r\n ") >= 4
    for part in line.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
    [event] = _parse_event(line).walk("VEVENT")
    assert str(event["SUMMARY"]) == title


def test_parameters_with_separators_are_quoted_and_quotes_dropped() -> None:
    line = icstext.prop("ORGANIZER", "https://a.example/@x", {"CN": 'Seeds; Tools, "and" More:'})
    [event] = _parse_event(line).walk("VEVENT")
    assert event["ORGANIZER"].params["CN"] == "Seeds; Tools, and More:"


def test_times_in_a_zone_and_in_utc() -> None:
    start = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # the night Europe/Madrid moves to summer time
    madrid = ZoneInfo("Europe/Madrid")
    lines = [
        icstext.prop("DTSTART", icstext.local(start.astimezone(madrid)), {"TZID": "Europe/Madrid"}),
        icstext.prop("DTSTAMP", icstext.utc(start)),
        icstext.prop(
            "REFRESH-INTERVAL", icstext.duration(timedelta(hours=1)), {"VALUE": "DURATION"}
        ),
    ]
    [event] = _parse_event(*lines).walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTSTAMP") == start
    assert icstext.duration(timedelta(minutes=90)) == "PT1H30M"
    assert icstext.duration(timedelta(0)) == "PT0S"
