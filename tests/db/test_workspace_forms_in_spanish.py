"""An organizer whose browser asks for Spanish reads the workspace's own refusals in Spanish: the
errors beside the fields of a publishing form (the words and the field's name come from the
catalogue apart, the values are filled in after), the page of a route they may not use, and
why a scheduled draft was not published."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import as_utc, session_scope
from node.features.workspace.drafts import PUBLISH_JOB, run_publish_job
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done
from node.models import Draft, Job
from tests.db.forms_support import BASE, drafts, items, signed_in_editor, submit
from tests.db.workspace_support import snapshot

# The feria of a Madrid cooperative; the postal code field got the whole directions pasted in.
DIRECTIONS = (
    "28012 - entrada por la calle de Atocha, junto al mercado; si viene en metro, salga en "
    "Antón Martín y siga las indicaciones hacia el patio del fondo, donde están las mesas de "
    "las cooperativas de consumo y el puesto de la moneda social del barrio."
)
FERIA = {
    "name": "Feria de economía solidaria",
    "content": "Mercado de cooperativas, talleres y música.",
    "startTime": "2027-05-15T10:00",
    "timezone": "Europe/Madrid",
    "location.name": "Patio del mercado",
    "location.address.postalCode": DIRECTIONS,
    "location.address.addressLocality": "Madrid",
    "location.address.addressCountry": "ES",
    "action": "publish",
}


def test_a_spanish_organizer_reads_the_form_errors_and_a_refusal_in_spanish(
    client: TestClient, engine: Engine
) -> None:
    assert len(DIRECTIONS) > 200
    client.headers["Accept-Language"] = "es-ES,es;q=0.9,en;q=0.5"
    signed_in_editor(client, engine)
    before = snapshot(engine)

    # no end and a postal code of 229 characters: the end is checked first
    no_end = submit(client, f"{BASE}/publish/new/event", FERIA)
    assert no_end.status_code == 422
    assert (
        '<p class="field-error" id="f-endTime-error">Indica la hora a la que termina el evento.</p>'
        in no_end.text
    )
    assert "Give the time the event ends." not in no_end.text
    assert 'value="Patio del mercado"' in no_end.text  # what was typed stays

    # with the end given, the postal code: the Spanish words, the Spanish name of the field,
    # and the numbers of this postal code
    too_long = submit(client, f"{BASE}/publish/new/event", FERIA | {"endTime": "2027-05-15T20:00"})
    assert too_long.status_code == 422
    assert (
        '<p class="field-error" id="f-location-address-postalCode-error">'
        f"Acorta el código postal a 200 caracteres (tiene {len(DIRECTIONS)}).</p>" in too_long.text
    )
    assert "Shorten the postal code" not in too_long.text
    assert snapshot(engine) == before  # nothing stored

    # an editor at an admin's page: the refusal in Spanish too
    refused = client.get(f"{BASE}/staff")
    assert refused.status_code == 403
    assert "<h1>Solo para administradores</h1>" in refused.text
    assert (
        "Solo una persona administradora de esta organización o red puede hacer esto."
        in refused.text
    )
    assert "Only an admin" not in refused.text

    # the same organizer with an English browser reads the English of before
    client.headers["Accept-Language"] = "en"
    english = submit(client, f"{BASE}/publish/new/event", FERIA)
    assert '<p class="field-error" id="f-endTime-error">Give the time the event ends.</p>' in (
        english.text
    )
    assert "Only an admin of this organization or network may do this." in (
        client.get(f"{BASE}/staff").text
    )


def test_a_scheduled_call_that_no_longer_validates_says_why_in_the_organizers_language(
    client: TestClient, app: Starlette, engine: Engine
) -> None:
    client.headers["Accept-Language"] = "es"
    signed_in_editor(client, engine)
    call = {"name": "Voluntariado para la vendimia", "purpose": "request",
            "resource": "Voluntariado", "content": "Ayúdanos a recoger la uva.",
            "region": "La Rioja", "deadline": "2099-09-30T18:00", "timezone": "Europe/Madrid",
            "publish_at": "2099-09-01T09:00", "action": "schedule"}  # fmt: skip
    assert submit(client, f"{BASE}/publish/new/call", call).status_code == 303
    [draft] = drafts(engine)
    with Session(engine) as session:
        [job] = session.exec(select(Job).where(Job.kind == PUBLISH_JOB)).all()
    with session_scope(engine) as session:  # its time has come, and the deadline went by first
        row = session.get(Draft, draft.id)
        assert row is not None and row.publish_at is not None
        row.publish_at = as_utc(row.publish_at) - timedelta(days=365 * 80)
        row.source = {**row.source, "deadline": "2019-09-30T18:00:00+02:00"}
        session.add(row)
    claimed = ClaimedJob(job.id or 0, PUBLISH_JOB, dict(job.payload), 1, job.dedupe_key)
    assert asyncio.run(run_publish_job(app.state.node, claimed)) == Done()

    assert items(engine) == []
    [kept] = drafts(engine)
    assert kept.publish_at is None and "deadline" in kept.problem
    listed = client.get(f"{BASE}/publish").text
    assert "Elige una fecha límite que aún no haya pasado." in listed
    assert "Pick a deadline that is still ahead." not in listed
    form = client.get(f"{BASE}/publish/new/call?draft={kept.id}").text
    assert "Elige una fecha límite que aún no haya pasado." in form
    client.headers["Accept-Language"] = "en"
    assert "Pick a deadline that is still ahead." in client.get(f"{BASE}/publish").text


def test_the_profile_form_lists_countries_and_the_classification_in_spanish(
    client: TestClient, engine: Engine
) -> None:
    client.headers["Accept-Language"] = "es"
    signed_in_editor(client, engine, role="admin")
    page = client.get(f"{BASE}/profile").text
    assert '<option value="DE">Alemania</option>' in page
    assert "Actividad económica" in page and ">Agricultura</option>" in page
    client.headers["Accept-Language"] = "en"
    page = client.get(f"{BASE}/profile").text
    assert '<option value="DE">Germany</option>' in page and ">Agriculture</option>" in page


def test_the_people_page_gives_an_events_start_in_its_zone_in_spanish(
    client: TestClient, engine: Engine
) -> None:
    client.headers["Accept-Language"] = "es"
    signed_in_editor(client, engine)
    feria = FERIA | {"endTime": "2027-05-15T20:00", "location.address.postalCode": "28012"}
    assert submit(client, f"{BASE}/publish/new/event", feria).status_code == 303
    assert "<td>sáb 15 may 2027, 10:00 UTC+02:00</td>" in client.get(f"{BASE}/people").text
    client.headers["Accept-Language"] = "en"
    assert "<td>Sat 15 May 2027, 10:00\u202fAM UTC+02:00</td>" in client.get(f"{BASE}/people").text
