"""The New Economy Coalition moved to its new home on another server (``solnode move``): its
followers went with it. The old account publishes no more — not through the API, the C2S
outbox, the workspace, a scheduled draft, a repeating event's next dates or ``solnode note`` —
and each refusal names the new account; what it published before can still be edited."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.cli import main
from node.db import as_utc, session_scope
from node.features.publishing import service
from node.features.workspace.drafts import PUBLISH_JOB, run_publish_job
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done
from node.models import Draft, Item, Job, LocalActor, OutboxActivity, Series
from node.settings import Settings
from tests.db.forms_support import BASE, drafts, signed_in_editor, submit
from tests.db.publishing_support import Api, fixture, future, make_org

NEW_HOME = "https://social.neweconomy.example/users/nec"
MOVED = f"@nec has moved to {NEW_HOME}: publish from the new account"
# The monthly peer support forum, weekly from a date a year ahead (any weekday will do).
FORUM = future(fixture("forum_series.json")) | {"recurrence": {"frequency": "weekly", "count": 12}}


def moves(engine: Engine) -> None:
    """What ``solnode move`` leaves behind (the move itself is told in test_moving_fedify)."""
    with session_scope(engine) as session:
        nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        nec.moved_to = NEW_HOME
        session.add(nec)


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return len(session.exec(select(Item)).all()), len(
            session.exec(select(OutboxActivity)).all()
        )


def test_the_api_and_the_outbox_refuse_a_moved_account_but_edits_go_on(
    client: TestClient, engine: Engine
) -> None:
    api = Api(client, make_org(engine))
    event = api.post("/api/v1/events", future(fixture("conference.json")["conference"]))
    assert event.status_code == 201, event.text
    moves(engine)
    before = counts(engine)

    for path, body in (
        ("/api/v1/news", fixture("news_share_stories.json")),
        ("/api/v1/calls", fixture("call_group_purchasing.json")),
        ("/api/v1/events", FORUM),  # a repeating event
    ):
        refused = api.post(path, body)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"] == MOVED
    article = {"type": "Article", "name": "Still here?", "content": "<p>We moved.</p>"}
    c2s = api.post("/actors/nec/outbox", {"type": "Create", "object": article})
    assert c2s.status_code == 409 and NEW_HOME in c2s.json()["error"]
    assert counts(engine) == before  # nothing stored, nothing sent

    uid = event.json()["id"].rsplit("/", 1)[-1]
    edited = api.patch(f"/api/v1/events/{uid}", {"name": "Solidarity economy days (moved)"})
    assert edited.status_code == 200, edited.text


def test_the_workspace_says_so_beside_the_form_in_the_organizers_language(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    moves(engine)
    news = {"name": "Stories wanted", "content": "Send us your co-op's story.", "action": "publish"}
    refused = submit(client, f"{BASE}/publish/new/news", news)
    assert refused.status_code == 422
    assert f'<li><a href="#main">{MOVED}</a></li>' in refused.text
    assert 'value="Stories wanted"' in refused.text  # what was typed stays
    saved = submit(client, f"{BASE}/publish/new/news", news | {"action": "draft"})
    assert saved.status_code == 303  # a draft is still kept, for the new account's people

    client.headers["Accept-Language"] = "es"
    spanish = submit(client, f"{BASE}/publish/new/news", news)
    assert f"@nec se ha mudado a {NEW_HOME}" in spanish.text and MOVED not in spanish.text


def test_a_scheduled_draft_and_a_series_stop_and_say_why(
    client: TestClient, app: Starlette, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    call = {"name": "Volunteers for the harvest", "purpose": "request",
            "resource": "Volunteers", "content": "Help us bring in the grapes.",
            "region": "La Rioja", "deadline": "2099-09-30T18:00", "timezone": "Europe/Madrid",
            "publish_at": "2099-09-01T09:00", "action": "schedule"}  # fmt: skip
    assert submit(client, f"{BASE}/publish/new/call", call).status_code == 303
    node = app.state.node
    with session_scope(engine) as session:
        nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        series = service.create_series(session, node, nec, FORUM).series
        published = series.published_count
    moves(engine)

    [draft] = drafts(engine)
    with Session(engine) as session:
        [job] = session.exec(select(Job).where(Job.kind == PUBLISH_JOB)).all()
    with session_scope(engine) as session:  # its time has come
        row = session.get(Draft, draft.id)
        assert row is not None and row.publish_at is not None
        row.publish_at = as_utc(row.publish_at) - timedelta(days=365 * 80)
        session.add(row)
    claimed = ClaimedJob(job.id or 0, PUBLISH_JOB, dict(job.payload), 1, job.dedupe_key)
    assert asyncio.run(run_publish_job(node, claimed)) == Done()
    [kept] = drafts(engine)
    assert kept.publish_at is None
    assert MOVED in client.get(f"{BASE}/publish").text

    with session_scope(engine) as session:  # the series' next run publishes nothing more
        nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        row_series = session.get(Series, series.id)
        assert row_series is not None
        later = as_utc(row_series.created_at) + timedelta(days=400)
        assert service.top_up(session, node, nec, row_series, now=later) == []
        assert row_series.published_count == published


@pytest.mark.usefixtures("engine")
def test_solnode_note_refuses_in_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[Any],
    engine: Engine,
) -> None:  # fmt: skip
    make_org(engine)
    moves(engine)
    for name, value in {"SOLNODE_BASE_URL": settings.base_url, "SOLNODE_DATA_DIR":
                        str(settings.data_dir), "SOLNODE_DATABASE_URL": settings.database_url,
                        "SOLNODE_SECRET_KEY": "test-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["note", "nec", "Hello from the old account"]) == 1
    assert capsys.readouterr().err == f"solnode: error: {MOVED}\n"
    assert counts(engine) == (0, 0)
