"""Bad input at the inbox gets the right status, a message that says what was wrong, and
leaves no row behind (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation.actors.local import create_actor

AP = "application/activity+json"
FOLLOW = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://mastodon.example/users/ana#follows/1",
    "type": "Follow",
    "actor": "https://mastodon.example/users/ana",
    "object": "http://127.0.0.1:8000/actors/coop",
}


@pytest.fixture
def coop(engine: Engine) -> str:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Co-op")
    return "/actors/coop/inbox"


def _stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        activities = conn.execute(text("SELECT COUNT(*) FROM inbox_activity")).scalar_one()
        jobs = conn.execute(text("SELECT COUNT(*) FROM job")).scalar_one()
    return int(activities), int(jobs)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b"{not json", AP, 400, "not valid JSON"),
        (b"[1, 2]", AP, 400, "JSON object"),
        (json.dumps({**FOLLOW, "id": "ftp://x/1"}).encode(), AP, 400, "`id`"),
        (json.dumps({**FOLLOW, "type": 7}).encode(), AP, 400, "`type`"),
        (
            json.dumps({k: v for k, v in FOLLOW.items() if k != "actor"}).encode(),
            AP,
            400,
            "`actor`",
        ),
        (json.dumps({**FOLLOW, "id": "https://elsewhere.example/1"}).encode(), AP, 400, "origin"),
        (json.dumps(FOLLOW).encode(), "text/plain", 415, "application/activity+json"),
        (json.dumps(FOLLOW).encode(), AP, 401, "not signed"),
        (b"{" + b" " * 1_000_001 + b"}", AP, 413, "larger than"),
    ],
)
def test_bad_posts_are_refused_with_a_reason_and_store_nothing(
    client: TestClient,
    engine: Engine,
    coop: str,
    body: bytes,
    content_type: str,
    status: int,
    message: str,
) -> None:
    for path in (coop, "/inbox"):
        r = client.post(path, content=body, headers={"Content-Type": content_type})
        assert r.status_code == status, r.text
        assert message in r.json()["error"]
    assert _stored(engine) == (0, 0)


def test_rfc9421_style_signature_without_input_is_a_clean_401(
    client: TestClient, engine: Engine, coop: str
) -> None:
    r = client.post(
        coop,
        content=json.dumps(FOLLOW),
        headers={
            "Content-Type": AP,
            "Signature": "sig1=:AAAA:",
            "Date": "Sun, 22 Nov 2026 10:00:00 GMT",
        },
    )
    assert r.status_code == 401 and r.json()["error"]
    assert _stored(engine) == (0, 0)


def test_inbox_of_unknown_actor_is_404(client: TestClient) -> None:
    r = client.post(
        "/actors/nobody/inbox", content=json.dumps(FOLLOW), headers={"Content-Type": AP}
    )
    assert r.status_code == 404
