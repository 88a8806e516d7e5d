"""A visitor whose browser asks for Spanish reads the words around the content in Spanish: the
front page, an organization, a network (profile and calendar), an event, a call, and the
workspace's sign-in and dashboard. The demo's content is in English; the page is not."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.cli.demo import load_demo
from node.models import Item
from node.settings import Settings
from tests.db.workspace_support import sign_in

# Words of the page around the content, in English, that a Spanish page must not show.
CHROME = [
    "Skip to content",
    "Events &amp; networks",
    "Upcoming events",
    "Calls and news",
    "Search events, calls, news",
    "Published with Solidarity Node",
    "None yet.",
    ">Follow<",
    ">Timeline<",
    ">Calendar<",
    ">Members<",
    "Subscribe to the calendar",
    "Add to calendar",
    ">Share<",
    "Take part",
    "Published by",
    "Organized by",
    "Previous month",
    "Region or country",
    "Sign in",
    "Password",
    "Sign out",
    "Your account",
    "Needs attention",
    "Recent items",
    "follower",
    "Workspace",
]


def _spanish(client: TestClient, path: str, *present: str) -> str:
    page = client.get(path, headers={"Accept-Language": "es"})
    assert page.status_code == 200, path
    english = [words for words in CHROME if words in page.text]
    assert not english, (path, english)
    missing = [words for words in ("Ir al contenido", *present) if words not in page.text]
    assert not missing, (path, missing)
    assert '<html lang="es"' in page.text, path
    return str(page.text)


def test_a_spanish_visitor_reads_the_public_pages_and_the_workspace_in_spanish(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    list(load_demo(settings, engine))
    with Session(engine) as session:
        items = session.exec(select(Item)).all()
    conference = next(i for i in items if i.kind == "event" and not i.parent_id and not i.series_id)
    call = next(i for i in items if i.kind == "call")

    _spanish(client, "/", "Próximos eventos", "Convocatorias y noticias", "Redes", "Buscar")
    _spanish(client, "/@nec", "Seguir", "Organización", "Próximos eventos")
    _spanish(client, "/@ussen", "Miembros", "Cronología", "Calendario", "Red")
    month = _spanish(
        client, "/networks/ussen/calendar?month=2026-11", "Mes anterior", "noviembre de 2026"
    )
    assert '<abbr title="lunes">lun</abbr>' in month
    _spanish(client, conference.ap_id, "Cuándo", "Añadir al calendario", "Participar")
    _spanish(client, call.ap_id, "Publicado por", "Responder a esta convocatoria")
    _spanish(client, "/workspace/sign-in", "Entrar al espacio de trabajo", "Contraseña")

    client.headers["Accept-Language"] = "es"
    assert sign_in(client, "demo@example.org", "solidarity-demo").status_code == 303
    _spanish(client, "/workspace/nec", "Pendiente", "Próximos eventos", "Salir", "Tu cuenta")


def test_an_english_visitor_still_reads_english(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    list(load_demo(settings, engine))
    page = client.get("/", headers={"Accept-Language": "en"}).text
    assert "Skip to content" in page and "Upcoming events" in page
    calendar = client.get("/networks/ussen/calendar?month=2026-11").text
    assert "November 2026" in calendar and '<abbr title="Monday">Mon</abbr>' in calendar


def test_a_missing_page_says_so_in_spanish(client: TestClient) -> None:
    page = client.get("/networks/nobody/calendar", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    assert "Esta red no existe en este nodo." in page.text
    assert "No encontrado" in page.text and "Not found" not in page.text
    english = client.get("/networks/nobody/calendar")
    assert "This network was not found on this node." in english.text
