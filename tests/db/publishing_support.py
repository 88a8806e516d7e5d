"""Helpers for the publishing and API tests: an organization with a token, the content
fixtures, and what went into the outbox and the job queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from node.federation.actors.local import create_actor
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


def add_follower(
    engine: Engine, slug: str, remote: str = "https://mastodon.example/users/ana"
) -> None:
    """An accepted remote follower of ``slug`` (so fan-out has somewhere to go)."""
    from node.federation.actors.local import get_actor

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


def future(source: dict[str, Any], years: int = 1) -> dict[str, Any]:
    """An event fixture moved ``years`` ahead (the fixtures' dates are in 2026)."""
    moved = dict(source)
    for key in ("startTime", "endTime"):
        if key in moved:
            moved[key] = moved[key].replace("2026-", f"{2026 + years}-", 1)
    return moved


class Page:
    """A parsed HTML page: its elements with attributes, and the text of a few of them."""

    def __init__(self, text: str) -> None:
        from html.parser import HTMLParser

        self.text = text
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        page = self

        class Parser(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.stack: list[tuple[str, dict[str, str], list[str]]] = []

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                values = {k: v or "" for k, v in attrs}
                page.elements.append((tag, values))
                if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "script", "title"):
                    self.stack.append((tag, values, []))

            def handle_data(self, data: str) -> None:
                for _, _, parts in self.stack:
                    parts.append(data)

            def handle_endtag(self, tag: str) -> None:
                if self.stack and self.stack[-1][0] == tag:
                    name, values, parts = self.stack.pop()
                    text = "".join(parts).strip()
                    if name == "script":
                        page.scripts.append((values, text))
                    elif name.startswith("h"):
                        page.headings.append((int(name[1]), " ".join(text.split())))

        Parser().feed(text)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Elements of a tag whose attributes include these (``class_`` for class)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k) == v for k, v in wanted.items())
        ]

    def meta(self, prop: str) -> str | None:
        """The content of ``<meta property=prop>``."""
        found = self.find("meta", property=prop)
        return found[0]["content"] if found else None

    def jsonld(self) -> list[Any]:
        """The parsed ``application/ld+json`` scripts."""
        return [json.loads(t) for a, t in self.scripts if a.get("type") == "application/ld+json"]
