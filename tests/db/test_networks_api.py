"""The network JSON API with bearer tokens: joining as a member, deciding as a network,
curation; who may call what, and errors as JSON."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from tests.db.network_support import BASE, activity, deliver, local, remote, sent

ORG = "https://coop.example/actors/riverside"


def token(engine: Engine, slug: str) -> dict[str, str]:
    with session_scope(engine) as session:
        return {"Authorization": f"Bearer {create_token(session, slug)}"}


def test_a_member_joins_and_leaves_through_the_api(client: TestClient, engine: Engine) -> None:
    local(engine, "riverside")
    ripess = remote(engine, "https://ripess.example/actors/ripess", kind="Group")
    auth = token(engine, "riverside")
    answer = client.post("/api/v1/network/join", json={"network": ripess}, headers=auth)
    assert answer.status_code == 202 and answer.json()["state"] == "requested"
    listed = client.get("/api/v1/network/memberships", headers=auth).json()["items"]
    assert [(m["network"], m["state"]) for m in listed] == [(ripess, "requested")]
    answer = client.post("/api/v1/network/leave", json={"network": ripess}, headers=auth)
    assert answer.status_code == 200 and answer.json()["state"] == "ended"
    assert (
        client.post("/api/v1/network/leave", json={"network": ripess}, headers=auth).status_code
        == 409
    )
    assert [a.type for a in sent(engine)] == ["Join", "Leave"]

    # An organization's token cannot act as a network; bad bodies and tokens are JSON errors.
    assert client.get("/api/v1/network/members", headers=auth).status_code == 403
    bad = client.post("/api/v1/network/join", json={"network": 3}, headers=auth)
    assert bad.status_code == 422 and bad.json()["field"] == "network"
    assert client.get("/api/v1/network/memberships").status_code == 401


def test_a_network_decides_and_curates_through_the_api(client: TestClient, engine: Engine) -> None:
    local(engine, "ussen", "network")
    remote(engine, ORG)
    auth = token(engine, "ussen")
    join = activity("Join", ORG, f"{BASE}/actors/ussen")
    # As the inbox job would: the request arrives first.
    asyncio.run(deliver(client.app.state.node, join))  # type: ignore[attr-defined]

    requests = client.get("/api/v1/network/members?state=requested", headers=auth).json()
    assert [m["member"] for m in requests["items"]] == [ORG]
    assert client.get("/api/v1/network/members?state=odd", headers=auth).status_code == 400
    admitted = client.post("/api/v1/network/members/admit", json={"member": ORG}, headers=auth)
    assert admitted.status_code == 200 and admitted.json()["state"] == "admitted"
    assert [a.type for a in sent(engine)] == ["Accept", "Follow"]

    rules = client.put(
        "/api/v1/network/rules", json={"kinds": ["event"], "tags": ["Coops"]}, headers=auth
    )
    assert rules.json() == {
        "kinds": ["event"],
        "tags": ["coops"],
        "regions": [],
        "blockedDomains": [],
    }
    assert client.get("/api/v1/network/rules", headers=auth).json()["kinds"] == ["event"]
    bad = client.put("/api/v1/network/rules", json={"kinds": ["podcast"]}, headers=auth)
    assert bad.status_code == 422
    blocked = client.post("/api/v1/network/block", json={"domain": "spam.example"}, headers=auth)
    assert blocked.json() == {"domain": "spam.example", "blocked": True, "hidden": 0}
    unblocked = client.post(
        "/api/v1/network/unblock", json={"domain": "spam.example"}, headers=auth
    )
    assert unblocked.json()["changed"] is True
    missing = client.post(
        "/api/v1/network/hide", json={"object": "https://x.example/1"}, headers=auth
    )
    assert missing.status_code == 422

    removed = client.post(
        "/api/v1/network/members/remove", json={"member": ORG, "reason": "asked"}, headers=auth
    )
    assert removed.json()["state"] == "ended"
    log = client.get("/api/v1/network/log", headers=auth).json()["items"]
    assert [e["action"] for e in log] == [
        "network_remove",
        "network_unblock_domain",
        "network_block_domain",
        "network_rules",
        "network_admit",
    ]
    assert log[0]["who"] == f"api:{BASE}/actors/ussen" and log[0]["reason"] == "asked"
    assert client.get("/api/v1/network/items", headers=auth).json() == {"items": []}
