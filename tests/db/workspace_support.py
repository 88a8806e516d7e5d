"""Helpers of the workspace tests: people, roles, signing in through the real form, and the
hidden fields of a page."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.workspace.accounts import create_user, grant
from node.federation.actors.local import create_actor
from node.models import LocalActor, UserAccount

PASSWORD = "correct horse battery"
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"')


def make_actor(engine: Engine, slug: str, kind: str = "organization") -> None:
    """An organization (or a network) on the node."""
    with session_scope(engine) as session:
        create_actor(session, slug, kind=kind, name=slug.replace("-", " ").title())


def make_person(engine: Engine, email: str, *roles: tuple[str, str], admin: bool = False) -> int:
    """A person with a password and roles ``(slug, role)``; returns their id."""
    with session_scope(engine) as session:
        user, _ = create_user(session, email, password=PASSWORD, admin=admin)
        for slug, role in roles:
            actor = session.exec(select(LocalActor).where(LocalActor.slug == slug)).one()
            grant(session, user, actor, role)
        assert user.id is not None
        return user.id


def hidden(html: str) -> dict[str, str]:
    """The hidden fields of a page (the first of each name)."""
    found: dict[str, str] = {}
    for name, value in _HIDDEN.findall(html):
        found.setdefault(name, value)
    return found


def sign_in(
    client: TestClient, email: str, password: str = PASSWORD, *, next_path: str | None = None
) -> Any:
    """Sign in through the form, as a browser would (not following the redirect)."""
    page = client.get("/workspace/sign-in", params={"next": next_path} if next_path else None)
    fields = hidden(page.text)
    if next_path is not None:
        fields["next"] = next_path
    return client.post(
        "/workspace/sign-in",
        data={"form_token": fields["form_token"], "next": fields["next"], "email": email,
              "password": password},
        follow_redirects=False,
    )  # fmt: skip


def csrf(client: TestClient, path: str = "/workspace") -> str:
    """The CSRF token of the signed-in session, read from a page."""
    return hidden(client.get(path).text)["csrf"]


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to show that a refused request changed nothing."""
    with Session(engine) as session:
        return {
            name: sorted(tuple(map(repr, row)) for row in session.execute(table.select()))
            for name, table in SQLModel.metadata.tables.items()
        }


def user_row(engine: Engine, email: str) -> UserAccount:
    with Session(engine) as session:
        return session.exec(select(UserAccount).where(UserAccount.email == email)).one()
