"""An organizer whose browser asks for Spanish reads the workspace's own refusals in Spanish: the
errors beside the fields of a publishing form (the words and the field's name come from the
catalogue apart, the values are filled in after) and the page of a route they may not use."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.forms_support import BASE, signed_in_editor, submit
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
