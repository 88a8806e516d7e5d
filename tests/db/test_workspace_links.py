"""Links an admin copies from the workspace: an invitation (a new account or an existing one
joins an organization) and a password reset (one use, expires); changing one's password."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import now_utc, session_scope
from node.models import AccountLink, StaffRole
from node.settings import Settings
from tests.db.workspace_support import PASSWORD, csrf, hidden, make_actor, make_person, sign_in

LINK = re.compile(r'<p class="link-box" id="the-link">([^<]+)</p>')
NEW = "a brand new password"


def _link(client: TestClient, path: str, data: dict[str, str]) -> str:
    """Post an admin form that makes a link; the link's path."""
    answer = client.post(path, data={**data, "csrf": csrf(client, "/workspace/account")})
    assert answer.status_code == 200, answer.text
    found = LINK.search(answer.text)
    assert found, answer.text
    return found.group(1).removeprefix("http://127.0.0.1:8000")


def _take(client: TestClient, path: str, **fields: str) -> object:
    page = client.get(path)
    assert page.status_code == 200, page.text
    data = {"form_token": hidden(page.text)["form_token"], **fields}
    return client.post(path, data=data, follow_redirects=False)


def _roles(engine: Engine) -> set[tuple[int, int, str]]:
    with Session(engine) as session:
        return {(r.user_id, r.actor_id, r.role) for r in session.exec(select(StaffRole)).all()}


