"""Role boundaries on EVERY workspace route, enumerated from node.wiring.routes(): staff of one
organization can neither see nor change another's pages (404, nothing changed), editors are
refused the admin-only pages (403, nothing changed), and nobody gets in without signing in.

Routes other features add under /workspace/{slug} are covered here without editing this test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from node import wiring
from node.db import session_scope
from node.features.workspace import links
from node.features.workspace.accounts import staff_user
from node.models import LocalActor, UserAccount
from tests.db.workspace_support import csrf, make_actor, make_person, sign_in, snapshot

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
METHODS = ("GET", "POST")


def workspace_routes() -> dict[str, dict[str, Any]]:
    """Every path under /workspace/{slug} with its endpoint per method."""
    found: dict[str, dict[str, Any]] = {}
    for route in wiring.routes():
        if isinstance(route, Route) and route.path.startswith("/workspace/{slug}"):
            for method in route.methods or ():
                found.setdefault(route.path, {}).setdefault(method, route.endpoint)
    return found


def concrete(path: str, slug: str) -> str:
    """The path with ``{slug}`` filled in and any other parameter given a plausible value."""
    return PARAM.sub(lambda m: slug if m.group(1) == "slug" else "1", path)


def attempts(slug: str) -> Iterator[tuple[str, str, bool]]:
    """(method, URL, whether the route takes that method) for every workspace route."""
    for path, endpoints in sorted(workspace_routes().items()):
        for method in METHODS:
            yield method, concrete(path, slug), method in endpoints


def _victim_and_intruder(engine: Engine) -> dict[str, int]:
    make_actor(engine, "coop-bakery")
    make_actor(engine, "tool-library")
    ids = {
        "vera": make_person(engine, "vera@bakery.example", ("coop-bakery", "admin")),
        "eddie": make_person(engine, "eddie@bakery.example", ("coop-bakery", "editor")),
        "ivan": make_person(engine, "ivan@library.example", ("tool-library", "admin")),
    }
    with session_scope(engine) as session:  # a pending invitation the intruder must not touch
        vera = session.get(UserAccount, ids["vera"])
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "coop-bakery")).one()
        assert vera is not None
        links.make_invitation(session, actor, "editor", staff_user(vera))
    return ids


def _form(token: str, ids: dict[str, int]) -> dict[str, str]:
    """A form with the fields workspace pages commonly read, aimed at the victim's data."""
    return {"csrf": token, "email": "ivan@library.example", "role": "admin",
            "user_id": str(ids["eddie"]), "link_id": "1", "id": "1", "name": "Taken over",
            "password": "a takeover password", "confirm": "a takeover password"}  # fmt: skip


def test_the_workspace_has_routes_under_a_slug_and_all_use_the_staff_kit() -> None:
    routes = workspace_routes()
    assert "/workspace/{slug}" in routes and "/workspace/{slug}/staff" in routes
    for path, endpoints in routes.items():
        for method, endpoint in endpoints.items():
            assert getattr(endpoint, "workspace_role", None) in {"editor", "admin"}, (
                f"{method} {path} is not made with @staff_page"
            )


def test_staff_of_another_organization_get_404_on_every_route_and_change_nothing(
    client: TestClient, engine: Engine
) -> None:
    ids = _victim_and_intruder(engine)
    sign_in(client, "ivan@library.example")
    token = csrf(client, "/workspace/tool-library")
    before = snapshot(engine)
    tried = 0
    for method, url, taken in attempts("coop-bakery"):
        answer = client.request(method, url, data=_form(token, ids) if method == "POST" else None,
                                follow_redirects=False)  # fmt: skip
        expected = 404 if taken else 405
        assert answer.status_code == expected, (method, url, answer.status_code)
        assert "Coop Bakery" not in answer.text and "vera@" not in answer.text
        tried += taken
    assert tried >= 7
    assert snapshot(engine) == before
    # a slug that does not exist answers the same: nothing tells which organizations exist
    for method, url, taken in attempts("no-such-org"):
        if taken:
            data = _form(token, ids) if method == "POST" else None
            assert client.request(method, url, data=data, follow_redirects=False).status_code == 404


def test_editors_are_refused_the_admin_only_pages_with_403(
    client: TestClient, engine: Engine
) -> None:
    ids = _victim_and_intruder(engine)
    sign_in(client, "eddie@bakery.example")
    token = csrf(client, "/workspace/coop-bakery")
    before = snapshot(engine)
    admin_only = 0
    for path, endpoints in workspace_routes().items():
        url = concrete(path, "coop-bakery")
        for method, endpoint in endpoints.items():
            if endpoint.workspace_role != "admin" or method not in METHODS:
                continue
            data = _form(token, ids) if method == "POST" else None
            answer = client.request(method, url, data=data, follow_redirects=False)
            assert answer.status_code == 403, (method, url)
            assert "Only an admin" in answer.text
            admin_only += 1
    assert admin_only >= 6
    assert snapshot(engine) == before
    # the pages for editors are open to them
    assert client.get("/workspace/coop-bakery").status_code == 200


@pytest.mark.parametrize("method", METHODS)
def test_nobody_gets_in_without_signing_in(client: TestClient, engine: Engine, method: str) -> None:
    _victim_and_intruder(engine)
    before = snapshot(engine)
    for m, url, taken in attempts("coop-bakery"):
        if m == method and taken:
            answer = client.request(method, url, data={"role": "admin"} if m == "POST" else None,
                                    follow_redirects=False)  # fmt: skip
            assert answer.status_code == 303, url
            assert answer.headers["location"].startswith("/workspace/sign-in?next=")
    assert snapshot(engine) == before


def test_node_admins_may_act_on_every_organization(client: TestClient, engine: Engine) -> None:
    _victim_and_intruder(engine)
    make_person(engine, "root@node.example", admin=True)
    sign_in(client, "root@node.example")
    for slug in ("coop-bakery", "tool-library"):
        assert client.get(f"/workspace/{slug}/staff").status_code == 200
    home = client.get("/workspace")
    assert "Coop Bakery" in home.text and "Tool Library" in home.text
