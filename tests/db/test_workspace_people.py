"""The People page of the workspace: followers approved, refused and removed, an event's
participants (fediverse joins and registrations on the page) approved, refused and exported,
replies moderated and reported, reports resolved — each through the services the CLI and the
API use, so the same Accept, Reject and Flag go out; destructive actions ask first."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.participation import registrations
from node.federation.actors.local import ensure_instance_actor
from node.models import Interaction, Item, ModerationLog, Participant, Report
from tests.db.network_support import remote, sent
from tests.db.publishing_support import Api, fixture, future, make_org
from tests.db.workspace_people_support import (
    answers,
    as_person,
    followers,
    incoming,
    org,
    staff,
)
from tests.db.workspace_support import snapshot

BASE = "http://127.0.0.1:8000"
BO = "https://mastodon.example/users/bo"
CY = "https://mastodon.example/users/cy"
ALICE = "https://mobilizon.example/@alice"


def test_followers_are_approved_refused_after_a_confirmation_and_removed_by_an_admin(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    org(engine)
    staff(engine)
    me = f"{BASE}/actors/nec"
    remote(engine, BO, "Person")
    remote(engine, CY, "Person")
    assert incoming(app, "Follow", BO, me).startswith("pending")
    assert incoming(app, "Follow", CY, me).startswith("pending")
    token = as_person(client, "eddie@nec.example", "/workspace/nec/people")
    page = client.get("/workspace/nec/people").text
    assert BO in page and "Followers waiting for approval" in page
    ids = _follower_ids(engine)

    done = client.post("/workspace/nec/followers/approve",
                       data={"csrf": token, "follower_id": ids[BO]}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == "/workspace/nec/people?done=follower-approved"
    assert "an Accept is on its way" in client.get(done.headers["location"]).text
    [(kind, follow_id, to)] = answers(engine, "Accept")
    assert (kind, to) == ("Accept", [BO]) and follow_id.startswith(BO + "/activities/")

    # Refusing asks first, and asking changes nothing.
    before = snapshot(engine)
    asked = client.post("/workspace/nec/followers/reject",
                        data={"csrf": token, "follower_id": ids[CY]})  # fmt: skip
    assert asked.status_code == 200
    assert "They will be told their request to follow was refused" in asked.text
    assert snapshot(engine) == before
    client.post("/workspace/nec/followers/reject",
                data={"csrf": token, "follower_id": ids[CY], "confirmed": "yes"})  # fmt: skip
    assert [to for _, _, to in answers(engine, "Reject")] == [[CY]]
    assert followers(engine) == [(BO, "accepted")]
    # deciding twice is refused with a clear message
    again = client.post("/workspace/nec/followers/approve",
                        data={"csrf": token, "follower_id": ids[BO]})  # fmt: skip
    assert again.status_code == 409 and "already follows" in again.text

    # Removing a follower is for admins.
    removal = {"csrf": token, "follower_id": ids[BO], "confirmed": "yes"}
    assert client.post("/workspace/nec/followers/remove", data=removal).status_code == 403
    removal["csrf"] = as_person(client, "vera@nec.example", "/workspace/nec/people")
    client.post("/workspace/nec/followers/remove", data=removal)
    assert followers(engine) == []
    assert [to for _, _, to in answers(engine, "Reject")] == [[CY], [BO]]


def _follower_ids(engine: Engine) -> dict[str, str]:
    from node.models import Follower

    with Session(engine) as session:
        return {f.remote_id: str(f.id) for f in session.exec(select(Follower))}


def _event(client: TestClient, engine: Engine) -> tuple[Item, Api]:
    api = Api(client, make_org(engine))
    body = future(fixture("conference.json")["conference"]) | {"maximumAttendeeCapacity": 10}
    created = api.post("/api/v1/events", body)
    assert created.status_code == 201, created.text
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == created.json()["id"])).one()
    return item, api


def _register(engine: Engine, item: Item, name: str, email: str) -> int:
    with session_scope(engine) as session:
        event = session.get(Item, item.id)
        assert event is not None
        row = registrations.register_on_page(session, event, name, email, browser="").row
        assert row.id is not None and row.state == "pending"
        return row.id


def _states(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {p.actor or p.name: p.state for p in session.exec(select(Participant))}


def test_an_events_participants_are_approved_refused_and_exported_as_csv(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    item, _ = _event(client, engine)
    remote(engine, ALICE, "Person")
    assert incoming(app, "Join", ALICE, item.ap_id) == "pending approval"
    lu = _register(engine, item, "Lu Wen", "lu@example.org")
    sly = _register(engine, item, '=HYPERLINK("https://evil.example","click")', "-sly@x.example")
    staff(engine)
    token = as_person(client, "eddie@nec.example", "/workspace/nec/people")
    people = client.get("/workspace/nec/people").text
    base = f"/workspace/nec/events/{item.id}/participants"
    assert f'href="{base}"' in people
    page = client.get(base).text
    assert "Lu Wen" in page and "lu@example.org" in page and ALICE in page
    with Session(engine) as session:
        alice = session.exec(select(Participant).where(Participant.actor == ALICE)).one().id

    client.post(base + "/approve", data={"csrf": token, "participant_id": str(lu)})
    client.post(base + "/approve", data={"csrf": token, "participant_id": str(alice)})
    asked = client.post(base + "/refuse", data={"csrf": token, "participant_id": str(sly)})
    assert "The node sends no e-mail: tell them yourself at -sly@x.example" in asked.text
    done = client.post(base + "/refuse", data={"csrf": token, "participant_id": str(sly),
                                                "confirmed": "yes"}, follow_redirects=False)  # fmt: skip
    assert done.headers["location"] == base + "?done=participant-refused"
    assert _states(engine) == {ALICE: "accepted", "Lu Wen": "accepted",
                               '=HYPERLINK("https://evil.example","click")': "rejected"}  # fmt: skip
    # Only the fediverse participant is answered (an Accept); registrations get nothing sent.
    assert [(k, to) for k, _, to in answers(engine, "Accept", "Reject")] == [("Accept", [ALICE])]
    # Refusing an accepted fediverse participant tells their server.
    client.post(base + "/refuse", data={"csrf": token, "participant_id": str(alice),
                                        "confirmed": "yes"})  # fmt: skip
    assert [(k, to) for k, _, to in answers(engine, "Reject")] == [("Reject", [ALICE])]

    export = client.get(base + ".csv")
    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == (
        f'attachment; filename="participants-nec-{item.id}.csv"'
    )
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["name", "fediverse account", "e-mail", "state", "registered", "last change"]
    cells = {tuple(r[:4]) for r in rows[1:]}
    assert cells == {
        ("", ALICE, "", "rejected"),
        ("Lu Wen", "", "lu@example.org", "accepted"),
        ('\'=HYPERLINK("https://evil.example","click")', "", "'-sly@x.example", "rejected"),
    }


def _reply(engine: Engine, item: Item, n: int, state: str = "pending") -> int:
    note = f"{BO}/statuses/{n}"
    with session_scope(engine) as session:
        row = Interaction(activity_id=note, kind="reply", actor=BO, object_id=item.ap_id,
                          content=f"<p>Reply {n}: buy cheap watches</p>", state=state,
                          document={"id": note, "type": "Note", "inReplyTo": item.ap_id})  # fmt: skip
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def _reply_states(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Interaction).order_by(Interaction.id))  # type: ignore[arg-type]
        return [r.state for r in rows]


def test_replies_are_approved_hidden_and_reported_and_reports_resolved(
    client: TestClient, engine: Engine
) -> None:
    item, _ = _event(client, engine)
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
        session.add(Report(activity_id="https://other.example/flags/1",
                           reporter="https://other.example/actor", target_actor=f"{BASE}/actors/nec",
                           target_objects=[item.ap_id], content="Misleading dates"))  # fmt: skip
    remote(engine, BO, "Person")
    replies = [_reply(engine, item, n) for n in range(3)]
    staff(engine)
    token = as_person(client, "eddie@nec.example", "/workspace/nec/people")
    page = client.get("/workspace/nec/people").text
    assert "Reply 0: buy cheap watches" in page and "Misleading dates" in page
    dashboard = client.get("/workspace/nec").text  # its counts lead here
    assert 'href="/workspace/nec/people#replies-title"' in dashboard
    assert 'href="/workspace/nec/people#reports-title"' in dashboard

    client.post("/workspace/nec/replies/approve", data={"csrf": token, "reply_id": replies[0]})
    client.post("/workspace/nec/replies/hide", data={"csrf": token, "reply_id": replies[1],
                                                     "confirmed": "yes"})  # fmt: skip
    assert _reply_states(engine) == ["approved", "hidden", "pending"]
    report: dict[str, Any] = {"csrf": token, "reply_id": replies[2], "comment": "Spam",
                              "confirmed": "yes"}  # fmt: skip
    assert client.post("/workspace/nec/replies/report", data=report).status_code == 403
    with Session(engine) as session:
        [open_report] = session.exec(select(Report)).all()
    resolve = {"csrf": token, "report_id": str(open_report.id), "note": "Dates fixed",
               "confirmed": "yes"}  # fmt: skip
    assert client.post("/workspace/nec/reports/resolve", data=resolve).status_code == 403

    report["csrf"] = resolve["csrf"] = as_person(client, "vera@nec.example", "/workspace/nec")
    asked = client.post("/workspace/nec/replies/report", data=report | {"confirmed": ""})
    assert "goes to the moderators of its author" in asked.text
    assert client.post("/workspace/nec/replies/report", data=report).status_code == 200
    [flag] = sent(engine, "Flag")
    assert flag.document["object"] == [BO, f"{BO}/statuses/2"]
    assert flag.document["content"] == "Spam"
    assert _reply_states(engine) == ["approved", "hidden", "hidden"]
    assert client.post("/workspace/nec/reports/resolve", data=resolve).status_code == 200
    with Session(engine) as session:
        assert session.get(Report, open_report.id).state == "resolved"  # type: ignore[union-attr]
        log = [(e.who, e.action, e.reason) for e in session.exec(select(ModerationLog))]
    assert ("admin:vera@nec.example", "report_sent", "Spam") in log
    assert ("admin:vera@nec.example", "report_resolved", "Dates fixed") in log
    # someone else's reply or report number: 404, nothing changed
    before = snapshot(engine)
    assert client.post("/workspace/nec/replies/approve",
                       data={"csrf": report["csrf"], "reply_id": "999"}).status_code == 404  # fmt: skip
    assert snapshot(engine) == before
