"""Bounded input and rate limits at the inbox, over HTTP, on SQLite and PostgreSQL: each
refusal is a 4xx with a reason a sender can read, and leaves nothing behind."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.app import create_app
from node.db import session_scope
from node.federation.actors.local import create_actor
from node.limits import parse_limit
from node.settings import Settings
from tests.db.inbox_support import AP, PUBLIC, cache_actor, make_sender, signed, stored

ANA = "https://mastodon.example/users/ana"


def create(**changes: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ANA}/statuses/1/activity",
        "type": "Create",
        "actor": ANA,
        "to": [PUBLIC],
        "object": {
            "id": f"{ANA}/statuses/1",
            "type": "Note",
            "attributedTo": ANA,
            "content": "<p>Hi</p>",
            "to": [PUBLIC],
        },
    }
    for key, value in changes.items():
        target = activity["object"] if key.startswith("object_") else activity
        target[key.removeprefix("object_")] = value
    return activity


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def coop(engine: Engine) -> str:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Riverside Co-op")
    return "/actors/coop/inbox"


@pytest.mark.parametrize(
    ("activity", "reason", "says"),
    [
        (create(object_tag=nested(40)), "too_deep", "deeper than 32"),
        (create(object_content="x" * 100_001), "content_too_long", "100000"),
        (create(object_url="https://x.example/" + "y" * 200_001), "string_too_long", "200000"),
        (create(object_tag=[{"type": "Hashtag"}] * 1_001), "list_too_long", "1000 items"),
        (
            create(cc=[f"https://mastodon.example/users/u{i}" for i in range(1_001)]),
            "too_many_recipients",
            "1000 recipients",
        ),
        (create(object_attributedTo="javascript:alert(1)"), "bad_url_scheme", "http(s) URL"),
        (create(object_id="data:text/html,hi"), "bad_url_scheme", "http(s) URL"),
    ],
)
def test_oversized_or_odd_activities_get_400_with_a_reason(
    client: TestClient, engine: Engine, coop: str, activity: Any, reason: str, says: str
) -> None:
    body = json.dumps(activity)
    assert len(body) < 1_000_000  # under the body cap: the bounds are what refuse it
    for path in (coop, "/inbox"):
        r = client.post(path, content=body, headers={"Content-Type": AP})
        assert r.status_code == 400, r.text
        assert r.json()["reason"] == reason
        assert says in r.json()["error"]
    assert stored(engine) == (0, 0)


def test_an_activity_at_the_bounds_goes_on_to_the_signature_check(
    client: TestClient, coop: str
) -> None:
    activity = create(
        object_content="x" * 100_000,
        cc=[f"https://mastodon.example/users/u{i}" for i in range(999)],
    )
    r = client.post(coop, content=json.dumps(activity), headers={"Content-Type": AP})
    assert r.status_code == 401  # not signed: past the bounds, stopped at the signature


ClientFor = Callable[..., TestClient]


@pytest.fixture
def client_with(settings: Settings, engine: Engine) -> Iterator[ClientFor]:
    clients: list[TestClient] = []

    def make(**limits: str) -> TestClient:
        parsed: dict[str, Any] = {name: parse_limit(text) for name, text in limits.items()}
        app = create_app(replace(settings, **parsed), engine=engine)
        tc = TestClient(app, base_url=settings.base_url)
        tc.__enter__()
        clients.append(tc)
        return tc

    yield make
    for tc in clients:
        tc.__exit__(None, None, None)


def test_one_address_sending_too_much_gets_429_before_the_body_is_read(
    client_with: ClientFor, engine: Engine, coop: str
) -> None:
    client = client_with(rate_limit_inbox_ip="3/60")
    body = json.dumps(create())
    answers = [client.post(coop, content=body, headers={"Content-Type": AP}) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    limited = answers[-1]
    assert limited.headers["Retry-After"] == "20"  # one request per 20 s refills
    assert limited.json() == {
        "error": "too many requests from your address; slow down",
        "reason": "rate_limited",
        "retry_after": 20,
    }
    assert stored(engine) == (0, 0)


def test_a_server_sending_too_much_gets_429_and_forgeries_do_not_use_up_its_share(
    client_with: ClientFor, engine: Engine, settings: Settings, coop: str
) -> None:
    client = client_with(rate_limit_inbox_host="2/60")
    ana = make_sender("https://mastodon.example", "ana", key="bob")
    cache_actor(engine, settings, ana.document)
    impostor = make_sender("https://mastodon.example", "ana", key="impostor")

    def post(sender: Any, n: int) -> Any:
        activity = create(id=f"{ANA}/statuses/{n}/activity", object_id=f"{ANA}/statuses/{n}")
        body = json.dumps(activity).encode()
        return client.post(coop, content=body, headers=signed(coop, body, sender))

    # Forged requests naming ana's key fail their signature and spend none of her tokens.
    assert [post(impostor, n).status_code for n in range(3)] == [401, 401, 401]
    assert [post(ana, n).status_code for n in range(3, 5)] == [202, 202]
    limited = post(ana, 5)
    assert limited.status_code == 429
    assert limited.json()["reason"] == "rate_limited"
    assert "mastodon.example" in limited.json()["error"]
    assert int(limited.headers["Retry-After"]) == 30
    assert stored(engine) == (2, 2)


def test_limits_can_be_switched_off(client_with: ClientFor, coop: str) -> None:
    client = client_with(rate_limit_inbox_ip="off", rate_limit_inbox_host="off")
    body = json.dumps(create())
    statuses = {
        client.post(coop, content=body, headers={"Content-Type": AP}).status_code for _ in range(30)
    }
    assert statuses == {401}
