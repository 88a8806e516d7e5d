"""A Spanish-speaking organizer reads why the node would not do what they asked — a follower who
is no longer waiting, a participant already refused — in Spanish, the values (who, which
organization) filled in; the participants' spreadsheet has Spanish column headers; an English
browser reads the same refusals word for word as the command line and the API give them."""

from __future__ import annotations

import csv
import io

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.participation import registrations
from node.models import Follower, Item, Participant
from node.settings import Settings
from tests.db.network_support import remote
from tests.db.publishing_support import Api, fixture, future, make_org
from tests.db.workspace_people_support import as_person, followers, incoming, org, staff
from tests.db.workspace_support import snapshot

BASE = "http://127.0.0.1:8000"
ROSA = "https://mastodon.example/users/rosa"
SPANISH = "es-ES,es;q=0.9,en;q=0.5"


def _follower_id(engine: Engine, remote_id: str) -> str:
    with Session(engine) as session:
        row = session.exec(select(Follower).where(Follower.remote_id == remote_id)).one()
        return str(row.id)


def test_a_follower_no_longer_waiting_is_refused_in_the_organizers_language(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    org(engine)
    staff(engine)
    remote(engine, ROSA, "Person")
    assert incoming(app, "Follow", ROSA, f"{BASE}/actors/nec").startswith("pending")
    client.headers["Accept-Language"] = SPANISH
    token = as_person(client, "vera@nec.example", "/workspace/nec/people")
    ident = _follower_id(engine, ROSA)

    # removing someone still waiting: refuse them instead, says the page, in Spanish
    before = snapshot(engine)
    waiting = client.post("/workspace/nec/followers/remove",
                          data={"csrf": token, "follower_id": ident, "confirmed": "yes"})  # fmt: skip
    assert waiting.status_code == 409
    assert "<h1>No se puede quitar</h1>" in waiting.text
    assert f"{ROSA} está esperando tu aprobación: rechaza su solicitud en su lugar." in waiting.text
    assert "is waiting for approval" not in waiting.text
    assert snapshot(engine) == before  # nothing changed

    # approved, then refused as if still waiting (a second tab): already decided
    client.post("/workspace/nec/followers/approve", data={"csrf": token, "follower_id": ident})
    late = client.post("/workspace/nec/followers/reject",
                       data={"csrf": token, "follower_id": ident, "confirmed": "yes"})  # fmt: skip
    assert late.status_code == 409
    assert "<h1>Ya decidido</h1>" in late.text
    assert f"{ROSA} ya sigue a @nec." in late.text
    assert "already follows" not in late.text
    assert followers(engine) == [(ROSA, "accepted")]

    # the same refusal for an English browser: the English the CLI prints, unchanged
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"
    english = client.post("/workspace/nec/followers/reject",
                          data={"csrf": token, "follower_id": ident, "confirmed": "yes"})  # fmt: skip
    assert english.status_code == 409
    assert "<h1>Already decided</h1>" in english.text
    assert f"{ROSA} already follows @nec." in english.text


def _event_with_two(client: TestClient, engine: Engine) -> tuple[Item, int, int]:
    api = Api(client, make_org(engine))
    body = future(fixture("conference.json")["conference"]) | {"maximumAttendeeCapacity": 10}
    created = api.post("/api/v1/events", body)
    assert created.status_code == 201, created.text
    ids = []
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == created.json()["id"])).one()
        for name, email in (("Lucía Pérez", "lucia@example.org"), ("Tomás Ruiz", "tomas@x.org")):
            row = registrations.register_on_page(session, item, name, email, browser="").row
            assert row.state == "pending"
            ids.append(row.id or 0)
    return item, ids[0], ids[1]


def test_a_participant_already_refused_and_the_spreadsheet_in_the_organizers_language(
    client: TestClient, engine: Engine
) -> None:
    item, lucia, tomas = _event_with_two(client, engine)
    staff(engine)
    client.headers["Accept-Language"] = SPANISH
    token = as_person(client, "eddie@nec.example", "/workspace/nec/people")
    base = f"/workspace/nec/events/{item.id}/participants"
    client.post(base + "/refuse", data={"csrf": token, "participant_id": str(tomas),
                                        "confirmed": "yes"})  # fmt: skip
    client.post(base + "/approve", data={"csrf": token, "participant_id": str(lucia)})

    # approving Tomás after all (an old tab): not done, and why, in Spanish
    before = snapshot(engine)
    again = client.post(base + "/approve", data={"csrf": token, "participant_id": str(tomas)})
    assert again.status_code == 409
    assert "<h1>No se puede hacer ahora</h1>" in again.text
    assert "No se hizo: a esta persona ya se le rechazó la inscripción." in again.text
    assert "the participant is" not in again.text
    assert snapshot(engine) == before
    with Session(engine) as session:
        assert session.get(Participant, tomas).state == "rejected"  # type: ignore[union-attr]

    # the spreadsheet's columns in Spanish
    rows = list(csv.reader(io.StringIO(client.get(base + ".csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["nombre", "cuenta del fediverso", "correo electrónico", "estado",
                       "fecha de inscripción", "último cambio"]  # fmt: skip
    assert {tuple(r[:4]) for r in rows[1:]} == {
        ("Lucía Pérez", "", "lucia@example.org", "accepted"),
        ("Tomás Ruiz", "", "tomas@x.org", "rejected"),
    }

    # an English browser: the API's English words, and the English columns
    client.headers["Accept-Language"] = "en"
    english = client.post(base + "/approve", data={"csrf": token, "participant_id": str(tomas)})
    assert "Not done: the participant is rejected." in english.text
    rows = list(csv.reader(io.StringIO(client.get(base + ".csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["name", "fediverse account", "e-mail", "state", "registered", "last change"]


def test_error_pages_a_person_sees_are_titled_in_their_language(client: TestClient) -> None:
    spanish = {"Accept-Language": SPANISH, "Accept": "text/html"}
    missing = client.get("/no-such-page-here", headers=spanish)
    assert missing.status_code == 404
    assert "<h1>No encontrado</h1>" in missing.text and "Not Found" not in missing.text
    wrong = client.delete("/", headers=spanish)
    assert wrong.status_code == 405
    assert "<h1>Método no permitido</h1>" in wrong.text
    english = client.get("/no-such-page-here", headers={"Accept": "text/html"})
    assert "<h1>Not Found</h1>" in english.text
    # a program asking for JSON keeps Starlette's English detail
    assert client.get("/api/v1/nothing-here").json()["error"] == "Not Found"


def test_a_crash_shows_a_person_a_translated_page_and_a_program_json(
    app: Starlette, settings: Settings
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug in a page")

    app.router.routes.append(Route("/broken", broken))
    with TestClient(app, base_url=settings.base_url, raise_server_exceptions=False) as visitor:
        page = visitor.get("/broken", headers={"Accept": "text/html", "Accept-Language": "es"})
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Error interno del servidor</h1>" in page.text
        assert "Algo falló en este nodo; ha guardado los detalles en su registro." in page.text
        assert "a bug in a page" not in page.text
        english = visitor.get("/broken", headers={"Accept": "text/html"})
        assert "<h1>Internal Server Error</h1>" in english.text
        program = visitor.get("/broken", headers={"Accept": "application/json"})
        assert program.status_code == 500
        assert program.json() == {"error": "internal error; the node logged the details"}
        assert program.headers["x-content-type-options"] == "nosniff"
