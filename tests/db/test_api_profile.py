"""The organization's profile through the API: what is stored, what the actor document and the
profile page show, and the actor Update its followers get when it changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.publishing_support import BASE, Api, Page, add_follower, fanout_jobs, make_org, outbox

STANDARD = "http://purl.org/essglobal/standard"
PROFILE = {
    "name": "New Economy Coalition",
    "description": "Convening the **solidarity economy** movement. Member of RIPESS.",
    "icon": {"url": "https://nec.example.org/logo.png", "name": "The NEC logo: a green circle"},
    "image": {"url": "https://nec.example.org/header.jpg", "name": "People at a gathering"},
    "website": "https://nec.example.org",
    "fields": [{"name": "Newsletter", "value": "https://nec.example.org/news"}],
    "region": "New England",
    "country": "us",
    "latitude": 42.36,
    "longitude": -71.06,
    "essglobal": {
        "legalForm": [f"{STANDARD}/legal-form/L4"],
        "economicSector": ["https://purl.org/essglobal/standard/activities-ica/ICA10"],
    },
}


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    token = make_org(engine)
    add_follower(engine, "nec")
    return Api(client, token)


def test_a_profile_edit_is_stored_shown_and_sent_to_followers_as_an_actor_update(
    api: Api, client: TestClient, engine: Engine
) -> None:
    answer = api.patch("/api/v1/profile", PROFILE)
    assert answer.status_code == 200, answer.json()
    profile = answer.json()
    assert profile["summary"] == (
        "<p>Convening the <strong>solidarity economy</strong> movement. Member of RIPESS.</p>"
    )
    assert profile["country"] == "US"
    # IRIs are stored in their canonical http:// form and shown with their labels.
    assert profile["essglobal"]["economicSector"] == [f"{STANDARD}/activities-ica/ICA10"]
    assert profile["essglobalLabels"][f"{STANDARD}/legal-form/L4"] == "Non-Profit Organisation"
    assert api.get("/api/v1/profile").json() == profile

    [update] = outbox(engine, "Update")
    assert update["actor"] == f"{BASE}/actors/nec" == update["object"]["id"]
    assert update["object"]["type"] == "Organization"
    assert update["object"]["summary"] == profile["summary"]
    assert update["object"]["icon"] == {
        "type": "Image",
        "url": "https://nec.example.org/logo.png",
        "mediaType": "image/png",
        "name": "The NEC logo: a green circle",
    }
    # A field's URL is a rel="me" link, the form Mastodon verifies.
    [field] = update["object"]["attachment"]
    assert field["name"] == "Newsletter" and 'rel="me' in field["value"]
    assert fanout_jobs(engine)[-1]["audience"]["followers"] is True

    page = Page(client.get("/@nec?lang=es").text)
    assert "Empresa Social" not in page.text  # only what was chosen
    assert "Agricultura" in page.text and "New England, US" in page.text

    # The same edit again changes nothing and sends nothing.
    api.patch("/api/v1/profile", PROFILE)
    assert len(outbox(engine, "Update")) == 1


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"essglobal": {"legalForm": ["https://example.org/coop"]}}, "essglobal.legalForm[0]"),
        ({"essglobal": {"sector": []}}, "essglobal.sector"),
        ({"fields": [{"name": str(n), "value": "x"} for n in range(5)]}, "fields"),
        ({"latitude": 10}, "longitude"),
        ({"country": "USA"}, "country"),
        ({"icon": {"url": "https://nec.example.org/logo.png"}}, "icon.name"),
        ({"name": None}, "name"),
        ({"website": "ftp://nec.example.org"}, "website"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ],
)
def test_bad_profile_edits_name_the_field(
    api: Api, engine: Engine, patch: dict[str, Any], field: str
) -> None:
    answer = api.patch("/api/v1/profile", patch)
    assert (answer.status_code, answer.json()["field"]) == (422, field)
    assert outbox(engine) == []


def test_removing_the_description_removes_the_summary(api: Api) -> None:
    api.patch("/api/v1/profile", {"description": "Hello"})
    assert api.patch("/api/v1/profile", {"description": None}).json()["summary"] == ""


def test_the_organizations_time_zone_is_part_of_the_profile(api: Api) -> None:
    answer = api.patch("/api/v1/profile", {"timezone": "Europe/Lisbon"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["timezone"] == "Europe/Lisbon"
    assert api.patch("/api/v1/profile", {"timezone": None}).json().get("timezone") is None
