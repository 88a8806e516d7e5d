"""What the publishing forms refuse and keep back: errors beside the right field in an
organizer's words with nothing stored, drafts that are not public, a scheduled item published
when its job runs, and the profile editor with its ESSGlobal pick lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.content import essglobal
from node.db import as_utc, session_scope
from node.features.workspace.drafts import PUBLISH_JOB, run_publish_job
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done
from node.models import Job, LocalActor
from node.settings import Settings
from node.wiring import job_registry
from tests.db.forms_support import BASE, GATHERING, ORG, drafts, items, signed_in_editor, submit
from tests.db.media_support import opened, photo, stored
from tests.db.publishing_support import outbox
from tests.db.workspace_support import csrf, make_actor, make_person, sign_in, snapshot


def test_an_event_without_an_end_is_refused_beside_the_end_in_plain_words(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    token = csrf(client, f"{BASE}/publish/new/event")
    before = snapshot(engine)

    answer = client.post(
        f"{BASE}/publish/new/event",
        data={k: v for k, v in GATHERING.items() if k != "endTime"} | {"csrf": token},
    )

    assert answer.status_code == 422
    assert snapshot(engine) == before
    assert '<p class="field-error" id="f-endTime-error">Give the time the event ends.</p>' in (
        answer.text
    )
    assert 'aria-describedby="f-endTime-error" aria-invalid="true"' in answer.text
    assert '<a href="#f-endTime">Give the time the event ends.</a>' in answer.text
    assert "FEP-8a8e" not in answer.text
    assert 'value="Union Hall"' in answer.text  # what was typed stays


def test_the_organizer_chooses_to_approve_each_registration(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    form = client.get(f"{BASE}/publish/new/event")
    assert '<option value="restricted">Anyone can ask, you approve each one</option>' in form.text
    before = snapshot(engine)
    external = GATHERING | {"joinMode": "external"}
    refused = submit(client, f"{BASE}/publish/new/event", external)
    assert refused.status_code == 422
    assert snapshot(engine) == before
    assert 'id="f-externalParticipationUrl-error">Give the link where people register.' in (
        refused.text
    )

    answer = submit(client, f"{BASE}/publish/new/event", GATHERING | {"joinMode": "restricted"})

    assert answer.status_code == 303, answer.text
    [event] = items(engine, "event")
    assert event.source["joinMode"] == "restricted"
    edit = client.get(answer.headers["location"].split("?")[0] + "/edit")
    assert '<option value="restricted" selected>' in edit.text


def test_errors_of_a_place_and_a_series_are_shown_beside_their_fields(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    no_place = submit(
        client,
        f"{BASE}/publish/new/event",
        {"name": "Forum", "startTime": "2027-01-21T18:30", "endTime": "2027-01-21T20:00",
         "timezone": "Europe/London", "location.url": "meet.example.org/forum", "action": "publish"},
    )  # fmt: skip
    assert no_place.status_code == 422
    assert 'id="f-location-url-error">Give a full web address starting with https://' in (
        no_place.text
    )
    endless = submit(
        client,
        f"{BASE}/publish/new/series",
        {"name": "Forum", "startTime": "2027-01-21T18:30", "endTime": "2027-01-21T20:00",
         "timezone": "Europe/London", "location.url": "https://meet.example.org/forum",
         "recurrence.rule": "monthly-nth", "action": "publish"},
    )  # fmt: skip
    assert endless.status_code == 422
    assert "Say when the repetition ends" in endless.text
    assert items(engine) == [] and outbox(engine) == []


def test_a_news_item_with_a_phone_photo_is_published_with_its_alt_text_and_no_gps(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    signed_in_editor(client, engine)
    token = csrf(client, f"{BASE}/publish/new/news")
    answer = client.post(
        f"{BASE}/publish/new/news",
        data={"name": "Our bakery opens", "content": "News.", "image_alt": "Bread on a shelf",
              "csrf": token, "action": "publish"},
        files={"image_file": ("loaf.jpg", photo(), "image/jpeg")},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    [item] = items(engine)
    image = item.document["image"]
    assert image["name"] == "Bread on a shelf" and image["mediaType"] == "image/jpeg"
    [media], _files = stored(engine, settings)
    assert image["url"].endswith(media.file_name)
    served = client.get(image["url"])
    assert served.status_code == 200
    assert len(opened(served.content).getexif()) == 0 and b"GPS" not in served.content


def test_a_file_that_is_not_an_image_is_refused_beside_the_field_and_nothing_is_stored(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    signed_in_editor(client, engine)
    token = csrf(client, f"{BASE}/publish/new/news")
    answer = client.post(
        f"{BASE}/publish/new/news",
        data={"name": "Our bakery", "content": "News.", "image_alt": "A loaf", "csrf": token,
              "action": "publish"},
        files={"image_file": ("loaf.png", b"%PDF-1.7 not a picture", "image/png")},
    )  # fmt: skip
    assert answer.status_code == 422
    assert 'id="f-image-error">This file is not an image we can use' in answer.text
    assert items(engine) == []
    assert stored(engine, settings) == ([], [])


def test_a_draft_is_kept_but_not_public(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    answer = submit(client, f"{BASE}/publish/new/event", GATHERING | {"action": "draft"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{BASE}/publish?done=draft"
    [draft] = drafts(engine)
    assert draft.kind == "event" and draft.publish_at is None
    assert items(engine) == [] and outbox(engine) == []
    listing = client.get(f"{BASE}/publish")
    assert "Solidarity Economy Gathering" in listing.text and "Draft (not public)" in listing.text
    assert "Solidarity Economy Gathering" not in client.get(f"/@{ORG}/events").text

    reopened = client.get(f"{BASE}/publish/new/event?draft={draft.id}")
    assert 'value="Union Hall"' in reopened.text
    published = submit(
        client,
        f"{BASE}/publish/new/event",
        GATHERING | {"draft_id": str(draft.id)},
        form=f"{BASE}/publish/new/event?draft={draft.id}",
    )
    assert published.status_code == 303
    assert drafts(engine) == [] and len(items(engine, "event")) == 1


def test_a_scheduled_item_becomes_public_when_its_job_runs(
    client: TestClient, app: Starlette, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    news = {"name": "Our bakery became a co-op", "content": "The workers own it.",
            "timezone": "Europe/Paris", "publish_at": "2099-01-01T09:00", "action": "schedule"}  # fmt: skip
    answer = submit(client, f"{BASE}/publish/new/news", news)
    assert answer.status_code == 303, answer.text
    [draft] = drafts(engine)
    assert draft.publish_at is not None
    assert as_utc(draft.publish_at).isoformat() == "2099-01-01T08:00:00+00:00"
    assert items(engine) == [] and outbox(engine) == []
    with Session(engine) as session:
        [job] = session.exec(select(Job).where(Job.kind == PUBLISH_JOB)).all()
    assert PUBLISH_JOB in job_registry().kinds
    claimed = ClaimedJob(job.id or 0, PUBLISH_JOB, dict(job.payload), 1, job.dedupe_key)

    # Run before its time (a job of an earlier schedule): nothing happens.
    assert asyncio.run(run_publish_job(app.state.node, claimed)) == Done()
    assert items(engine) == []

    with session_scope(engine) as session:  # the time has come
        row = session.get(type(draft), draft.id)
        assert row is not None and row.publish_at is not None
        row.publish_at = as_utc(row.publish_at) - timedelta(days=365 * 80)
        session.add(row)
    assert asyncio.run(run_publish_job(app.state.node, claimed)) == Done()
    [item] = items(engine, "news")
    assert drafts(engine) == []
    [create] = outbox(engine, "Create")
    assert create["object"]["id"] == item.ap_id


def test_a_schedule_in_the_past_is_refused(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    answer = submit(
        client,
        f"{BASE}/publish/new/news",
        {"name": "Our bakery", "content": "News.", "publish_at": "2001-01-01T09:00",
         "action": "schedule"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert 'id="f-publish_at-error">Pick a time that is still ahead.' in answer.text
    assert drafts(engine) == []


def test_an_admin_fills_the_profile_with_an_essglobal_sector(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine, role="admin")
    form = client.get(f"{BASE}/profile")
    assert form.status_code == 200
    sector = essglobal.concepts("economicSector")[0]
    assert f'<option value="{sector.iri}">{sector.labels["en"]}</option>' in form.text

    answer = submit(
        client,
        f"{BASE}/profile",
        {"name": "New Economy Coalition", "description": "We build a **new** economy.",
         "website": "https://neweconomy.example", "fields.0.name": "Newsletter",
         "fields.0.value": "https://neweconomy.example/news", "region": "Massachusetts",
         "country": "US", "latitude": "42.36", "longitude": "-71.06",
         "timezone": "America/New_York",
         "essglobal.economicSector": sector.iri},
    )  # fmt: skip

    assert answer.status_code == 303, answer.text
    with Session(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == ORG)).one()
    assert actor.name == "New Economy Coalition"
    assert actor.profile["essglobal"] == {"economicSector": [sector.iri]}
    assert actor.profile["country"] == "US"
    assert actor.profile["fields"][0]["text"] == "https://neweconomy.example/news"
    assert "<strong>new</strong>" in actor.summary
    [update] = outbox(engine, "Update")
    assert update["object"]["type"] == "Organization"
    again = client.get(f"{BASE}/profile")
    assert f'<option value="{sector.iri}" selected>' in again.text
    # the organization's zone is where the publishing forms start
    event_form = client.get(f"{BASE}/publish/new/event")
    assert '<option value="America/New_York" selected>' in event_form.text


def test_a_bad_profile_is_refused_beside_the_field(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine, role="admin")
    before = snapshot(engine)
    answer = submit(client, f"{BASE}/profile", {"name": "", "website": "ftp://example.org"})
    assert answer.status_code == 422
    assert 'id="f-name-error">Fill in the name.' in answer.text
    assert snapshot(engine) == before
    with Session(engine) as session:
        jobs = session.exec(select(Job).order_by(col(Job.id))).all()
    assert jobs == []


def test_an_editor_may_publish_but_not_edit_the_profile(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    assert client.get(f"{BASE}/publish").status_code == 200
    assert client.get(f"{BASE}/profile").status_code == 403


def test_another_organizations_items_and_drafts_are_not_found(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    uid = submit(client, f"{BASE}/publish/new/event", GATHERING).headers["location"]
    uid = uid.split("?")[0].rsplit("/", 1)[-1]
    submit(client, f"{BASE}/publish/new/news", {"name": "Draft news", "action": "draft"})
    [draft] = drafts(engine)
    make_actor(engine, "sjn")
    make_person(engine, "bo@example.org", ("sjn", "editor"))
    client.cookies.clear()
    sign_in(client, "bo@example.org")
    other = "/workspace/sjn"
    assert client.get(f"{other}/publish/items/{uid}").status_code == 404
    assert client.get(f"{other}/publish/items/{uid}/edit").status_code == 404
    assert client.get(f"{other}/publish/new/news?draft={draft.id}").text.count("Draft news") == 0
    token = csrf(client, f"{other}/publish")
    gone = client.post(f"{other}/publish/items/{uid}/delete", data={"csrf": token})
    assert gone.status_code == 404
    thrown = client.post(
        f"{other}/publish/drafts/delete", data={"csrf": token, "draft_id": str(draft.id)}
    )
    assert thrown.status_code == 404
    assert items(engine, "event")[0].deleted_at is None and len(drafts(engine)) == 1
