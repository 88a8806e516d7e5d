"""Signing in to the workspace: the form, the session cookie, CSRF, the rate limit, signing out."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.db.workspace_support import PASSWORD, csrf, make_actor, make_person, sign_in


def test_organizer_signs_in_and_sees_the_organizations_she_works_for(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_actor(engine, "tool-library")
    make_person(engine, "ana@example.org", ("coop-bakery", "editor"))

    first = client.get("/workspace", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/workspace/sign-in?next=/workspace"

    answer = sign_in(client, "Ana@Example.org ", PASSWORD)
    assert answer.status_code == 303, answer.text
    home = client.get("/workspace")
    assert home.status_code == 200
    assert "Coop Bakery" in home.text
    assert "Tool Library" not in home.text
    dash = client.get("/workspace/coop-bakery")
    assert dash.status_code == 200
    assert client.get("/workspace/tool-library").status_code == 404
    assert csrf(client)
