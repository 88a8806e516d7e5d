"""Signing in to the workspace: the form, the session cookie and its flags, session fixation,
the sign-in limit, CSRF on every form, signing out here and everywhere."""

from __future__ import annotations

from dataclasses import replace
from http.cookies import SimpleCookie

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.app import create_app
from node.features.workspace.sessions import COOKIE
from node.limits import Limit
from node.models import StaffRole, WebSession
from node.settings import Settings
from tests.db.workspace_support import (
    PASSWORD,
    csrf,
    hidden,
    make_actor,
    make_person,
    sign_in,
    snapshot,
)


def _session_cookie(answer: object) -> SimpleCookie:
    headers = getattr(answer, "headers")
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_list("set-cookie"):
        if value.startswith(COOKIE + "="):
            jar.load(value)
    return jar


def _sessions(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(WebSession)).all())


def test_organizer_signs_in_and_sees_the_organizations_she_works_for(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_actor(engine, "tool-library")
    make_person(engine, "ana@example.org", ("coop-bakery", "editor"))

    first = client.get("/workspace/coop-bakery", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/workspace/sign-in?next=/workspace/coop-bakery"

    answer = sign_in(client, "Ana@Example.org ", next_path="/workspace/coop-bakery")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/workspace/coop-bakery"
    home = client.get("/workspace")
    assert home.status_code == 200
    assert "Coop Bakery" in home.text and "Tool Library" not in home.text
    assert home.headers["cache-control"] == "no-store"
    dash = client.get("/workspace/coop-bakery")
    assert dash.status_code == 200 and "Nothing is waiting for you." in dash.text
    assert client.get("/workspace/tool-library").status_code == 404


def test_a_wrong_password_or_unknown_email_is_refused_without_a_session(
    client: TestClient, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    for email, password in [("ana@example.org", "wrong password"), ("bob@example.org", PASSWORD)]:
        answer = sign_in(client, email, password)
        assert answer.status_code == 400
        assert "The e-mail or the password is wrong." in answer.text
        assert not _session_cookie(answer)
    assert _sessions(engine) == 0


def test_next_never_leads_to_another_site(client: TestClient, engine: Engine) -> None:
    make_person(engine, "ana@example.org")
    for target in ["https://evil.example/", "//evil.example/workspace", "/workspace//evil"]:
        client.cookies.clear()
        answer = sign_in(client, "ana@example.org", next_path=target)
        assert answer.headers["location"] == "/workspace"


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_workspace(
    client: TestClient, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    morsel = _session_cookie(sign_in(client, "ana@example.org"))[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/workspace"
    assert not morsel["secure"]  # http on loopback: a Secure cookie would never come back


def test_the_session_cookie_is_secure_when_the_node_is_served_over_https(
    settings: Settings, engine: Engine
) -> None:
    secure = replace(settings, base_url="https://node.example")
    make_person(engine, "ana@example.org")
    with TestClient(create_app(secure, engine=engine), base_url=secure.base_url) as client:
        morsel = _session_cookie(sign_in(client, "ana@example.org"))[COOKIE]
        assert morsel["secure"] is True and morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"


def test_a_cookie_set_before_sign_in_is_never_adopted(
    app: object, settings: Settings, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    make_person(engine, "mallory@example.org")
    with (
        TestClient(app, base_url=settings.base_url) as mallory,  # type: ignore[arg-type]
        TestClient(app, base_url=settings.base_url) as ana,  # type: ignore[arg-type]
    ):
        sign_in(mallory, "mallory@example.org")
        planted = mallory.cookies[COOKIE]
        # Mallory plants her own valid session token (or an invented one) in Ana's browser.
        for token in [planted, "chosen-by-the-attacker"]:
            ana.cookies.set(COOKIE, token, path="/workspace")
            answer = sign_in(ana, "ana@example.org")
            issued = _session_cookie(answer)[COOKIE].value
            assert issued not in {planted, "chosen-by-the-attacker"}
            ana.cookies.clear()
            ana.cookies.set(COOKIE, issued, path="/workspace")
            assert "ana@example.org" in ana.get("/workspace").text
        # The planted session ended when Ana signed in over it: Mallory is signed out.
        assert mallory.get("/workspace", follow_redirects=False).status_code == 303


def test_the_session_id_changes_at_every_sign_in(client: TestClient, engine: Engine) -> None:
    make_person(engine, "ana@example.org")
    first = _session_cookie(sign_in(client, "ana@example.org"))[COOKIE].value
    second = _session_cookie(sign_in(client, "ana@example.org"))[COOKIE].value
    assert first != second
    assert _sessions(engine) == 1  # the first one ended


def test_guessing_passwords_meets_the_sign_in_limit(settings: Settings, engine: Engine) -> None:
    limited = replace(settings, rate_limit_signin=Limit(3, 300.0))
    make_person(engine, "ana@example.org")
    with TestClient(create_app(limited, engine=engine), base_url=limited.base_url) as client:
        codes = [sign_in(client, "ana@example.org", f"guess {n}").status_code for n in range(3)]
        assert codes == [400, 400, 400]
        refused = sign_in(client, "ana@example.org", PASSWORD)  # even the right one, for now
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Too many sign-in attempts" in refused.text
        assert "Please wait" in refused.text
    assert _sessions(engine) == 0


def test_a_sign_in_post_without_its_form_token_is_refused(
    client: TestClient, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    client.get("/workspace/sign-in")
    for token in [None, "1.abcdefgh.forged"]:
        data = {"email": "ana@example.org", "password": PASSWORD, "next": "/workspace"}
        if token:
            data["form_token"] = token
        answer = client.post("/workspace/sign-in", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "reload the page" in answer.text
    assert _sessions(engine) == 0


def test_forms_without_or_with_a_wrong_csrf_token_are_refused_and_change_nothing(
    client: TestClient, engine: Engine
) -> None:
    make_actor(engine, "coop-bakery")
    make_person(engine, "ana@example.org", ("coop-bakery", "admin"))
    make_person(engine, "bob@example.org")
    sign_in(client, "ana@example.org")
    token = csrf(client)
    before = snapshot(engine)
    posts = [
        ("/workspace/coop-bakery/staff/grant", {"email": "bob@example.org", "role": "editor"}),
        ("/workspace/coop-bakery/staff/invite", {"role": "admin"}),
        ("/workspace/sign-out-everywhere", {}),
        ("/workspace/sign-out", {}),
        ("/workspace/account/password",
         {"current": PASSWORD, "password": "a new password", "confirm": "a new password"}),
    ]  # fmt: skip
    for path, form in posts:
        altered = token[:-1] + ("0" if token[-1] != "0" else "1")
        for forged in [None, "", altered, "x" * 300]:
            data = dict(form) if forged is None else {**form, "csrf": forged}
            answer = client.post(path, data=data, follow_redirects=False)
            assert answer.status_code == 403, (path, forged)
            assert "reload the page" in answer.text
    assert snapshot(engine) == before
    # the same form with the session's token goes through
    granted = client.post(
        "/workspace/coop-bakery/staff/grant",
        data={"email": "bob@example.org", "role": "editor", "csrf": token},
        follow_redirects=False,
    )
    assert granted.status_code == 303
    with Session(engine) as session:
        assert len(session.exec(select(StaffRole)).all()) == 2


def test_signing_out_ends_this_session(client: TestClient, engine: Engine) -> None:
    make_person(engine, "ana@example.org")
    sign_in(client, "ana@example.org")
    old = client.cookies[COOKIE]
    answer = client.post("/workspace/sign-out", data={"csrf": csrf(client)}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/workspace/sign-in"
    assert _sessions(engine) == 0
    client.cookies.set(COOKIE, old, path="/workspace")  # a copied cookie is worth nothing now
    assert client.get("/workspace", follow_redirects=False).status_code == 303


def test_signing_out_everywhere_ends_every_browser_of_the_person(
    app: object, settings: Settings, engine: Engine
) -> None:
    make_person(engine, "ana@example.org")
    make_person(engine, "bob@example.org")
    clients = [TestClient(app, base_url=settings.base_url) for _ in range(3)]  # type: ignore[arg-type]
    phone, laptop, bobs = clients
    sign_in(phone, "ana@example.org")
    sign_in(laptop, "ana@example.org")
    sign_in(bobs, "bob@example.org")
    page = laptop.get("/workspace/account")
    assert "Sign out everywhere" in page.text
    answer = laptop.post(
        "/workspace/sign-out-everywhere", data={"csrf": hidden(page.text)["csrf"]},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    assert phone.get("/workspace", follow_redirects=False).status_code == 303
    assert laptop.get("/workspace", follow_redirects=False).status_code == 303
    assert bobs.get("/workspace").status_code == 200
    assert _sessions(engine) == 1
    for c in clients:
        c.close()
