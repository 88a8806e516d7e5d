"""The API input validators: every field's rule, the path and message of every FieldError, time
zones across daylight-saving changes, PATCH merging, and (Hypothesis) that arbitrary JSON never
raises anything but FieldError."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.content.fields import (
    CATEGORIES,
    Accessibility,
    ByDay,
    FieldError,
    merge,
    nth_weekday,
    validate_call,
    validate_event,
    validate_news,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "content"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Monthly peer support forum",
        "startTime": "2026-12-17T18:00:00",
        "endTime": "2026-12-17T20:00:00",
        "timezone": "America/New_York",
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def call(**changes: Any) -> dict[str, Any]:
    base = load("call_group_purchasing.json")
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def error_of(validator: Any, data: Any) -> tuple[str, str]:
    with pytest.raises(FieldError) as info:
        validator(data)
    return info.value.field, info.value.message


# --------------------------------------------------------------------------- the demo data


def test_the_conference_and_its_sessions_validate() -> None:
    data = load("conference.json")
    conference = validate_event(data["conference"])
    assert conference.name == "Strengthening the Solidarity Economy Together"
    assert conference.timezone == "America/New_York"
    # 3 Nov 2026 is after the November change: 10:00 EST is 15:00 UTC.
    assert conference.start_time == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    assert conference.end_time == datetime(2026, 11, 5, 22, 0, tzinfo=UTC)
    # A virtual conference: a url and a name only is an online location, named.
    assert conference.location is not None and conference.location.is_online_only
    assert conference.location.online_name == "NEC virtual venue"
    assert conference.accessibility == Accessibility(
        captioning=True,
        interpretation=("es", "fr"),
        notes="Captions in every session; ask for other languages when you register.",
    )
    assert conference.languages == ("en", "es")
    assert dict(conference.name_map) == {"es": "Fortaleciendo juntos la economía solidaria"}
    assert conference.image is not None and conference.image.media_type == "image/png"
    keynote, workshop, coffee = (validate_event(s) for s in data["sessions"])
    assert keynote.track == "Innovation in Action"
    assert [s.name for s in keynote.speakers] == ["Aisha Thompson", "Marisol Vega"]
    assert keynote.speakers[1].url is None
    assert keynote.room is not None and keynote.room.name == "Plenary hall"
    assert workshop.maximum_attendee_capacity == 40
    assert workshop.speakers[0].name == "Dev Patel & the <Policy> Circle"
    assert coffee.join_mode == "none"
    assert coffee.room is not None and coffee.room.name is None


def test_the_forum_series_validates_on_the_third_thursday() -> None:
    forum = validate_event(load("forum_series.json"))
    assert forum.recurrence is not None
    assert forum.recurrence.by_day == (ByDay(weekday=3, ordinal=3),)
    assert str(forum.recurrence.by_day[0]) == "3TH"
    assert forum.recurrence.count == 12
    assert forum.location is not None and forum.location.place is not None
    assert forum.location.place.latitude == pytest.approx(53.4808)


def test_the_call_and_the_news_validate() -> None:
    c = validate_call(load("call_group_purchasing.json"))
    assert (c.purpose, c.action, c.region) == ("request", "transfer", "New England")
    assert c.quantity is not None and c.quantity.value == Decimal(25)
    # A deadline given as a date means the end of that day where the author is (EST).
    assert c.deadline == datetime(2027, 1, 16, 4, 59, 59, tzinfo=UTC)
    n = validate_news(load("news_share_stories.json"))
    assert n.kind == "announcement" and n.image is not None


# --------------------------------------------------------------------------- times and zones


def test_local_times_are_read_in_the_zone_across_the_march_change() -> None:
    before = validate_event(event(startTime="2026-03-05T18:00:00", endTime="2026-03-05T20:00:00"))
    after = validate_event(event(startTime="2026-03-12T18:00:00", endTime="2026-03-12T20:00:00"))
    assert before.start_time.hour == 23  # EST, UTC-5
    assert after.start_time.hour == 22  # EDT, UTC-4


def test_an_offset_is_kept_as_the_instant_whatever_the_zone_says() -> None:
    e = validate_event(event(startTime="2026-12-17T23:00:00Z", endTime="2026-12-18T01:00:00Z"))
    assert e.start_time == datetime(2026, 12, 17, 23, 0, tzinfo=UTC)
    assert e.timezone == "America/New_York"


def test_without_a_zone_a_whole_hour_offset_gives_a_fixed_zone() -> None:
    e = validate_event(
        event(
            timezone=None,
            startTime="2026-12-17T18:00:00-05:00",
            endTime="2026-12-17T20:00:00-05:00",
        )
    )
    assert e.timezone == "Etc/GMT+5"  # POSIX sign: five hours behind UTC
    utc = validate_event(
        event(timezone=None, startTime="2026-12-17T18:00:00Z", endTime="2026-12-17T20:00:00Z")
    )
    assert utc.timezone == "UTC"


def test_a_time_that_occurs_twice_in_november_means_the_first() -> None:
    e = validate_event(event(startTime="2026-11-01T01:30:00", endTime="2026-11-01T03:00:00"))
    assert e.start_time == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_fractions_of_seconds_are_dropped() -> None:
    e = validate_event(event(startTime="2026-12-17T18:00:00.123456", endTime="2026-12-17T20:00:00"))
    assert e.start_time.microsecond == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"startTime": None}, "startTime", "is required"),
        ({"endTime": None}, "endTime", "is required"),
        ({"startTime": "17/12/2026 18:00"}, "startTime", "must be a date and time"),
        ({"startTime": "2026-02-30T18:00:00"}, "startTime", "is not a valid date and time"),
        ({"startTime": 1766012400}, "startTime", "must be a date and time"),
        ({"startTime": "2026-03-08T02:30:00", "endTime": "2026-03-08T04:00:00"}, "startTime", "does not exist in America/New_York"),
        ({"endTime": "2026-12-17T17:00:00"}, "endTime", "must be after startTime"),
        ({"endTime": "2026-12-17T18:00:00"}, "endTime", "must be after startTime"),
        ({"endTime": "2027-06-17T18:00:00"}, "endTime", "within 90 days"),
        ({"startTime": "1999-12-17T18:00:00", "endTime": "1999-12-17T20:00:00"}, "startTime", "between the years 2000 and 2099"),
        ({"startTime": "9999-12-31T23:00:00-23:59", "endTime": "9999-12-31T23:30:00-23:59"}, "startTime", "between the years"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a known IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "must be an IANA time zone"),
        ({"timezone": None}, "timezone", "is required when startTime has no UTC offset"),
        ({"timezone": None, "startTime": "2026-12-17T18:00:00+05:30", "endTime": "2026-12-17T20:00:00+05:30"}, "timezone", "is required"),
    ],
)  # fmt: skip
def test_time_errors_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    got_field, got_message = error_of(validate_event, event(**changes))
    assert got_field == field
    assert message in got_message


# --------------------------------------------------------------------------- every other field


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "", "must be a JSON object"),
        ("event", "", "must be a JSON object"),
        (event(starttime="x"), "starttime", "unknown field (did you mean startTime?)"),
        (event(**{"@context": "https://www.w3.org/ns/activitystreams"}), "@context", "unknown field"),
        (event(name=None), "name", "is required"),
        (event(name="  "), "name", "must not be empty"),
        (event(name="Hi"), "name", "at least 3 characters"),
        (event(name="x" * 201), "name", "at most 200 characters"),
        (event(name="Two\nlines"), "name", "single line"),
        (event(name="Null\x00byte"), "name", "control characters"),
        (event(name="lone \ud800 surrogate"), "name", "not valid Unicode"),
        (event(name=42), "name", "must be a string"),
        (event(content="x" * 20_001), "content", "at most 20000"),
        (event(summary="x" * 1001), "summary", "at most 1000"),
        (event(location="Community Hall"), "location", "must be an object"),
        (event(location={}), "location", "give a place"),
        (event(location={"url": "ftp://files.example.org/x"}), "location.url", "http:// or https://"),
        (event(location={"url": "javascript:alert(1)"}), "location.url", "http:// or https://"),
        (event(location={"url": "https://user:pw@example.org/"}), "location.url", "user name or password"),
        (event(location={"url": "https:///nohost"}), "location.url", "no host"),
        (event(location={"url": "https://[::1"}), "location.url", "not a valid URL"),
        (event(location={"url": "https://a.example/" + "x" * 2000}), "location.url", "at most 2000"),
        (event(location={"url": "https://a.example/with space"}), "location.url", "without spaces"),
        (event(location={"name": "Hall", "latitude": 40.7}), "location.longitude", "with the other coordinate"),
        (event(location={"name": "Hall", "latitude": 91, "longitude": 0}), "location.latitude", "between -90 and 90"),
        (event(location={"name": "Hall", "latitude": 10, "longitude": "0"}), "location.longitude", "must be a number"),
        (event(location={"name": "Hall", "latitude": True, "longitude": 0}), "location.latitude", "must be a number"),
        (event(location={"latitude": 10, "longitude": 10}), "location.name", "needs a name or an address"),
        (event(location={"name": "Hall", "address": {}}), "location.address", "is empty"),
        (event(location={"name": "Hall", "address": {"zip": "01101"}}), "location.address.zip", "unknown field"),
        (event(location={"name": "Hall", "address": {"postalCode": 1101}}), "location.address.postalCode", "must be a string"),
        (event(location={"name": "Hall", "address": {"postalCode": "x" * 201}}), "location.address.postalCode", "at most 200"),
        (event(joinMode="open"), "joinMode", "must be one of: free, restricted, external, invite, none"),
        (event(joinMode="external"), "externalParticipationUrl", "is required when joinMode is external"),
        (event(externalParticipationUrl="https://tickets.example.org/x"), "externalParticipationUrl", "only used when joinMode is external"),
        (event(joinMode="external", externalParticipationUrl="mailto:a@example.org"), "externalParticipationUrl", "http:// or https://"),
        (event(maximumAttendeeCapacity=0), "maximumAttendeeCapacity", "between 1 and 1000000"),
        (event(maximumAttendeeCapacity=10**30), "maximumAttendeeCapacity", "between 1 and 1000000"),
        (event(maximumAttendeeCapacity=12.5), "maximumAttendeeCapacity", "whole number"),
        (event(maximumAttendeeCapacity=True), "maximumAttendeeCapacity", "whole number"),
        (event(maximumAttendeeCapacity=float("nan")), "maximumAttendeeCapacity", "whole number"),
        (event(category="CLIMATE_ENVIRONMENT"), "category", "must be one of"),
        (event(category=["MEETING"]), "category", "must be one of"),
        (event(tags="SolidarityEconomy"), "tags", "must be a list"),
        (event(tags=["ok"] * 21), "tags", "at most 20 entries"),
        (event(tags=["solidarity economy"]), "tags[0]", "letters, digits and _"),
        (event(tags=["ok", "2026"]), "tags[1]", "at least one letter"),
        (event(tags=["ok", 7]), "tags[1]", "must be a string"),
        (event(image={"url": "https://a.example/banner"}), "image.mediaType", "cannot be told from the URL"),
        (event(image={"url": "https://a.example/banner.png"}), "image.name", "describe the image"),
        (event(image={"url": "https://a.example/b.svg", "mediaType": "image/svg+xml", "name": "x"}), "image.mediaType", "must be one of"),
        (event(image={"url": "https://a.example/b.png", "name": "x" * 1501}), "image.name", "at most 1500"),
        (event(image={"href": "https://a.example/b.png"}), "image.href", "unknown field"),
        (event(image={"name": "alt"}), "image.url", "is required"),
        (event(languages="en"), "languages", "must be a list"),
        (event(languages=["english"]), "languages[0]", "is not a language tag"),
        (event(languages=["en"] * 11), "languages", "at most 10"),
        (event(nameMap={"es": "Foro mensual"}), "languages", "is required with nameMap"),
        (event(languages=["en"], nameMap={"en": "Another name"}), "nameMap.en", "differs from the default text"),
        (event(languages=["en"], nameMap={"xx-yyyyyyyyyy": "x"}), "nameMap.xx-yyyyyyyyyy", "is not a language tag"),
        (event(languages=["en"], nameMap={"es": "Hi"}), "nameMap.es", "at least 3"),
        (event(languages=["en"], nameMap=["es"]), "nameMap", "must be an object"),
        (event(languages=["en"], summaryMap={"es": "Hola"}), "summary", "is required with summaryMap"),
        (event(accessibility={"captioning": "yes"}), "accessibility.captioning", "true or false"),
        (event(accessibility={"wheelchair": "some"}), "accessibility.wheelchair", "no, partially, fully"),
        (event(accessibility={"interpretation": ["Spanish"]}), "accessibility.interpretation[0]", "not a language tag"),
        (event(accessibility={"ramps": True}), "accessibility.ramps", "unknown field"),
        (event(status="canceled"), "status", "must be one of"),
        (event(status="movedOnline"), "location.url", "required when the event moved online"),
        (event(parent="conference-1"), "parent", "http:// or https://"),
        (event(track="x" * 101), "track", "at most 100"),
        (event(speakers=[{"name": "Ana", "url": "ftp://x"}]), "speakers[0].url", "http:// or https://"),
        (event(speakers=[{"url": "https://a.example"}]), "speakers[0].name", "is required"),
        (event(speakers=["Ana"]), "speakers[0]", "must be an object"),
        (event(speakers=[{"name": "x"}] * 51), "speakers", "at most 50"),
        (event(room="room-2"), "room", "http:// or https://"),
        (event(room="Room 2"), "room", "without spaces"),
        (event(room={"name": "Room 2"}), "room.url", "is required"),
        (event(room=7), "room", "must be a URL or an object"),
    ],
)  # fmt: skip
def test_every_field_error_has_a_path_and_a_message(data: Any, field: str, message: str) -> None:
    got_field, got_message = error_of(validate_event, data)
    assert got_field == field
    assert message in got_message, got_message


def test_strings_are_trimmed_and_normalized() -> None:
    e = validate_event(
        event(name="  Cafe\u0301 forum  ", tags=["#Solidarity", "solidarity", "NEC"])
    )
    assert e.name == "Café forum"  # NFC
    assert e.tags == ("Solidarity", "NEC")  # '#' dropped, duplicates (any case) merged


def test_location_forms_place_online_and_hybrid() -> None:
    place = validate_event(event(location={"name": "Community Hall"})).location
    online = validate_event(
        event(location={"url": "https://meet.example.org/x", "name": "Jitsi"})
    ).location
    hybrid = validate_event(
        event(
            location={
                "name": "Hall",
                "address": {"addressLocality": "Springfield"},
                "url": "https://meet.example.org/x",
            }
        )
    ).location
    assert place is not None and place.place is not None and place.online_url is None
    assert online is not None and online.is_online_only and online.online_name == "Jitsi"
    assert hybrid is not None and hybrid.is_hybrid and not hybrid.is_online_only


def test_accessibility_as_plain_notes_and_empty() -> None:
    assert validate_event(event(accessibility="Step-free entrance")).accessibility == Accessibility(
        notes="Step-free entrance"
    )
    assert validate_event(event(accessibility={"captioning": False})).accessibility is None


def test_categories_are_the_shared_list_case_insensitively() -> None:
    assert validate_event(event(category="movements_politics")).category == "MOVEMENTS_POLITICS"
    # Mobilizon 5 and FEP-8a8e share these; the two spellings of climate differ, so neither.
    assert {
        "COMMUNITY",
        "CAUSES",
        "MOVEMENTS_POLITICS",
        "NETWORKING",
        "LEARNING",
        "MEETING",
    } <= CATEGORIES
    assert "CLIMATE_ENVIRONMENT" not in CATEGORIES and "CLIMAT_ENVIRONMENT" not in CATEGORIES


# --------------------------------------------------------------------------- recurrence


def test_nth_weekday() -> None:
    assert str(nth_weekday(2026, 3, 3, 3)) == "2026-03-19"  # third Thursday
    assert str(nth_weekday(2026, 10, 4, -1)) == "2026-10-30"  # last Friday
    assert nth_weekday(2026, 2, 3, 5) is None  # February 2026 has four Thursdays


@pytest.mark.parametrize(
    ("recurrence", "field", "message"),
    [
        ("monthly", "recurrence", "must be an object"),
        ({"byDay": "3TH", "count": 3}, "recurrence.frequency", "is required"),
        ({"frequency": "daily", "count": 3}, "recurrence.frequency", "weekly, monthly"),
        ({"frequency": "monthly", "byDay": "3TH"}, "recurrence", "either count or until"),
        ({"frequency": "monthly", "byDay": "3TH", "count": 3, "until": "2027-01-01"}, "recurrence", "either count or until"),
        ({"frequency": "monthly", "byDay": "TH", "count": 3}, "recurrence.byDay", "need an ordinal"),
        ({"frequency": "monthly", "byDay": "3XX", "count": 3}, "recurrence.byDay", "must be like TH, 3TH"),
        ({"frequency": "monthly", "byDay": ["3TH", 4], "count": 3}, "recurrence.byDay[1]", "must be like"),
        ({"frequency": "monthly", "byDay": "0TH", "count": 3}, "recurrence.byDay", "must be like"),
        ({"frequency": "weekly", "byDay": "3TH", "count": 3}, "recurrence.byDay", "without an ordinal"),
        ({"frequency": "monthly", "byDay": "1TH", "count": 3}, "recurrence.byDay", "is not the first Thursday"),
        ({"frequency": "weekly", "byDay": "MO,TU", "count": 3}, "recurrence.byDay", "is not one of these days"),
        ({"frequency": "monthly", "byDay": "3TH", "count": 0}, "recurrence.count", "between 1 and 366"),
        ({"frequency": "monthly", "byDay": "3TH", "count": 367}, "recurrence.count", "between 1 and 366"),
        ({"frequency": "monthly", "interval": 13, "byDay": "3TH", "count": 3}, "recurrence.interval", "between 1 and 12"),
        ({"frequency": "monthly", "byDay": "3TH", "until": "2026-01-01"}, "recurrence.until", "not be before startTime"),
        ({"frequency": "monthly", "byDay": "3TH", "until": "2040-01-01"}, "recurrence.until", "within 10 years"),
        ({"frequency": "monthly", "byDay": "3TH", "count": 3, "wkst": "MO"}, "recurrence.wkst", "unknown field"),
    ],
)  # fmt: skip
def test_recurrence_errors(recurrence: Any, field: str, message: str) -> None:
    # 17 Dec 2026 is the third Thursday of December.
    got_field, got_message = error_of(validate_event, event(recurrence=recurrence))
    assert got_field == field
    assert message in got_message, got_message


def test_weekly_series_with_several_days() -> None:
    e = validate_event(
        event(recurrence={"frequency": "weekly", "byDay": ["TU", "TH"], "until": "2027-02-01"})
    )
    assert e.recurrence is not None
    assert [str(d) for d in e.recurrence.by_day] == ["TU", "TH"]
    assert e.recurrence.until is not None and e.recurrence.until.year == 2027


# --------------------------------------------------------------------------- calls and news


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"purpose": None}, "purpose", "is required: one of offer, request"),
        ({"purpose": "need"}, "purpose", "offer, request"),
        ({"action": "buy"}, "action", "must be a ValueFlows action"),
        ({"resource": None}, "resource", "is required"),
        ({"resource": "x" * 301}, "resource", "at most 300"),
        ({"summary": "Hello"}, "summary", "content warning"),
        ({"quantity": {"value": 0}}, "quantity.value", "above 0"),
        ({"quantity": {"value": "lots"}}, "quantity.value", "must be a number"),
        ({"quantity": {"value": float("inf")}}, "quantity.value", "above 0"),
        ({"quantity": {"value": True}}, "quantity.value", "must be a number"),
        ({"quantity": {"value": 3, "unit": "kilo gram"}}, "quantity.unit", "unit name"),
        ({"quantity": "three"}, "quantity", "a number or an object"),
        ({"deadline": "2027-02-30"}, "deadline", "not a valid date"),
        ({"deadline": "soon"}, "deadline", "must be a date and time"),
        ({"resourceConformsTo": "urn:wikidata:Q43183"}, "resourceConformsTo", "http:// or https://"),
        ({"region": "x" * 201}, "region", "at most 200"),
        ({"timezone": "Europe/Nowhere"}, "timezone", "not a known IANA time zone"),
    ],
)  # fmt: skip
def test_call_errors(changes: dict[str, Any], field: str, message: str) -> None:
    got_field, got_message = error_of(validate_call, call(**changes))
    assert got_field == field
    assert message in got_message, got_message


def test_a_call_deadline_in_the_past_is_refused_when_the_clock_is_given() -> None:
    with pytest.raises(FieldError) as info:
        validate_call(call(), now=datetime(2027, 2, 1, tzinfo=UTC))
    assert info.value.field == "deadline"
    assert validate_call(call(), now=datetime(2026, 12, 1, tzinfo=UTC)).deadline is not None


def test_a_bare_number_is_a_quantity_of_ones() -> None:
    c = validate_call(call(quantity=3))
    assert c.quantity is not None and (c.quantity.value, c.quantity.unit) == (Decimal(3), "one")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"content": None}, "content", "is required"),
        ({"content": "   "}, "content", "must not be empty"),
        ({"kind": "opinion"}, "kind", "story, case-study, tool, announcement"),
        ({"startTime": "2026-12-17T18:00:00Z"}, "startTime", "unknown field"),
    ],
)  # fmt: skip
def test_news_errors(changes: dict[str, Any], field: str, message: str) -> None:
    data = load("news_share_stories.json")
    data.update(changes)
    got_field, got_message = error_of(
        validate_news, {k: v for k, v in data.items() if v is not None}
    )
    assert got_field == field
    assert message in got_message, got_message


# --------------------------------------------------------------------------- PATCH


def test_merge_patch_replaces_removes_and_merges_objects() -> None:
    stored = load("forum_series.json")
    original = copy.deepcopy(stored)
    patched = merge(
        stored,
        {"location": {"url": None, "name": "Town Hall"}, "tags": ["Forum"], "category": None},
    )
    assert stored == original  # not mutated
    assert patched["location"]["name"] == "Town Hall"
    assert "url" not in patched["location"]
    assert patched["location"]["address"]["addressLocality"] == "Manchester"
    assert patched["tags"] == ["Forum"] and "category" not in patched
    e = validate_event(patched)
    assert e.location is not None and e.location.online_url is None


def test_patching_the_zone_moves_local_times_with_it() -> None:
    stored = event()
    moved = validate_event(merge(stored, {"timezone": "Europe/Paris"}))
    assert moved.start_time.hour == 17  # 18:00 in Paris, not in New York


def test_merge_refuses_non_objects_and_deep_nesting() -> None:
    with pytest.raises(FieldError):
        merge({}, ["not", "an", "object"])
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(40):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(FieldError) as info:
        merge({}, deep)
    assert "nested too deeply" in info.value.message


# --------------------------------------------------------------------------- properties

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "name", "content", "summary", "startTime", "endTime", "timezone", "location", "joinMode",
        "externalParticipationUrl", "maximumAttendeeCapacity", "category", "tags", "image",
        "languages", "nameMap", "accessibility", "status", "parent", "track", "speakers", "room",
        "recurrence", "purpose", "action", "resource", "quantity", "region", "deadline", "kind",
    ]
)  # fmt: skip
_plausible = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(max_size=20), st.just("Monthly forum")),
        "startTime": st.sampled_from(
            ["2026-03-08T02:30:00", "2026-11-01T01:30", "2026-12-17T18:00:00Z", "x"]
        ),
        "endTime": st.sampled_from(
            ["2026-03-08T04:00:00", "2026-11-01T03:00", "2026-12-17T20:00:00-05:00", ""]
        ),
        "purpose": st.sampled_from(["offer", "request", "x"]),
        "resource": st.text(max_size=10),
        "content": st.text(max_size=30),
    },
    optional={"timezone": st.sampled_from(["America/New_York", "Europe/London", "Nope/Nope", ""])},
).flatmap(lambda base: st.dictionaries(_keys, _json, max_size=4).map(lambda extra: base | extra))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.one_of(_json, _plausible))
def test_arbitrary_json_raises_only_field_errors(data: Any) -> None:
    for validator in (validate_event, validate_call, validate_news):
        try:
            validator(data)
        except FieldError as error:
            assert isinstance(error.field, str) and error.message


@settings(max_examples=200, deadline=None)
@given(stored=st.dictionaries(st.text(max_size=5), _json, max_size=5), patch=_json)
def test_merge_raises_only_field_errors(stored: dict[str, Any], patch: Any) -> None:
    try:
        result = merge(stored, patch)
    except FieldError:
        return
    assert isinstance(result, dict)
