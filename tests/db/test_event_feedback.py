"""After the monthly forum: its page asks for a rating and a comment, a participant from the
fediverse gets a direct Note inviting them (with a link that says who they are, so they give
it once), and the organization reads the results on the event's Insight page. Feedback is
never published."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.app import create_app
from node.db import as_utc, session_scope
from node.features.publishing.feedback import FeedbackError, FeedbackInput, give
from node.features.publishing.feedback_followup import FOLLOWUP_JOB, send_followup
from node.federation.inbox.dispatch import Incoming
from node.federation.inbox.targets import resolve_target
from node.federation.worker import Worker
from node.models import EventFeedback, Item, Job, Participant
from node.settings import Settings
from node.wiring import dispatcher, job_registry
from tests.db.inbox_support import cache_actor
from tests.db.publishing_support import Api, fixture, future, make_org
from tests.db.workspace_support import hidden, make_person, sign_in
from tests.harness.smtp import smtp_server

PAST = {"startTime": "2026-01-15T18:30:00", "endTime": "2026-01-15T20:00:00"}


def forum(api: Api) -> dict[str, Any]:
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "free"}
    created = api.post("/api/v1/events", body)
    assert created.status_code == 201, created.json()
    return dict(created.json())


def took_place(api: Api, event: dict[str, Any]) -> None:
    """The forum is over: its dates are moved to January (as its organizer would fix them)."""
    uid = event["id"].rsplit("/", 1)[-1]
    answer = api.patch(f"/api/v1/events/{uid}", PAST)
    assert answer.status_code == 200, answer.text


def register_lu(client: TestClient, event: dict[str, Any]) -> None:
    """Lu registers on the event's page with her e-mail address (no fediverse account)."""
    path = event["id"].replace("http://127.0.0.1:8000", "")
    form = hidden(client.get(path).text)
    registered = client.post(f"{path}/register", data={"token": form["token"], "name": "Lu",
                             "email": "lu@example.org"}, follow_redirects=False)  # fmt: skip
    assert registered.status_code == 303, registered.text


def page_form(client: TestClient, url: str) -> dict[str, str]:
    page = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert 'id="feedback-h"' in page.text
    return hidden(page.text)


def post(client: TestClient, event: dict[str, Any], fields: dict[str, str]) -> Any:
    path = event["id"].replace("http://127.0.0.1:8000", "") + "/feedback"
    return client.post(path, data=fields, follow_redirects=False)


def stored(engine: Engine) -> list[tuple[int, str, int | None]]:
    with Session(engine) as session:
        rows = session.exec(select(EventFeedback).order_by(EventFeedback.id)).all()  # type: ignore[arg-type]
        return [(r.rating, r.comment, r.participant_id) for r in rows]


def test_after_the_forum_its_page_takes_feedback_that_the_organization_reads(
    client: TestClient, engine: Engine
) -> None:
    api = Api(client, make_org(engine))
    event = forum(api)
    before = client.get(event["id"].replace("http://127.0.0.1:8000", "")).text
    assert 'id="feedback-h"' not in before  # not over yet, and a post is refused
    early = post(client, event, {"token": hidden(before)["token"], "rating": "5"})
    assert early.status_code == 409 and "when the event has ended" in early.text
    took_place(api, event)
    form = page_form(client, event["id"])
    answer = post(client, event, {"token": form["token"], "rating": "4",
                                  "comment": "Good breakout rooms; captions lagged."})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].endswith(
        "?feedback=thanks#feedback"
    )
    assert "Thank you for your feedback." in client.get(answer.headers["location"]).text
    assert stored(engine) == [(4, "Good breakout rooms; captions lagged.", None)]
    as_json = client.get(event["id"], headers={"Accept": "application/activity+json"}).text
    assert "captions lagged" not in as_json  # never published

    make_person(engine, "ana@nec.example", ("nec", "editor"))
    sign_in(client, "ana@nec.example")
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
    insight = client.get(f"/workspace/nec/items/{item.id}/insight").text
    assert '<span class="number">4.0</span> out of 5, from 1 person' in insight
    assert "Good breakout rooms; captions lagged." in insight


