"""Federation core, told as stories with real processes: our nodes and the Fedify peer.

Each node is `solnode serve` on its own loopback port with its own database; the peer is the
independent Fedify server in ../shared/fedify-peer. Nothing is mocked.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory, NodeProcess, wait_until


def _rows(node: NodeProcess, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(node.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def _followers(node: NodeProcess, slug: str) -> list[str]:
    return [
        str(r[0])
        for r in _rows(
            node,
            "SELECT f.remote_id FROM follower f JOIN local_actor a ON a.id = f.actor_id"
            " WHERE a.slug = :slug AND f.state = 'accepted'",
            slug=slug,
        )
    ]


@pytest.mark.peer
@pytest.mark.integration
def test_fedify_peer_follows_reads_replies_likes_and_unfollows(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    peer = fedify_peer_factory(["alice"])
    org = node.actor_url("riverside")

    # The peer follows by actor URL and gets an Accept (its first knock is RFC 9421).
    peer.follow(org)
    [accept] = peer.wait_for_inbox("Accept", timeout=20)
    assert accept["actor"] == org and accept["httpSignatureVerified"] is True
    assert peer.following()["following"][0]["state"] == "accepted"
    assert _followers(node, "riverside") == [peer.actor_id()]
    # Its first knock was RFC 9421, and we accepted it without a second try.
    follows = [o for o in peer.outgoing()["items"] if o["activityType"] == "Follow"]
    assert [(o["signature"], o["status"]) for o in follows] == [("rfc9421", 202)]

    # An item the organization publishes arrives, signed and verified.
    note_id = node.cli(
        "note", "riverside", "Bulk purchasing of organic flour: join us!"
    ).stdout.strip()
    [create] = peer.wait_for_inbox("Create", timeout=20)
    assert create["activity"]["object"]["id"] == note_id
    assert create["httpSignatureVerified"] is True
    assert create["signerKeyId"] == org + "#main-key"
    assert create["fedify"]["activityVerified"] is True

    # The peer's reply and Like reach the node and are stored.
    # (The peer's /control/note drops inReplyTo: it hands Fedify's Note an `inReplyTo` option,
    # whose property is named `replyTarget`. /control/send parses real JSON and keeps it.)
    alice = peer.actor_id()
    peer.send(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create",
            "actor": alice,
            "object": {
                "id": f"{alice}/note/{uuid.uuid4().hex}",
                "type": "Note",
                "attributedTo": alice,
                "content": "<p>Count us in for two sacks.</p><script>alert(1)</script>",
                "inReplyTo": note_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public", org],
            },
            "to": ["https://www.w3.org/ns/activitystreams#Public", org],
        },
        to=[org],
    )
    peer.like(note_id)

    def interactions() -> list[tuple[object, ...]]:
        return _rows(node, "SELECT kind, actor, object_id FROM interaction ORDER BY kind")

    got = wait_until(lambda: len(interactions()) == 2 and interactions(), what="reply and like")
    assert [(k, a, o) for k, a, o in got] == [
        ("like", peer.actor_id(), note_id),
        ("reply", peer.actor_id(), note_id),
    ]
    [(content,)] = _rows(node, "SELECT content FROM interaction WHERE kind = 'reply'")
    assert content == "<p>Count us in for two sacks.</p>"  # sanitized

    # Undo(Follow) removes the follower.
    peer.unfollow(org)
    wait_until(lambda: _followers(node, "riverside") == [], what="follower removed")


def _forged_activity(peer_actor: str, kind: str = "Create") -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer_actor}/raw/{uuid.uuid4().hex}",
        "type": kind,
        "actor": peer_actor,
        "object": {
            "id": f"{peer_actor}/note/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": peer_actor,
            "content": "<p>hello</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


@pytest.mark.peer
@pytest.mark.integration
def test_forged_tampered_stale_and_wrong_actor_requests_get_401_and_store_nothing(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    peer = fedify_peer_factory(["alice", "mallory"])
    inbox = node.actor_url("riverside") + "/inbox"
    alice = peer.actor_id("alice")
    mallory = peer.actor_id("mallory")
    stale = (datetime.now(UTC) - timedelta(hours=3)).isoformat()

    cases: dict[str, dict[str, Any]] = {
        "unsigned": dict(body=_forged_activity(alice), spec="none"),
        "tampered body (cavage)": dict(
            body=_forged_activity(alice), spec="draft-cavage-http-signatures-12", tamper_body=True
        ),
        "tampered body (rfc9421)": dict(
            body=_forged_activity(alice), spec="rfc9421", tamper_body=True
        ),
        "stale (3 h old)": dict(
            body=_forged_activity(alice), spec="draft-cavage-http-signatures-12", signed_at=stale
        ),
        "stale rfc9421": dict(body=_forged_activity(alice), spec="rfc9421", signed_at=stale),
        "wrong actor": dict(
            body=_forged_activity(alice), spec="draft-cavage-http-signatures-12", as_="mallory"
        ),
        "forged key id": dict(
            body=_forged_activity(alice),
            spec="draft-cavage-http-signatures-12",
            key_id=alice + "#main-key",
            as_="mallory",
        ),
    }
    for name, case in cases.items():
        body = json.dumps(case.pop("body"))
        answer = peer.post_raw(inbox, body, **case)
        assert answer["status"] == 401, (name, answer)
        assert "error" in json.loads(answer["responseBody"]), name
    assert _rows(node, "SELECT COUNT(*) FROM inbox_activity") == [(0,)]
    assert mallory  # mallory's own key was used to sign for alice: refused above

    # The same activity properly signed (either spec) is accepted: the refusals were real.
    for spec in ("rfc9421", "draft-cavage-http-signatures-12"):
        ok = peer.post_raw(inbox, json.dumps(_forged_activity(alice)), spec=spec)
        assert ok["status"] == 202, ok
    assert _rows(node, "SELECT COUNT(*) FROM inbox_activity") == [(2,)]


@pytest.mark.integration
def test_two_nodes_follow_each_other_publish_and_unfollow(node_factory: NodeFactory) -> None:
    a = node_factory()
    b = node_factory()
    a.cli("network", "create", "bay-network", "--name", "Bay Area Solidarity Network")
    b.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    a.start()
    b.start()

    a.cli("follow", "bay-network", b.handle("riverside"))  # by handle, WebFinger over http
    b.cli("follow", "riverside", a.actor_url("bay-network"))  # by URL
    wait_until(
        lambda: _followers(b, "riverside") == [a.actor_url("bay-network")], what="A follows B"
    )
    wait_until(
        lambda: _followers(a, "bay-network") == [b.actor_url("riverside")], what="B follows A"
    )
    wait_until(
        lambda: _rows(a, "SELECT state FROM following") == [("accepted",)],
        what="A's follow accepted",
    )

    note_id = b.cli("note", "riverside", "Open day at the co-op on Saturday").stdout.strip()

    def creates_at_a() -> list[tuple[object, ...]]:
        return _rows(a, "SELECT raw, verified_by FROM inbox_activity WHERE type = 'Create'")

    [(raw, verified_by)] = wait_until(creates_at_a, what="the Create to arrive at A")
    assert json.loads(str(raw))["object"]["id"] == note_id
    assert str(verified_by).startswith("http-signature")
    delivered = _rows(b, "SELECT COUNT(*) FROM job WHERE kind = 'deliver' AND state = 'done'")
    [(count, *_)] = delivered
    assert isinstance(count, int) and count >= 1
    # exactly once, even though B's worker may retry: A deduplicates by activity id
    assert len(creates_at_a()) == 1

    a.cli("unfollow", "bay-network", b.actor_url("riverside"))
    wait_until(lambda: _followers(b, "riverside") == [], what="A's unfollow at B")


@pytest.mark.peer
@pytest.mark.integration
def test_authorized_fetch_serves_objects_only_to_signed_requests(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory(SOLNODE_AUTHORIZED_FETCH="true")
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    peer = fedify_peer_factory(["alice"])
    note_id = node.cli("note", "riverside", "Members only? No: signed fetches only.").stdout.strip()

    signed = peer.lookup(note_id, signed=True)
    assert signed["found"] is True and signed["raw"]["id"] == note_id
    unsigned = peer.lookup(note_id, signed=False)
    assert unsigned["found"] is False
    # the actor document (with its key) stays readable without a signature
    assert peer.lookup(node.actor_url("riverside"), signed=False)["found"] is True
    # collections too need the signature
    assert peer.lookup(node.actor_url("riverside") + "/outbox", signed=False)["found"] is False
    assert peer.lookup(node.actor_url("riverside") + "/outbox", signed=True)["found"] is True
