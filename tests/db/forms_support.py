"""Helpers of the publishing-form tests: an organization with a signed-in editor, posting a
form the way a browser does (with the page's CSRF token), and reading what was stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.models import Draft, Item
from tests.db.workspace_support import csrf, make_actor, make_person, sign_in

ORG = "nec"
BASE = f"/workspace/{ORG}"


def signed_in_editor(client: TestClient, engine: Engine, *, role: str = "editor") -> None:
    """The organization ``nec`` and Ana, its editor (or admin), signed in."""
    make_actor(engine, ORG)
    make_person(engine, "ana@example.org", (ORG, role))
    assert sign_in(client, "ana@example.org").status_code == 303


def submit(client: TestClient, path: str, data: dict[str, str], *, form: str | None = None) -> Any:
    """Post ``data`` to ``path`` with the CSRF token of the form page ``form`` (or ``path``)."""
    token = csrf(client, form or path)
    return client.post(path, data=data | {"csrf": token}, follow_redirects=False)


def items(engine: Engine, kind: str | None = None) -> list[Item]:
    """The items stored, oldest first."""
    with Session(engine) as session:
        query = select(Item).order_by(col(Item.id))
        if kind is not None:
            query = query.where(Item.kind == kind)
        return list(session.exec(query))


def drafts(engine: Engine) -> list[Draft]:
    """The drafts stored, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(Draft).order_by(col(Draft.id))))


def uid_of(location: str) -> str:
    """The uid at the end of a redirect to an item's workspace page."""
    return location.split("?")[0].rsplit("/", 1)[-1]


GATHERING = {
    "name": "Solidarity Economy Gathering",
    "content": "Two days of **workshops** on cooperatives.",
    "startTime": "2027-05-14T09:00",
    "endTime": "2027-05-14T17:30",
    "timezone": "America/Chicago",
    "location.name": "Union Hall",
    "location.address.streetAddress": "1 Main St",
    "location.address.addressLocality": "Madison",
    "location.address.addressCountry": "US",
    "location.url": "https://meet.example.org/gathering",
    "tags": "SolidarityEconomy, Cooperatives",
    "action": "publish",
}
