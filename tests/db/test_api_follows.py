"""Followers of an actor that approves them by hand wait; the admin decides (API and CLI
share node/features/follows/approval.py). Following out through the API, with loopback targets only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.cli import main
from node.db import session_scope
from node.federation.actors.local import create_actor
from node.models import Follower, Following, InboxActivity, OutboxActivity
from node.settings import Settings

BASE = "http://127.0.0.1:8000"
ANA = "https://mastodon.example/users/ana"


@pytest.fixture
def token(engine: Engine) -> str:
    with session_scope(engine) as session:
        create_actor(
            session, "coop", kind="organization", name="Co-op", manually_approves_followers=True
        )
        create_actor(session, "ussen", kind="network", name="Network")
        return create_token(session, "coop")


def _pending_follow(engine: Engine, who: str) -> str:
    follow = {
        "id": f"{who}#follows/1",
        "type": "Follow",
        "actor": who,
        "object": f"{BASE}/actors/coop",
    }
    with session_scope(engine) as session:
        from node.federation.actors.local import get_actor

        coop = get_actor(session, "coop")
        assert coop is not None and coop.id is not None
        session.add(
            Follower(
                actor_id=coop.id,
                remote_id=who,
                inbox=f"{who}/inbox",
                follow_id=follow["id"],
                state="pending",
            )
        )
        session.add(
            InboxActivity(
                activity_id=follow["id"], type="Follow", actor=who, raw=json.dumps(follow)
            )
        )
    return str(follow["id"])


def test_a_pending_follower_is_listed_then_approved_with_an_accept_of_its_follow(
    client: TestClient, engine: Engine, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    follow_id = _pending_follow(engine, ANA)
    pending = client.get("/api/v1/followers?state=pending", headers=auth).json()["items"]
    assert [p["actor"] for p in pending] == [ANA]

    r = client.post("/api/v1/followers/approve", json={"actor": ANA}, headers=auth)
    assert r.status_code == 200 and r.json() == {"actor": ANA, "state": "accepted"}
    with Session(engine) as session:
        accept = session.exec(select(OutboxActivity).where(OutboxActivity.type == "Accept")).one()
        assert accept.document["object"]["id"] == follow_id  # embeds the Follow as it arrived
        assert accept.public is False
    assert client.get("/api/v1/followers?state=pending", headers=auth).json()["items"] == []
    # deciding twice is a conflict that names the field
    again = client.post("/api/v1/followers/approve", json={"actor": ANA}, headers=auth)
    assert again.status_code == 409 and again.json()["field"] == "actor"


def test_a_refused_follower_gets_a_reject_and_is_forgotten(
    client: TestClient, engine: Engine, token: str
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    _pending_follow(engine, ANA)
    r = client.post("/api/v1/followers/reject", json={"actor": ANA}, headers=auth)
    assert r.json()["state"] == "refused"
    with Session(engine) as session:
        assert session.exec(select(Follower)).all() == []
        assert [a.type for a in session.exec(select(OutboxActivity))] == ["Reject"]
    assert client.post("/api/v1/followers/reject", json={}, headers=auth).status_code == 422
    assert client.get("/api/v1/followers?state=maybe", headers=auth).status_code == 422
    assert client.get("/api/v1/followers").status_code == 401


def test_a_follower_is_removed_with_a_reject_through_the_api_and_the_command(
    client: TestClient, engine: Engine, token: str, settings: Settings,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A troll followed the co-op and was approved; the admin removes them (Mastodon's "remove
    from followers"): the row goes and their server is sent a Reject of their Follow."""
    auth = {"Authorization": f"Bearer {token}"}
    troll = "https://mastodon.example/users/troll"
    follow_id = _pending_follow(engine, troll)
    waiting = client.post("/api/v1/followers/remove", json={"actor": troll}, headers=auth)
    assert waiting.status_code == 409 and "refuse it instead" in waiting.json()["error"]
    assert client.post("/api/v1/followers/approve", json={"actor": troll}, headers=auth).is_success
    r = client.post("/api/v1/followers/remove", json={"actor": troll}, headers=auth)
    assert r.status_code == 200 and r.json() == {"actor": troll, "state": "removed"}
    with Session(engine) as session:
        assert session.exec(select(Follower)).all() == []
        reject = session.exec(select(OutboxActivity).where(OutboxActivity.type == "Reject")).one()
        assert reject.document["object"]["id"] == follow_id and reject.public is False
    again = client.post("/api/v1/followers/remove", json={"actor": troll}, headers=auth)
    assert again.status_code == 409 and "does not follow" in again.json()["error"]

    _pending_follow(engine, ANA)
    for name, value in {"SOLNODE_BASE_URL": settings.base_url, "SOLNODE_DATA_DIR":
                        str(settings.data_dir), "SOLNODE_DATABASE_URL": settings.database_url,
                        "SOLNODE_SECRET_KEY": "test-secret"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["approve", "coop", ANA]) == 0
    assert main(["remove-follower", "coop", ANA]) == 0
    assert f"{ANA} no longer follows @coop" in capsys.readouterr().out
    assert main(["remove-follower", "coop", ANA]) == 1
    assert capsys.readouterr().err == f"solnode: error: {ANA} does not follow @coop\n"
    with Session(engine) as session:
        assert [a.type for a in session.exec(select(OutboxActivity))].count("Reject") == 2


def test_following_out_through_the_api(client: TestClient, engine: Engine, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    # The network on this same node: resolved from the database, no network traffic.
    r = client.post("/api/v1/follow", json={"target": f"{BASE}/actors/ussen"}, headers=auth)
    assert r.status_code == 202 and r.json() == {
        "target": f"{BASE}/actors/ussen",
        "state": "pending",
    }
    with Session(engine) as session:
        [row] = session.exec(select(Following)).all()
        follow = session.exec(select(OutboxActivity).where(OutboxActivity.type == "Follow")).one()
    assert follow.document["object"] == f"{BASE}/actors/ussen" and follow.ap_id == row.follow_id
    listed = client.get("/api/v1/following", headers=auth).json()["items"]
    assert listed == [{"target": f"{BASE}/actors/ussen", "state": "pending"}]
    bad = client.post("/api/v1/follow", json={"target": ""}, headers=auth)
    assert bad.status_code == 422 and bad.json()["field"] == "target"
    done = client.post("/api/v1/unfollow", json={"target": f"{BASE}/actors/ussen"}, headers=auth)
    assert done.json()["state"] == "unfollowed"
    with Session(engine) as session:
        assert session.exec(select(Following)).all() == []
        assert session.exec(select(OutboxActivity).where(OutboxActivity.type == "Undo")).one()
