"""Helpers of the People and Networks workspace tests: an organization whose staff sign in,
what arrives from the fediverse (a Follow, a Join, a reply) stored as the inbox stores it, and
the answers that went out."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation.inbox.dispatch import Incoming
from node.federation.inbox.targets import resolve_target
from node.models import Follower, LocalActor
from node.wiring import dispatcher
from tests.db.network_support import audience, sent, store
from tests.db.workspace_support import csrf, make_person, sign_in

AS = "https://www.w3.org/ns/activitystreams"


def org(engine: Engine, slug: str = "nec") -> LocalActor:
    """The organization (approving followers by hand)."""
    with session_scope(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == slug)).one()
        actor.manually_approves_followers = True
        session.add(actor)
        return actor


def staff(engine: Engine, slug: str = "nec") -> None:
    """An admin (vera) and an editor (eddie) of ``slug``."""
    make_person(engine, "vera@nec.example", (slug, "admin"))
    make_person(engine, "eddie@nec.example", (slug, "editor"))


def as_person(client: TestClient, email: str, page: str) -> str:
    """Sign in as ``email`` (signing out whoever was in); the CSRF token of ``page``."""
    client.cookies.clear()
    assert sign_in(client, email).status_code == 303
    return csrf(client, page)


def incoming(app: Starlette, kind: str, actor: str, obj: Any, **extra: Any) -> str:
    """Store an activity and run its handler as the inbox job would; what happened."""
    doc = {"@context": AS, "id": f"{actor}/activities/{uuid.uuid4().hex}", "type": kind,
           "actor": actor, "object": obj, **extra}  # fmt: skip
    node = app.state.node
    row_id = store(node.engine, doc)
    with Session(node.engine) as session:
        target = resolve_target(node, session, doc)
    msg = Incoming(node=node, activity=doc, activity_id=doc["id"], type=kind, actor=actor,
                   recipient=None, inbox_row_id=row_id, target=target)  # fmt: skip
    return asyncio.run(dispatcher().dispatch(msg))


def answers(engine: Engine, *kinds: str) -> list[tuple[str, str, list[str]]]:
    """(type, id of the activity it answers, whom it goes to) of what our actors sent."""
    return [
        (row.type, str(row.document["object"].get("id")), audience(engine, row.ap_id)["actors"])
        for row in sent(engine)
        if row.type in kinds
    ]


def followers(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return sorted((f.remote_id, f.state) for f in session.exec(select(Follower)))