def test_an_admin_invites_a_newcomer_who_makes_an_account_with_the_link(
    app: Starlette, settings: Settings, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    with (
        TestClient(app, base_url=settings.base_url) as vera,
        TestClient(app, base_url=settings.base_url) as newcomer,
    ):
        sign_in(vera, "vera@bakery.example")
        path = _link(vera, "/workspace/coop-bakery/staff/invite", {"role": "editor"})
        assert path.startswith("/workspace/invitations/")
        assert "Invitations not used yet" in vera.get("/workspace/coop-bakery/staff").text

        page = newcomer.get(path)
        assert "Coop Bakery" in page.text and "editor" in page.text
        mismatch = _take(newcomer, path, email="sam@bakery.example", password=NEW, confirm="other")
        assert getattr(mismatch, "status_code") == 400
        assert "not the same" in getattr(mismatch, "text")
        joined = _take(newcomer, path, email="sam@bakery.example", password=NEW, confirm=NEW)
        assert getattr(joined, "status_code") == 303
        assert getattr(joined, "headers")["location"] == "/workspace/coop-bakery"
        dash = newcomer.get("/workspace/coop-bakery")
        assert dash.status_code == 200 and "you are editor" in dash.text
        # editors do not manage people
        assert newcomer.get("/workspace/coop-bakery/staff").status_code == 403
        # the link worked once
        assert newcomer.get(path).status_code == 404
        assert "sam@bakery.example" in vera.get("/workspace/coop-bakery/staff").text


def test_someone_with_an_account_joins_with_her_password_and_a_wrong_one_changes_nothing(
    app: Starlette, settings: Settings, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_actor(engine, "tool-library")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    make_person(engine, "lia@library.example", ("tool-library", "admin"))
    with (
        TestClient(app, base_url=settings.base_url) as vera,
        TestClient(app, base_url=settings.base_url) as lia,
    ):
        sign_in(vera, "vera@bakery.example")
        path = _link(vera, "/workspace/coop-bakery/staff/invite", {"role": "admin"})
        before = _roles(engine)
        wrong = _take(lia, path, email="lia@library.example", password="not her password")
        assert getattr(wrong, "status_code") == 400
        assert "give its password" in getattr(wrong, "text")
        assert _roles(engine) == before
        joined = _take(lia, path, email="lia@library.example", password=PASSWORD)
        assert getattr(joined, "status_code") == 303
        home = lia.get("/workspace")
        assert "Coop Bakery" in home.text and "Tool Library" in home.text


def test_an_expired_or_withdrawn_invitation_does_not_work(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    sign_in(client, "vera@bakery.example")
    expired = _link(client, "/workspace/coop-bakery/staff/invite", {"role": "editor"})
    withdrawn = _link(client, "/workspace/coop-bakery/staff/invite", {"role": "editor"})
    with session_scope(engine) as session:
        first = session.exec(select(AccountLink).order_by(col(AccountLink.id))).first()
        assert first is not None
        session.exec(
            update(AccountLink)
            .where(col(AccountLink.id) == first.id)
            .values(expires_at=now_utc() - timedelta(seconds=1))
        )
    answer = client.post(
        "/workspace/coop-bakery/staff/withdraw",
        data={"link_id": str((first.id or 0) + 1), "csrf": csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    client.cookies.clear()
    for path in (expired, withdrawn):
        gone = client.get(path)
        assert gone.status_code == 404
        assert "used already or has expired" in gone.text
    assert client.get("/workspace/invitations/made-up").status_code == 404


def test_a_reset_link_works_once_ends_every_session_and_the_old_password(
    app: Starlette, settings: Settings, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    sam = make_person(engine, "sam@bakery.example", ("coop-bakery", "editor"))
    with (
        TestClient(app, base_url=settings.base_url) as vera,
        TestClient(app, base_url=settings.base_url) as sams_phone,
        TestClient(app, base_url=settings.base_url) as sams_laptop,
    ):
        sign_in(vera, "vera@bakery.example")
        sign_in(sams_phone, "sam@bakery.example")
        path = _link(vera, "/workspace/coop-bakery/staff/reset", {"user_id": str(sam)})
        assert path.startswith("/workspace/reset/")
        short = _take(sams_laptop, path, password="short", confirm="short")
        assert getattr(short, "status_code") == 400
        assert "at least 10 characters" in getattr(short, "text")
        done = _take(sams_laptop, path, password=NEW, confirm=NEW)
        assert getattr(done, "status_code") == 303
        location = getattr(done, "headers")["location"]
        assert location == "/workspace?done=password"
        assert "Your password was changed." in sams_laptop.get(location).text
        # the phone was signed out; the old password is gone; the link worked once
        assert sams_phone.get("/workspace", follow_redirects=False).status_code == 303
        assert sign_in(sams_phone, "sam@bakery.example").status_code == 400
        assert sign_in(sams_phone, "sam@bakery.example", NEW).status_code == 303
        assert sams_laptop.get(path).status_code == 404


def test_a_reset_link_expires(client: TestClient, engine: Engine) -> None:
    make_actor(engine, "coop-bakery")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    sam = make_person(engine, "sam@bakery.example", ("coop-bakery", "editor"))
    sign_in(client, "vera@bakery.example")
    path = _link(client, "/workspace/coop-bakery/staff/reset", {"user_id": str(sam)})
    with session_scope(engine) as session:
        session.exec(update(AccountLink).values(expires_at=now_utc() - timedelta(seconds=1)))
    client.cookies.clear()
    assert client.get(path).status_code == 404


def test_an_organization_admin_cannot_reset_someone_who_also_works_elsewhere(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_actor(engine, "tool-library")
    make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    lia = make_person(
        engine, "lia@library.example", ("tool-library", "admin"), ("coop-bakery", "editor")
    )
    sign_in(client, "vera@bakery.example")
    staff = client.get("/workspace/coop-bakery/staff")
    assert 'Password reset link<span class="visually-hidden"> for lia@' not in staff.text
    assert "lia@library.example" in staff.text
    answer = client.post(
        "/workspace/coop-bakery/staff/reset", data={"user_id": str(lia), "csrf": csrf(client)}
    )
    assert answer.status_code == 403
    with Session(engine) as session:
        assert session.exec(select(AccountLink)).first() is None


def test_changing_the_password_keeps_this_browser_and_signs_out_the_others(
    app: Starlette, settings: Settings, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    with (
        TestClient(app, base_url=settings.base_url) as here,
        TestClient(app, base_url=settings.base_url) as there,
    ):
        sign_in(here, "ana@example.org")
        sign_in(there, "ana@example.org")
        token = csrf(here, "/workspace/account")
        wrong = here.post("/workspace/account/password",
                          data={"csrf": token, "current": "nope", "password": NEW, "confirm": NEW})  # fmt: skip
        assert wrong.status_code == 400 and "current password is not right" in wrong.text
        changed = here.post(
            "/workspace/account/password",
            data={"csrf": token, "current": PASSWORD, "password": NEW, "confirm": NEW},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert "Your password was changed." in here.get("/workspace/account?done=password").text
        assert there.get("/workspace", follow_redirects=False).status_code == 303
        assert sign_in(there, "ana@example.org", NEW).status_code == 303


def test_the_last_admin_cannot_remove_herself_but_can_remove_an_editor(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    vera = make_person(engine, "vera@bakery.example", ("coop-bakery", "admin"))
    sam = make_person(engine, "sam@bakery.example", ("coop-bakery", "editor"))
    sign_in(client, "vera@bakery.example")
    alone = client.post(
        "/workspace/coop-bakery/staff/revoke", data={"user_id": str(vera), "csrf": csrf(client)}
    )
    assert alone.status_code == 400 and "at least one admin" in alone.text
    removed = client.post(
        "/workspace/coop-bakery/staff/revoke",
        data={"user_id": str(sam), "csrf": csrf(client)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert _roles(engine) == {(vera, 1, "admin")}
