"""Helpers for the publishing and API tests: an organization with a token, the content
fixtures, and what went into the outbox and the job queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.actors.local import create_actor
from node.auth import create_token
from node.db import session_scope
from node.models import Follower, Job, OutboxActivity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "content"
BASE = "http://127.0.0.1:8000"


def fixture(name: str) -> Any:
    """A JSON body from tests/fixtures/content."""
    return json.loads((FIXTURES / name).read_text())


def make_org(engine: Engine, slug: str = "nec", name: str = "New Economy Coalition") -> str:
    """Create an organization; returns a bearer token for it."""
    with session_scope(engine) as session:
        create_actor(session, slug, kind="organization", name=name)
        return create_token(session, slug)


def add_follower(engine: Engine, slug: str, remote: str = "https://mastodon.example/users/ana") -> None:
    """An accepted remote follower of ``slug`` (so fan-out has somewhere to go)."""
    from node.actors.local import get_actor

    with session_scope(engine) as session:
        actor = get_actor(session, slug)
        assert actor is not None and actor.id is not None
        session.add(
            Follower(actor_id=actor.id, remote_id=remote, inbox=f"{remote}/inbox", state="accepted")
        )


class Api:
    """The test client with a bearer token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self.client.patch(path, json=body, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self.headers, **kw)


def outbox(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    """Activities stored as sent, oldest first (optionally of one type)."""
    with Session(engine) as session:
        query = select(OutboxActivity).order_by(col(OutboxActivity.id))
        if kind is not None:
            query = query.where(OutboxActivity.type == kind)
        return [dict(row.document) for row in session.exec(query)]


def fanout_jobs(engine: Engine) -> list[dict[str, Any]]:
    """Payloads of the fan-out jobs enqueued, oldest first."""
    with Session(engine) as session:
        rows = session.exec(select(Job).where(Job.kind == "fanout").order_by(col(Job.id)))
        return [dict(row.payload) for row in rows]
