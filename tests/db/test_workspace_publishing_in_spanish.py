"""An organizer whose browser asks for Spanish publishes an event through the workspace: the
form, its preview, the item's page, the postponement's confirmation and the item's Insight are
all in Spanish around the organizer's own English text (labels, hints, the options of the
selects, the statuses, the buttons)."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.forms_support import BASE, GATHERING, items, signed_in_editor, submit

# English the pages said before they went through the catalogue; none may remain in Spanish.
ENGLISH = ("Publish now", "Save as draft", "Time zone", "How people register", "Preview the",
           "What your followers will see", "Servers delivered to", "People already registered",
           "Add a session", "public page", "No feedback yet")  # fmt: skip


def _spanish(client: TestClient, path: str, *present: str) -> str:
    page = client.get(path)
    assert page.status_code in (200, 404), (path, page.status_code)
    assert '<html lang="es"' in page.text, path
    missing = [words for words in present if words not in page.text]
    assert not missing, f"{path}: no {missing}"
    english = [words for words in ENGLISH if words in page.text]
    assert not english, f"{path}: still English: {english}"
    return str(page.text)


def test_an_organizer_publishes_and_follows_an_event_in_spanish(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    client.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"

    _spanish(client, f"{BASE}/publish/new/event", "<h1>Nuevo evento</h1>", "Cuándo", "Dónde",
             "Zona horaria", "Cómo se inscribe la gente", "Solo con invitación", "Código postal",
             "Guardar como borrador", "Publicar ahora", "Clubes de lectura")  # fmt: skip
    series = _spanish(client, f"{BASE}/publish/new/series", "Se repite",
                      "Cada mes, el mismo día del mes", "las próximas 3 fechas")  # fmt: skip
    assert ">la próxima fecha</option>" in series

    shown = submit(client, f"{BASE}/publish/new/event", GATHERING | {"action": "preview"})
    assert "Lo que verán tus seguidores (en Mastodon y aplicaciones parecidas)" in shown.text
    assert "<strong>workshops</strong>" in shown.text  # the organizer's words stay theirs

    published = submit(client, f"{BASE}/publish/new/event", GATHERING)
    assert published.status_code == 303, published.text
    page = published.headers["location"].split("?")[0]
    _spanish(client, page, "situación: previsto", "0 personas inscritas", "Aplazar…",
             "Cancelar…", "Añadir una sesión", "página pública")  # fmt: skip

    confirm = submit(client, f"{page}/status", {"status": "postponed"}, form=page)
    assert confirm.status_code == 200
    for words in ("<h1>Aplazar: Solidarity Economy Gathering</h1>", "Personas ya inscritas",
                  "Su inscripción se mantiene", ">Aplazar</button>"):  # fmt: skip
        assert words in confirm.text, words

    [event] = items(engine, "event")
    _spanish(client, f"{BASE}/items/{event.id}/insight", "Alcance",
             "Servidores que la recibieron", "Participantes del fediverso", "aceptado",
             "Cuando termine el evento, su página pedirá una valoración")  # fmt: skip
    _spanish(client, f"{BASE}/items/999999/insight", "<h1>No encontrado</h1>",
             "no tiene ninguna publicación 999999", "Volver a Impacto")  # fmt: skip
