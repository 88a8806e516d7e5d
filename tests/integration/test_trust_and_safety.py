"""Trust and safety with real processes: our node (`solnode serve`) and the Fedify peer.

* An activity that reaches us through someone else is accepted on the author's own signature
  in the body (integrity proof, or LD signature from a peer without an Ed25519 key), and a
  tampered copy is refused.
* Our public posts carry signatures Fedify verifies without the HTTP signature.
* A blocked server is refused; our reports reach the other server as a Flag.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory, NodeProcess, wait_until

pytestmark = [pytest.mark.peer, pytest.mark.integration]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _rows(node: NodeProcess, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(node.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def _public_note(author: str, content: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "actor": author,
        "object": {
            "id": f"{author}/note/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": author,
            "content": content,
            "to": [PUBLIC],
        },
        "to": [PUBLIC],
    }


@pytest.mark.parametrize(
    ("peer_flags", "expected"),
    [({}, "integrity-proof"), ({"no_ed25519": True}, "ld-signature")],
    ids=["proof", "ld-signature-only"],
)
def test_an_activity_forwarded_by_another_account_is_accepted_on_the_authors_signature(
    node_factory: NodeFactory,
    fedify_peer_factory: PeerFactory,
    peer_flags: dict[str, Any],
    expected: str,
) -> None:
    node = node_factory()
    node.start()
    origin = fedify_peer_factory(["alice", "bob"], **peer_flags)
    witness = fedify_peer_factory(["carol"])
    alice = origin.actor_id("alice")

    # alice posts to carol on another server; carol's inbox keeps the body as Fedify signed it
    origin.send(
        _public_note(alice, "<p>Seed swap on Sunday</p>"), to=[witness.actor_id()], as_="alice"
    )
    [entry] = witness.wait_for_inbox("Create", timeout=20)
    signed_by_alice = entry["activity"]
    assert "signature" in signed_by_alice
    assert ("proof" in signed_by_alice) is (expected == "integrity-proof")

    # bob passes it on to our shared inbox under his own HTTP signature
    answer = origin.post_raw(f"{node.base_url}/inbox", json.dumps(signed_by_alice), as_="bob")
    assert answer["status"] == 202, answer
    assert _rows(node, "SELECT actor, verified_by, signer FROM inbox_activity") == [
        (alice, expected, origin.key_id("bob"))
    ]

    # the same, with the text changed on the way: refused, nothing stored
    tampered = copy.deepcopy(signed_by_alice)
    tampered["object"]["content"] = "<p>Seed swap cancelled; send money instead</p>"
    answer = origin.post_raw(f"{node.base_url}/inbox", json.dumps(tampered), as_="bob")
    assert answer["status"] == 401, answer
    assert "not the activity's actor" in json.loads(answer["responseBody"])["error"]
    assert _rows(node, "SELECT COUNT(*) FROM inbox_activity") == [(1,)]


def test_fedify_verifies_our_public_posts_by_their_ld_signature(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    peer = fedify_peer_factory(["alice"])
    peer.follow(node.actor_url("riverside"))
    peer.wait_for_inbox("Accept", timeout=20)

    note_id = node.cli("note", "riverside", "Relays may pass this on.").stdout.strip()

    [create] = peer.wait_for_inbox("Create", timeout=20)
    assert create["activity"]["object"]["id"] == note_id
    # Fedify tries the LD signature first: it authenticates our post without the HTTP one
    assert create["fedify"]["verifiedBy"] == "ld-signature"
    assert create["activity"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_a_blocked_server_is_refused_and_our_report_reaches_another_one(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    blocked = fedify_peer_factory(["mallory"])
    reported = fedify_peer_factory(["spammer"])
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.cli("block", "domain", blocked.origin, "--reason", "harassment campaign")
    node.start()

    answer = blocked.post_raw(
        node.actor_url("riverside") + "/inbox",
        json.dumps(
            {**_public_note(blocked.actor_id(), "<p>hi</p>"), "id": f"{blocked.actor_id()}/x"}
        ),
    )
    assert answer["status"] == 403, answer
    assert "domain blocked" in json.loads(answer["responseBody"])["error"]
    assert _rows(node, "SELECT COUNT(*) FROM inbox_activity") == [(0,)]

    spam = f"{reported.actor_id()}/note/1"
    node.cli("report", reported.actor_id(), "--comment", "Spam links", "--object", spam)
    [flag] = reported.wait_for_inbox("Flag", timeout=30)
    assert flag["actor"] == f"{node.base_url}/actor"  # sent by the instance actor
    assert flag["httpSignatureVerified"] is True
    assert flag["activity"]["object"] == [reported.actor_id(), spam]
    assert flag["activity"]["content"] == "Spam links"
    logged = wait_until(
        lambda: _rows(node, "SELECT action FROM moderation_log ORDER BY id"), what="log"
    )
    assert logged == [("block_domain",), ("report_sent",)]
