"""An organizer whose browser asks for Spanish runs the People, Staff, API tokens and Profile
pages of the workspace in Spanish, and the newcomer she invites reads the invitation in Spanish:
the words around the data are translated, the data (addresses, e-mails, names) are not, and the
buttons keep naming what they act on for a screen reader."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.settings import Settings
from tests.db.network_support import local, remote
from tests.db.publishing_support import make_org
from tests.db.workspace_people_support import as_person, incoming, org, staff

BASE = "http://127.0.0.1:8000"
BO = "https://mastodon.example/users/bo"
RIVERSIDE = "https://coop.example/actors/riverside"
LINK = re.compile(r'<p class="link-box" id="the-link">([^<]+)</p>')
TOKEN = re.compile(r'<p class="link-box" id="the-token">([^<]+)</p>')

# English words of these pages that a Spanish page must not show.
ENGLISH = [
    ">Approve<",
    ">Refuse<",
    ">Remove<",
    "Followers waiting for approval",
    "Participants of events",
    "Who works here",
    "Invite someone",
    "Make an invitation link",
    "Make a token",
    "(required)",
    "Save the profile",
    "Not given",
    ">Cancel<",
    "expires in",
]


def _spanish(client: TestClient, path: str, *present: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return _read(page.text, path, *present)


def _read(text: str, where: str, *present: str) -> str:
    english = [words for words in ENGLISH if words in text]
    assert not english, (where, english)
    missing = [words for words in present if words not in text]
    assert not missing, (where, missing)
    assert '<html lang="es"' in text, where
    return text


def test_an_organizer_runs_people_staff_tokens_and_profile_in_spanish(
    app: Starlette, settings: Settings, client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    org(engine)
    staff(engine)
    remote(engine, BO, "Person")
    assert incoming(app, "Follow", BO, f"{BASE}/actors/nec").startswith("pending")
    client.headers["Accept-Language"] = "es-MX,es;q=0.9"
    token = as_person(client, "vera@nec.example", "/workspace/nec/people")

    people = _spanish(client, "/workspace/nec/people", "Seguidores pendientes de aprobación",
                      "Participantes de los eventos", "Todavía no hay seguidores.")  # fmt: skip
    # The decision is a word; the hidden words still name the follower, untranslated.
    assert f'>Aprobar<span class="visually-hidden"> {BO}</span></button>' in people
    assert f'>Rechazar<span class="visually-hidden"> {BO}</span></button>' in people

    asking = client.post("/workspace/nec/followers/reject",
                         data={"csrf": token, "follower_id": _hidden_id(people)})  # fmt: skip
    # The confirmation's question and button are written by the Python handler; its way back
    # is the template's.
    assert '<a href="/workspace/nec/people">Cancelar</a>' in asking.text

    staff_page = _spanish(client, "/workspace/nec/staff", "Equipo de ", "Quién trabaja aquí",
                          "<td>administración</td>", "<td>edición</td>",
                          "edición: publica y hace el seguimiento", "Crear un enlace de invitación")  # fmt: skip
    assert "vera@nec.example" in staff_page and "eddie@nec.example" in staff_page
    made = client.post("/workspace/nec/staff/invite", data={"csrf": token, "role": "editor"})
    link_page = _read(made.text, "the invitation link", "Enlace de invitación", "caduca en 7 días")
    found = LINK.search(link_page)
    assert found
    _spanish(client, "/workspace/nec/staff", "Invitaciones sin usar", "edición, creada el ")

    with TestClient(app, base_url=settings.base_url) as newcomer:
        newcomer.headers["Accept-Language"] = "es"
        invitation = newcomer.get(found.group(1).removeprefix(settings.base_url))
        _read(invitation.text, "the invitation", "Aceptar la invitación",
              "con el rol de <strong>edición</strong>", "la actual si ya tienes una cuenta aquí")  # fmt: skip

    _spanish(client, "/workspace/nec/tokens", "Claves de la API de ", "Crear una clave",
             '<option value="90" selected>en 90 días</option>', "nunca (hasta que se revoque)")  # fmt: skip
    created = client.post("/workspace/nec/tokens/create",
                          data={"csrf": token, "label": "calendario", "expires_in": "30"})  # fmt: skip
    tokens = _read(created.text, "the new token", "Tu nueva clave «calendario»",
                   "Caduca en 30 días.", "<td>activa</td>", ">Revocar<")  # fmt: skip
    assert TOKEN.search(tokens)

    # The form macros are translated too (they are imported with the page's context).
    _spanish(client, "/workspace/nec/profile", "Nombre <span class=\"meta\">(obligatorio)</span>",
             "Descripción del avatar", "Etiqueta 1", "Sin indicar", "Guardar el perfil")  # fmt: skip


def test_a_network_admin_reads_requests_and_rules_in_spanish(
    app: Starlette, client: TestClient, engine: Engine
) -> None:
    local(engine, "ussen", "network")
    remote(engine, RIVERSIDE)
    assert incoming(app, "Join", RIVERSIDE, f"{BASE}/actors/ussen").startswith("network: requested")
    staff(engine, "ussen")
    client.headers["Accept-Language"] = "es"
    as_person(client, "vera@nec.example", "/workspace/ussen/networks")
    page = _spanish(client, "/workspace/ussen/networks", "La red Ussen", "Solicitudes de membresía",
                    "organización, lo pidió el ", "Miembros (0)", "Qué difunde la red",
                    "> convocatoria</label>", "Dominios bloqueados: ninguno")  # fmt: skip
    assert f'>Admitir<span class="visually-hidden"> {RIVERSIDE}</span></button>' in page


def _hidden_id(page: str) -> str:
    found = re.search(r'name="follower_id" value="(\d+)"', page)
    assert found
    return found.group(1)


def test_the_same_pages_stay_english_for_an_english_reader(
    client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    staff(engine)
    client.headers["Accept-Language"] = "en"
    as_person(client, "vera@nec.example", "/workspace/nec/staff")
    page = client.get("/workspace/nec/staff").text
    assert "Who works here" in page and "<td>admin</td>" in page
    assert '<option value="editor">editor: publishes and follows up</option>' in page
    profile = client.get("/workspace/nec/profile").text
    assert 'Name <span class="meta">(required)</span>' in profile and "Save the profile" in profile
