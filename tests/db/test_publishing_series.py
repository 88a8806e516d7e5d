"""Recurring events: the next three dates are published at once, the rest one at a time as
dates end (the ``series`` job); editing and stopping a series. The clock is passed in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.publishing import service
from node.features.publishing.service.series import SERIES_JOB, run_series_job
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done
from node.models import Item, Job, LocalActor, Series
from node.wiring import job_registry
from tests.db.publishing_support import Api, fixture, make_org, outbox

FORUM = fixture("forum_series.json")  # third Thursdays of 2026, 18:30 in Manchester, 12 times
JAN_1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def start_times(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Item).where(Item.kind == "event", col(Item.deleted_at).is_(None))
        ).all()
        return sorted(str(r.document["startTime"]) for r in rows)


def create(app: Starlette, engine: Engine, source: dict[str, Any], now: datetime) -> int:
    node = app.state.node
    with session_scope(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        result = service.create_series(session, node, actor, source, now=now)
        assert result.series.id is not None
        return result.series.id


def top_up(app: Starlette, engine: Engine, series_id: int, now: datetime) -> int:
    with session_scope(engine) as session:
        series = session.get(Series, series_id)
        actor = session.get(LocalActor, series.actor_id) if series else None
        assert series is not None and actor is not None
        return len(service.top_up(session, app.state.node, actor, series, now=now))


def series_jobs(engine: Engine) -> list[Job]:
    with Session(engine) as session:
        return list(session.exec(select(Job).where(Job.kind == SERIES_JOB).order_by(col(Job.id))))


@pytest.fixture
def org(engine: Engine) -> str:
    return make_org(engine)


def test_three_dates_ahead_then_one_more_each_time_a_date_is_over(
    app: Starlette, engine: Engine, org: str
) -> None:
    series_id = create(app, engine, FORUM, JAN_1)
    # British winter time, then summer time: 18:30 local either way.
    assert start_times(engine) == [
        "2026-01-15T18:30:00+00:00",
        "2026-02-19T18:30:00+00:00",
        "2026-03-19T18:30:00+00:00",
    ]
    assert [a["type"] for a in outbox(engine)] == ["Create"] * 3
    [job] = series_jobs(engine)
    # The job runs when the first date ends (20:00 on 15 January).
    assert job.run_at == pytest.approx(datetime(2026, 1, 15, 20, 0, tzinfo=UTC).timestamp(), abs=2)

    assert top_up(app, engine, series_id, datetime(2026, 1, 15, 19, 0, tzinfo=UTC)) == 0
    assert top_up(app, engine, series_id, datetime(2026, 1, 15, 20, 1, tzinfo=UTC)) == 1
    assert start_times(engine)[-1] == "2026-04-16T18:30:00+01:00"
    # A worker down for months publishes what is ahead, never what is already over.
    assert top_up(app, engine, series_id, datetime(2026, 7, 1, tzinfo=UTC)) == 3
    assert start_times(engine)[-3:] == [
        "2026-07-16T18:30:00+01:00",
        "2026-08-20T18:30:00+01:00",
        "2026-09-17T18:30:00+01:00",
    ]
    assert top_up(app, engine, series_id, datetime(2027, 1, 1, tzinfo=UTC)) == 0
    with Session(engine) as session:
        series = session.get(Series, series_id)
        assert series is not None and series.published_count == 12


def test_the_series_job_is_registered_and_runs_a_top_up(
    app: Starlette, engine: Engine, org: str
) -> None:
    assert SERIES_JOB in job_registry().kinds
    source = FORUM | {"startTime": "2027-01-21T18:30:00", "endTime": "2027-01-21T20:00:00"}
    series_id = create(app, engine, source, datetime(2026, 12, 1, tzinfo=UTC))
    job = ClaimedJob(1, SERIES_JOB, {"series_id": series_id}, attempts=1, dedupe_key=None)
    assert asyncio.run(run_series_job(app.state.node, job)) == Done()
    assert len(outbox(engine, "Create")) == 3  # nothing new is due yet


def test_editing_a_series_updates_its_dates_to_come_and_stopping_deletes_them(
    app: Starlette, client: TestClient, engine: Engine, org: str
) -> None:
    api = Api(client, org)
    source = FORUM | {"startTime": "2027-01-21T18:30:00", "endTime": "2027-01-21T20:00:00"}
    created = api.post("/api/v1/events", source)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created.headers["location"] == body["api"]
    assert [o["index"] for o in body["occurrences"]] == [0, 1, 2]
    assert body["id"] == body["occurrences"][0]["id"]
    # Each date's summary tells Mastodon readers it is one of a series.
    [first_create] = [a for a in outbox(engine, "Create") if a["object"]["id"] == body["id"]]
    assert "Repeats monthly on the third Thursday, 12 times" in first_create["object"]["summary"]

    # One date cancelled alone keeps its status when the series is edited.
    first = body["occurrences"][0]
    api.patch(f"/api/v1/events/{first['uid']}", {"status": "cancelled"})
    refused = api.patch(
        f"/api/v1/events/{first['uid']}", {"recurrence": {"frequency": "weekly", "count": 2}}
    )
    assert refused.json()["field"] == "recurrence"

    edited = api.patch(
        body["api"],
        {
            "name": "Peer support forum",
            "startTime": "2027-01-21T19:00:00",
            "endTime": "2027-01-21T20:30:00",
        },
    )
    assert edited.status_code == 200, edited.json()
    dates = edited.json()["occurrences"]
    assert [d["startTime"] for d in dates] == [
        "2027-01-21T19:00:00+00:00",
        "2027-02-18T19:00:00+00:00",
        "2027-03-18T19:00:00+00:00",
    ]
    assert dates[0]["status"] == "cancelled"
    updates = [u["object"] for u in outbox(engine, "Update")]
    assert {u["name"] for u in updates[-3:]} == {"Peer support forum"}

    # Shortened to two dates: the third is deleted.
    shorter = api.patch(
        body["api"], {"recurrence": {"frequency": "monthly", "byDay": "3TH", "count": 2}}
    )
    assert len(shorter.json()["occurrences"]) == 2
    deleted = [d["object"]["id"] for d in outbox(engine, "Delete")]
    # The third date, and the "New date" note that went out with the edit above.
    assert dates[2]["id"] in deleted and len(deleted) == 2

    assert api.delete(body["api"]).status_code == 204
    deleted = [d["object"]["id"] for d in outbox(engine, "Delete")]
    assert {dates[0]["id"], dates[1]["id"]} <= set(deleted)
    assert all(api.get(f"/api/v1/events/{d['uid']}").status_code == 410 for d in dates)
    assert api.get(body["api"]).status_code == 410
    assert api.get("/api/v1/series").json()["items"] == []


def test_a_series_needs_a_future_date_and_no_parent(client: TestClient, org: str) -> None:
    api = Api(client, org)
    over = FORUM | {"startTime": "2020-01-16T18:30:00", "endTime": "2020-01-16T20:00:00"}
    assert api.post("/api/v1/events", over).json()["field"] == "recurrence"
    conference = api.post("/api/v1/events", FORUM | {"recurrence": None}).json()
    nested = api.post("/api/v1/events", FORUM | {"parent": conference["id"]})
    assert nested.json()["field"] == "parent"


def test_a_series_started_in_the_past_publishes_only_what_is_ahead(
    app: Starlette, engine: Engine, org: str
) -> None:
    create(app, engine, FORUM, datetime(2026, 11, 20, tzinfo=UTC) - timedelta(days=0))
    assert start_times(engine) == ["2026-12-17T18:30:00+00:00"]
    assert series_jobs(engine) == []  # nothing left to publish later
