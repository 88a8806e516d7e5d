"""POSTs to an inbox are answered in front of Starlette's router and middleware
(node/web/front.py), which does their duties for them. The same POST sent under a ``root_path``
goes through the whole stack to the same endpoint: the two must be answered and counted alike,
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette

from node.app import create_app
from node.features.operations.metrics import metrics
from node.settings import Settings, load_settings
from tests.db.inbox_support import ana_note, coop_and_ana, signed, stored

STACK = "/node"  # a root_path: the front leaves such a POST to the router


@pytest.fixture
def ana(engine: Engine, settings: Settings) -> Any:
    return coop_and_ana(engine, settings)


note = ana_note


Answer = tuple[int, dict[str, str], bytes]


async def post(
    app: Starlette,
    path: str,
    headers: dict[str, str],
    chunks: list[bytes],
    *,
    root_path: str = "",
    then_wait: bool = False,
) -> Answer:
    """One POST straight to the ASGI app, as uvicorn hands it over: the body in ``chunks``,
    and (``then_wait``) a client that then sends nothing more."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": then_wait or i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # a client that stopped sending
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    start, body = sent
    answer_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], answer_headers, body["body"]


def counted(route: str, status: int) -> float:
    return metrics().requests.labels("POST", route, str(status))._value.get()  # type: ignore[no-any-return]


def test_an_inbox_post_is_answered_alike_in_front_of_the_stack_and_through_it(
    app: Starlette, engine: Engine, ana: Any
) -> None:
    route = "/actors/{slug}/inbox"
    before = counted(route, 202)
    accepted_before = metrics().inbox.labels("accepted", "")._value.get()
    path = "/actors/coop/inbox"
    front = asyncio.run(post(app, path, signed(path, note(1), ana), [note(1)]))
    body = note(2)
    stack = asyncio.run(
        post(app, path, signed(STACK + path, body, ana), [body[:50], body[50:]], root_path=STACK)
    )
    assert front == stack
    status, headers, answer = front
    assert status == 202
    assert json.loads(answer) == {"status": "accepted"}
    assert headers == {
        "content-length": str(len(answer)),
        "content-type": "application/json",
        "x-content-type-options": "nosniff",
    }
    assert stored(engine) == (2, 2)
    assert counted(route, 202) == before + 2
    assert metrics().inbox.labels("accepted", "")._value.get() == accepted_before + 2


def test_a_refusal_is_answered_alike_in_front_and_through_the_stack(
    app: Starlette, engine: Engine, ana: Any
) -> None:
    path = "/inbox"
    body = note(3)
    unsigned = {"content-type": "application/activity+json"}
    front = asyncio.run(post(app, path, unsigned, [body]))
    stack = asyncio.run(post(app, path, unsigned, [body], root_path=STACK))
    assert front == stack
    status, headers, answer = front
    assert status == 401
    assert json.loads(answer)["reason"] == "no_signature"
    assert headers["x-content-type-options"] == "nosniff"
    assert stored(engine) == (0, 0)


def test_a_body_that_stops_arriving_is_answered_408_in_front_as_through_the_stack(
    settings: Settings, engine: Engine, ana: Any
) -> None:
    app = create_app(replace(settings, body_timeout=1), engine=engine)
    path = "/actors/coop/inbox"
    body = note(4)
    headers = signed(path, body, ana)
    front = asyncio.run(post(app, path, headers, [body[:20]], then_wait=True))
    stack = asyncio.run(post(app, path, headers, [body[:20]], then_wait=True, root_path=STACK))
    assert front == stack
    assert front[0] == 408
    assert front[1]["connection"] == "close"
    assert front[1]["x-content-type-options"] == "nosniff"
    assert stored(engine) == (0, 0)


def test_a_database_that_fails_is_a_logged_500_in_json(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # a database never migrated: the recipient lookup fails
    settings = load_settings(
        env={},
        base_url="http://127.0.0.1:8000",
        data_dir=str(tmp_path / "data"),
        database_url=f"sqlite:///{tmp_path / 'never-migrated.db'}",
        secret_key="test-secret",
    )
    app = create_app(settings)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": note(5), "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/actors/coop/inbox",
        "raw_path": b"/actors/coop/inbox",
        "query_string": b"",
        "headers": [(b"content-type", b"application/activity+json")],
        "client": ("127.0.0.1", 40000),
    }
    # raised on to the server after the answer, as Starlette's error middleware does
    with pytest.raises(Exception, match="no such table: local_actor"):
        asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 500
    assert (b"x-content-type-options", b"nosniff") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {"error": "internal error; the node logged the details"}
    assert "unhandled error on POST /actors/coop/inbox" in caplog.text
