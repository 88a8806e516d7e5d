"""A recurring series in calendars: one VEVENT with an RRULE for the whole series, each published
date an override of it (its own page, status and SEQUENCE), a date deleted alone an EXDATE. The
calendar is expanded by ``recurring-ical-events``, as a calendar client would, and must give each
date of the series exactly once, at 18:30 in Manchester on both sides of the clock change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from node.content.fields.times import nth_weekday
from node.db import session_scope
from node.features.networks.facts import item_facts
from node.features.networks.filing import apply_facts
from node.models import Item
from node.models.networks import NetworkItem
from tests.db.network_support import local
from tests.db.publishing_support import Api, fixture, make_org

LONDON = ZoneInfo("Europe/London")
YEAR = datetime.now(UTC).year + 1


def third_thursday(month: int) -> date:
    """The third Thursday of ``month`` next year (every month has one)."""
    found = nth_weekday(YEAR, month, 3, 3)
    assert found is not None
    return found


# Third Thursdays of next year, twelve times; the first three are published at once.
THIRD_THURSDAYS = [third_thursday(month) for month in range(1, 13)]
JAN, FEB, MAR, JUN = (THIRD_THURSDAYS[i] for i in (0, 1, 2, 5))
FORUM = fixture("forum_series.json") | {
    "startTime": f"{JAN.isoformat()}T18:30:00",
    "endTime": f"{JAN.isoformat()}T20:00:00",
}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def expand(text: bytes) -> list[Any]:
    cal = icalendar.Calendar.from_ical(text)
    found = recurring_ical_events.of(cal).between(date(YEAR - 1, 1, 1), date(YEAR + 1, 12, 31))
    return sorted(found, key=lambda e: e.decoded("DTSTART"))


def at_1830(day: date | None) -> datetime:
    assert day is not None
    return datetime(day.year, day.month, day.day, 18, 30, tzinfo=LONDON)


def master(text: bytes) -> Any:
    """The one VEVENT of the whole series."""
    [found] = [e for e in vevents(text) if "RRULE" in e]
    return found


def vevents(text: bytes) -> list[Any]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


@pytest.fixture
def forum(api: Api) -> dict[str, Any]:
    """The series, with its February date cancelled and its March date deleted."""
    created = api.post("/api/v1/events", FORUM)
    assert created.status_code == 201, created.json()
    series = dict(created.json())
    _, feb, mar = series["occurrences"]
    assert api.patch(f"/api/v1/events/{feb['uid']}", {"status": "cancelled"}).status_code == 200
    assert api.delete(f"/api/v1/events/{mar['uid']}").status_code == 204
    return series


def test_a_series_is_one_rrule_with_its_published_dates_as_overrides(
    forum: dict[str, Any], client: TestClient
) -> None:
    jan, feb, _ = forum["occurrences"]
    text = client.get("/@nec/calendar.ics").content
    uid = f"http://127.0.0.1:8000/series/{forum['uid']}"
    series = master(text)
    assert str(series["UID"]) == uid
    rule = series["RRULE"]
    assert (rule["FREQ"], rule["BYDAY"], rule["COUNT"]) == (["MONTHLY"], ["3TH"], [12])
    assert series.decoded("DTSTART") == at_1830(JAN)
    assert series["DTSTART"].params["TZID"] == "Europe/London"
    exdates = [d.dt for d in series["EXDATE"].dts]
    assert exdates == [at_1830(MAR)]
    overrides = {str(e["URL"]): e for e in vevents(text) if "RECURRENCE-ID" in e}
    assert set(overrides) == {jan["url"], feb["url"]}
    assert {str(e["UID"]) for e in overrides.values()} == {uid}
    assert overrides[feb["url"]].decoded("RECURRENCE-ID") == at_1830(FEB)

    # As a calendar client sees it: every date once, March gone, February cancelled.
    shown = expand(text)
    starts = [e.decoded("DTSTART") for e in shown]
    assert [s.date() for s in starts] == [d for d in THIRD_THURSDAYS if d != MAR]
    assert {(s.hour, s.minute) for s in starts} == {(18, 30)}
    assert {s.utcoffset().total_seconds() for s in starts} == {0, 3600}  # GMT, then BST
    status = {e.decoded("DTSTART").date(): str(e["STATUS"]) for e in shown}
    assert status[FEB] == "CANCELLED"
    assert set(status.values()) == {"CONFIRMED", "CANCELLED"}
    urls = {e.decoded("DTSTART").date(): str(e["URL"]) for e in shown}
    assert urls[JAN] == jan["url"]
    assert urls[JUN] == uid  # not published yet: the series' own link
    assert {str(e["SUMMARY"]) for e in shown} == {FORUM["name"]}

    # The series' UID leads to its next date.
    answer = client.get(uid.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == jan["id"]
    assert client.get("/series/no-such-series").status_code == 404


def test_editing_the_series_bumps_its_sequence(
    forum: dict[str, Any], api: Api, client: TestClient
) -> None:
    before = master(client.get("/@nec/calendar.ics").content)
    edited = api.patch(forum["api"], {"name": "Peer support forum"})
    assert edited.status_code == 200, edited.json()
    text = client.get("/@nec/calendar.ics").content
    after = master(text)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["SUMMARY"]) == "Peer support forum"
    by_day = {e.decoded("DTSTART").date(): str(e["SUMMARY"]) for e in expand(text)}
    assert by_day[JUN] == by_day[JAN] == "Peer support forum"


def test_a_network_on_this_node_shows_its_members_series_whole(
    forum: dict[str, Any], engine: Engine, client: TestClient
) -> None:
    network = local(engine, "solnet", kind="network")
    assert network.id is not None
    with session_scope(engine) as session:
        items = session.exec(select(Item).where(col(Item.series_id).is_not(None))).all()
        for item in items:
            if item.deleted_at is None:
                row = NetworkItem(
                    network_id=network.id,
                    object_id=item.ap_id,
                    author="http://127.0.0.1:8000/actors/nec",
                    document=item.document,
                )
                apply_facts(row, item_facts(item.document))
                session.add(row)
    shown = expand(client.get("/@solnet/calendar.ics").content)
    assert len(shown) == 11
    assert len({e.decoded("DTSTART") for e in shown}) == 11  # no date twice
    region = expand(client.get("/regions/manchester/calendar.ics").content)
    assert len(region) == 11


def test_a_stopped_series_leaves_single_dates(
    forum: dict[str, Any], api: Api, client: TestClient
) -> None:
    assert api.delete(forum["api"]).status_code == 204
    text = client.get("/@nec/calendar.ics").content
    assert not [e for e in vevents(text) if "RRULE" in e or "RECURRENCE-ID" in e]
    assert client.get(f"/series/{forum['uid']}").status_code == 410