def test_bad_feedback_is_refused_and_stores_nothing(client: TestClient, engine: Engine) -> None:
    api = Api(client, make_org(engine))
    event = forum(api)
    took_place(api, event)
    assert post(client, event, {"rating": "5"}).status_code == 422  # no form token: CSRF
    form = page_form(client, event["id"])
    assert post(client, event, {"token": form["token"], "rating": "9"}).status_code == 422
    form = page_form(client, event["id"])
    long = post(client, event, {"token": form["token"], "rating": "3", "comment": "x" * 2001})
    assert long.status_code == 422 and "2000 characters" in long.text
    form = page_form(client, event["id"])
    assert post(client, event, {"token": form["token"], "rating": "3"}).status_code == 303
    again = post(client, event, {"token": form["token"], "rating": "3"})  # a token works once
    assert again.status_code == 422
    assert stored(engine) == [(3, "", None)]


def test_a_registration_gives_feedback_once_and_the_address_limit_holds(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    api = Api(client, make_org(engine))
    event = forum(api)
    form = hidden(client.get(event["id"].replace("http://127.0.0.1:8000", "")).text)
    path = event["id"].replace("http://127.0.0.1:8000", "")
    registered = client.post(f"{path}/register", data={"token": form["token"], "name": "Lu",
                             "email": "lu@example.org"}, follow_redirects=False)  # fmt: skip
    assert registered.status_code == 303
    took_place(api, event)
    form = page_form(client, event["id"])
    first = {"token": form["token"], "rating": "5", "email": "LU@example.org"}
    assert post(client, event, first).status_code == 303
    form = page_form(client, event["id"])
    twice = post(client, event, {"token": form["token"], "rating": "1", "email": "lu@example.org"})
    assert twice.status_code == 409 and "already in" in twice.text
    assert [r for r, _, who in stored(engine) if who is not None] == [5]
    # five posts an hour from one address: the registration, those two, two more, then no
    for _ in range(2):
        form = page_form(client, event["id"])
        assert post(client, event, {"token": form["token"], "rating": "2"}).status_code == 303
    form = page_form(client, event["id"])
    limited = post(client, event, {"token": form["token"], "rating": "2"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert len(stored(engine)) == 3


class Inbox:
    """A loopback server: serves one actor document and keeps what is POSTed to its inbox."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                inbox.received.append(json.loads(self.rfile.read(length)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def join(app: Starlette, actor: str, event_id: str) -> str:
    """A Join of the event, handled as the inbox job handles it."""
    activity = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor}/activities/{uuid.uuid4().hex}", "type": "Join",
                "actor": actor, "object": event_id}  # fmt: skip
    node = app.state.node
    with Session(node.engine) as session:
        target = resolve_target(node, session, activity)
    msg = Incoming(node=node, activity=activity, activity_id=activity["id"], type="Join",
                   actor=actor, recipient="nec", inbox_row_id=0, target=target)  # fmt: skip
    return asyncio.run(dispatcher().dispatch(msg))


def test_a_fediverse_participant_is_invited_once_the_event_ends_and_answers_once(
    app: Starlette, client: TestClient, engine: Engine, settings: Settings, inbox: Inbox
) -> None:
    api = Api(client, make_org(engine))
    event = forum(api)
    alice = f"{inbox.origin}/users/alice"
    cache_actor(engine, settings, {
        "@context": "https://www.w3.org/ns/activitystreams", "id": alice, "type": "Person",
        "preferredUsername": "alice", "inbox": f"{alice}/inbox", "outbox": f"{alice}/outbox"})  # fmt: skip
    assert join(app, alice, event["id"]) == "accepted"
    took_place(api, event)
    with Session(engine) as session:
        followups = session.exec(select(Job).where(Job.kind == FOLLOWUP_JOB)).all()
    assert len(followups) == 2  # one for the first end (it will lapse), one for January

    asyncio.run(Worker(app.state.node, job_registry(), concurrency=1, batch=1).drain())
    notes = [a for a in inbox.received if a["type"] == "Create"]
    assert len(notes) == 1, [a["type"] for a in inbox.received]
    note = notes[0]["object"]
    assert note["type"] == "Note" and note["to"] == [alice] and notes[0]["to"] == [alice]
    assert "Monthly peer support forum" in note["content"]
    link = note["content"].split('<a href="')[-1].split('"')[0]
    assert link.startswith(event["id"] + "?invite=") and link.endswith("#feedback")

    form = page_form(client, link.split("#")[0])
    assert form["invite"] == link.split("invite=")[1].split("#")[0]
    fields = {"token": form["token"], "invite": form["invite"], "rating": "5", "comment": "Merci"}
    assert post(client, event, fields).status_code == 303
    form = page_form(client, link.split("#")[0])
    fields |= {"token": form["token"]}
    assert post(client, event, fields).status_code == 409
    with Session(engine) as session:
        alice_row = session.exec(select(Participant).where(Participant.actor == alice)).one()
    assert stored(engine) == [(5, "Merci", alice_row.id)]
    # the job again (work is at-least-once): nothing is sent twice
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
        assert item.id is not None and item.end_time is not None
        end = int(as_utc(item.end_time).timestamp())
        assert send_followup(session, app.state.node, item.id, end) == 1
    asyncio.run(Worker(app.state.node, job_registry(), concurrency=1, batch=1).drain())
    assert len([a for a in inbox.received if a["type"] == "Create"]) == 1


def test_a_registrant_with_an_address_is_invited_by_email_once(
    settings: Settings, engine: Engine
) -> None:
    with smtp_server() as smtp:
        mailing = create_app(replace(settings, smtp_url=smtp.url), engine=engine)
        with TestClient(mailing, base_url=settings.base_url) as client:
            api = Api(client, make_org(engine))
            event = forum(api)
            register_lu(client, event)
            took_place(api, event)
            node = mailing.state.node
            with session_scope(engine) as session:
                item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
                assert item.id is not None and item.end_time is not None
                end = int(as_utc(item.end_time).timestamp())
                assert send_followup(session, node, item.id, end) == 1
                assert send_followup(session, node, item.id, end) == 1  # run again: deduped
            asyncio.run(Worker(node, job_registry(), concurrency=1, batch=1).drain())
            invitations = [m for m in smtp.received if m.message["Subject"].startswith("How was")]
            assert len(invitations) == 1 and invitations[0].recipients == ["lu@example.org"]
            link = next(w for w in invitations[0].message.get_content().split() if "invite=" in w)
            form = page_form(client, link.split("#")[0])
            assert form["invite"] == link.split("invite=")[1].split("#")[0]
            fields = {"token": form["token"], "invite": form["invite"], "rating": "4"}
            assert post(client, event, fields).status_code == 303
            assert [r for r, _, who in stored(engine) if who is not None] == [4]


def test_the_same_link_sent_twice_at_once_is_taken_once_and_the_other_told_so(
    client: TestClient, engine: Engine
) -> None:
    """A double click on "Send" from Lu's e-mailed link: two requests race past any check; one
    is stored, the other is told it is already in (409), never a server error."""
    api = Api(client, make_org(engine))
    event = forum(api)
    register_lu(client, event)
    took_place(api, event)
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
        lu = session.exec(select(Participant).where(Participant.email == "lu@example.org")).one()
    both = threading.Barrier(2)
    outcomes: list[str] = []

    def send(rating: int) -> None:
        both.wait()
        try:
            with session_scope(engine) as session:
                give(session, item, FeedbackInput(rating, "", lu.id))
            outcomes.append("stored")
        except FeedbackError as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=send, args=(n,)) for n in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["given", "stored"]
    assert [who for _, _, who in stored(engine)] == [lu.id]
