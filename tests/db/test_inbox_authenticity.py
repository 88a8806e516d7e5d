"""Who really wrote what arrives: forwarded activities need the actor's own signature in the
body, replays and deleted ids change nothing, a rotated key takes over at the actor's Update,
and a third party's object is read from its origin (on SQLite and PostgreSQL).

Payloads are real: Fedify's Create as recorded (tests/fixtures/fedify), activities signed by
our ldsig module with the fixture test keys, actors served by a loopback origin.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from node.activitypub import keys, ldsig
from node.db import session_scope
from node.features.publishing.notes import publish_note
from node.federation.actors.local import create_actor, ensure_instance_actor
from node.federation.context import NodeContext
from node.models import InboxActivity, Interaction, RemoteActor, Tombstone
from node.settings import Settings
from tests.db.inbox_support import (
    PUBLIC,
    cache_actor,
    deliver,
    make_sender,
    origin_server,
    process,
    stored,
)
from tests.fixtures.fedify import record

FEDIFY = Path(__file__).resolve().parents[1] / "fixtures" / "fedify"
STUB = "https://stub.example"  # our ldsig-signed activities come from this actor (cached)
RELAY = "https://relay.example"


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")  # signs our fetches
    ctx = NodeContext.build(settings, engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


@pytest.fixture
def relay(engine: Engine, settings: Settings) -> Any:
    sender = make_sender(RELAY, "relay", key="bob")
    cache_actor(engine, settings, sender.document)
    return sender


@pytest.fixture
def stub_activities(engine: Engine, settings: Settings) -> dict[str, dict[str, Any]]:
    rsa_key, ed_key = record.load_test_keys()
    cache_actor(engine, settings, record.stub_actor_document(STUB, rsa_key, ed_key))
    return dict(record.our_signed_activities(STUB, "http://127.0.0.1:8000/actor", rsa_key, ed_key))


def verified_by(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(InboxActivity)).all()
        return [(row.verified_by, row.signer) for row in rows]


# --- forwarded activities ----------------------------------------------------------------------


async def test_relay_forwards_a_fedify_create_and_its_proof_authenticates_it(
    node: NodeContext, engine: Engine, settings: Settings, relay: Any
) -> None:
    cache_actor(engine, settings, json.loads((FEDIFY / "alice_actor.json").read_text()))
    body = (FEDIFY / "create_note.json").read_bytes()  # byte for byte as Fedify sent it

    answer = await deliver(node, body, relay)

    assert (answer.status, answer.body) == (202, {"status": "accepted"})
    # the relay signed the request; alice's integrity proof vouches for the content
    assert verified_by(engine) == [("integrity-proof", relay.key_id)]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("rsa_signature_2017", "ld-signature"),
        ("eddsa_jcs_2022", "integrity-proof"),
        ("both", "integrity-proof"),  # the cheap check first: no JSON-LD at all
    ],
)
async def test_ld_signature_or_proof_authenticates_a_forwarded_activity(
    node: NodeContext,
    engine: Engine,
    relay: Any,
    stub_activities: dict[str, dict[str, Any]],
    label: str,
    expected: str,
) -> None:
    answer = await deliver(node, stub_activities[label], relay)
    assert answer.status == 202, answer.body
    assert verified_by(engine) == [(expected, relay.key_id)]


async def test_a_tampered_forwarded_activity_is_refused_and_nothing_is_stored(
    node: NodeContext, engine: Engine, settings: Settings, relay: Any
) -> None:
    cache_actor(engine, settings, json.loads((FEDIFY / "alice_actor.json").read_text()))
    forged = json.loads((FEDIFY / "create_note.json").read_text())
    forged["object"]["content"] = "<p>Send your savings to this address.</p>"

    answer = await deliver(node, forged, relay)

    assert answer.status == 401
    assert answer.body["reason"] == "bad_signature"
    assert "is not the activity's actor" in answer.body["error"]
    assert "does not match" in answer.body["error"]
    assert stored(engine) == (0, 0)


async def test_a_forwarded_activity_without_the_actors_signature_is_refused(
    node: NodeContext, engine: Engine, relay: Any, stub_activities: dict[str, dict[str, Any]]
) -> None:
    bare = {k: v for k, v in stub_activities["both"].items() if k not in {"signature", "proof"}}
    answer = await deliver(node, bare, relay)
    assert answer.status == 401
    assert answer.body["reason"] == "signer_actor_mismatch"
    assert "no LD signature" in answer.body["error"]
    assert stored(engine) == (0, 0)


async def test_a_signature_by_someone_else_does_not_vouch_for_the_actor(
    node: NodeContext,
    engine: Engine,
    settings: Settings,
    relay: Any,
    stub_activities: dict[str, dict[str, Any]],
) -> None:
    # mallory on the same server claims the activity, signed with the stub actor's keys
    mallory = make_sender(STUB, "mallory")
    cache_actor(engine, settings, mallory.document)
    rsa_key, ed_key = record.load_test_keys()
    doc = {k: v for k, v in stub_activities["both"].items() if k not in {"signature", "proof"}}
    doc["actor"] = mallory.actor_id
    doc["id"] = f"{STUB}/activities/{uuid.uuid4().hex}"
    doc["object"] = {**doc["object"], "attributedTo": mallory.actor_id}
    doc = ldsig.create_proof_eddsa_jcs_2022(
        doc, ed_key, f"{STUB}/actor#ed25519-key", record.OUR_CREATED
    )
    doc = ldsig.sign_rsa_signature_2017(doc, rsa_key, f"{STUB}/actor#main-key", record.OUR_CREATED)

    answer = await deliver(node, doc, relay)

    assert answer.status == 401
    assert answer.body["reason"] == "signer_actor_mismatch"
    assert f"not by {mallory.actor_id}" in answer.body["error"]
    assert stored(engine) == (0, 0)


async def test_a_forwarded_activity_too_complex_to_canonicalise_is_refused(
    node: NodeContext, engine: Engine, relay: Any, stub_activities: dict[str, dict[str, Any]]
) -> None:
    rsa_key, _ = record.load_test_keys()
    doc = {k: v for k, v in stub_activities["both"].items() if k not in {"signature", "proof"}}
    doc["cc"] = [f"https://elsewhere.example/users/u{i}" for i in range(300)]  # within bounds
    doc = ldsig.sign_rsa_signature_2017(doc, rsa_key, f"{STUB}/actor#main-key", record.OUR_CREATED)

    answer = await deliver(node, doc, relay)

    assert answer.status == 401
    assert answer.body["reason"] == "too_complex"
    assert stored(engine) == (0, 0)


# --- replays and deleted ids ---------------------------------------------------------------------


def note_create(actor: str, note_id: str, content: str = "<p>Hello</p>") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/activity/{uuid.uuid4().hex}",
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "to": [PUBLIC],
        },
    }


async def test_a_replayed_activity_is_stored_once(
    node: NodeContext,
    engine: Engine,
    settings: Settings,
    relay: Any,
    stub_activities: dict[str, dict[str, Any]],
) -> None:
    ana = make_sender("https://mastodon.example", "ana", key="bob")
    cache_actor(engine, settings, ana.document)
    create = note_create(ana.actor_id, f"{ana.actor_id}/statuses/1")

    first = await deliver(node, create, ana)
    again = await deliver(node, create, ana)  # a retry, or an attacker replaying the bytes

    assert first.body == {"status": "accepted"}
    assert (again.status, again.body) == (202, {"status": "duplicate"})
    # the same goes for a forwarded copy of something we already have
    forwarded = stub_activities["both"]
    assert (await deliver(node, forwarded, relay)).body == {"status": "accepted"}
    assert (await deliver(node, forwarded, relay)).body == {"status": "duplicate"}
    assert stored(engine) == (2, 2)


async def test_a_deleted_object_is_never_created_again(
    node: NodeContext, engine: Engine, settings: Settings
) -> None:
    ana = make_sender("https://mastodon.example", "ana", key="bob")
    cache_actor(engine, settings, ana.document)
    note_id = f"{ana.actor_id}/statuses/2"
    assert (await deliver(node, note_create(ana.actor_id, note_id), ana)).status == 202
    delete: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}#delete",
        "type": "Delete",
        "actor": ana.actor_id,
        "object": {"id": note_id, "type": "Tombstone"},
        "to": [PUBLIC],
    }
    assert (await deliver(node, delete, ana)).status == 202
    results = await process(node)
    assert results[delete["id"]] == "object tombstoned"

    # the same object id in a new Create (a replayed old one, or a forgery): nothing stored
    again = await deliver(node, note_create(ana.actor_id, note_id, "<p>I'm back</p>"), ana)

    assert (again.status, again.body) == (202, {"status": "duplicate"})
    assert stored(engine)[0] == 2
    with Session(engine) as session:
        assert session.exec(select(Tombstone.ap_id)).all() == [note_id]


# --- key rotation --------------------------------------------------------------------------------


async def test_a_rotated_key_takes_over_when_the_actor_sends_its_update(
    node: NodeContext, engine: Engine
) -> None:
    with origin_server() as origin:
        old = make_sender(origin.origin, "rotating", key="rotation-old")
        origin.serve(old.document)
        create = note_create(old.actor_id, f"{old.actor_id}/statuses/1")
        assert (await deliver(node, create, old)).status == 202
        assert origin.hits["/users/rotating"] == 1  # the key was fetched once

        # The server rotates its key, and announces it with an Update signed by the old key.
        new = make_sender(origin.origin, "rotating", key="rotation-new")
        origin.serve(new.document)
        update: dict[str, Any] = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{old.actor_id}#updates/1",
            "type": "Update",
            "actor": old.actor_id,
            "object": new.document,
            "to": [PUBLIC],
        }
        assert (await deliver(node, update, old)).status == 202
        results = await process(node)
        assert results[update["id"]] == "actor refreshed"
        with Session(engine) as session:
            cached = session.exec(select(RemoteActor)).one()
        assert keys.load_public_key(cached.public_key_pem) == keys.load_public_key(
            new.document["publicKey"]["publicKeyPem"]
        )

        # The old key no longer verifies (one refetch confirms it), the new one does, from cache.
        stale = await deliver(node, note_create(old.actor_id, f"{old.actor_id}/statuses/2"), old)
        assert stale.status == 401 and stale.body["reason"] == "bad_signature"
        fetched = origin.hits["/users/rotating"]
        fresh = await deliver(node, note_create(new.actor_id, f"{new.actor_id}/statuses/3"), new)
        assert fresh.status == 202
        assert origin.hits["/users/rotating"] == fetched


# --- third-party objects -------------------------------------------------------------------------


@pytest.mark.parametrize("group_server", ["another server", "the author's own server"])
async def test_a_groups_announce_of_a_reply_stores_the_reply_as_its_origin_serves_it(
    node: NodeContext, engine: Engine, settings: Settings, group_server: str
) -> None:
    """Also when the group is on the author's own server (#15 item 17): a sender's signature
    vouches only for what it wrote itself, not for another account of its server."""
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        item = publish_note(session, node, coop, "<p>Bulk flour order closes Friday.</p>")
    with origin_server() as member_server:
        ana = f"{member_server.origin}/users/ana"
        reply_id = f"{member_server.origin}/notes/1"
        authentic: dict[str, Any] = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{member_server.origin}/activities/1",
            "type": "Create",
            "actor": ana,
            "object": {
                "id": reply_id,
                "type": "Note",
                "attributedTo": ana,
                "inReplyTo": item.ap_id,
                "content": "<p>Two sacks for us, please.</p>",
                "to": [PUBLIC],
            },
            "to": [PUBLIC],
        }
        member_server.serve(authentic)
        group_origin = (
            member_server.origin if group_server != "another server" else "https://network.example"
        )
        group = make_sender(group_origin, "bay", key="bob")
        group.document["type"] = "Group"
        cache_actor(engine, settings, group.document)
        embedded = copy.deepcopy(authentic)
        del embedded["@context"]
        embedded["object"]["content"] = "<p>Cancel our order and refund it to me.</p>"
        announce: dict[str, Any] = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{group.actor_id}/announces/1",
            "type": "Announce",
            "actor": group.actor_id,
            "object": embedded,
            "to": [PUBLIC],
        }

        assert (await deliver(node, announce, group)).status == 202
        results = await process(node)

        assert member_server.hits["/activities/1"] == 1
    assert results[announce["id"]] == "reply recorded"
    with Session(engine) as session:
        reply = session.exec(select(Interaction)).one()
    assert (reply.kind, reply.actor, reply.object_id) == ("reply", ana, item.ap_id)
    assert reply.activity_id == reply_id
    assert reply.content == "<p>Two sacks for us, please.</p>"


async def test_boosts_of_other_peoples_posts_cost_no_fetch(
    node: NodeContext, engine: Engine, settings: Settings
) -> None:
    group = make_sender("https://network.example", "bay", key="bob")
    cache_actor(engine, settings, group.document)
    announce: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{group.actor_id}/announces/2",
        "type": "Announce",
        "actor": group.actor_id,
        "object": {
            "id": "https://elsewhere.example/notes/9",
            "type": "Note",
            "attributedTo": "https://elsewhere.example/users/zoe",
            "content": "<p>Not about you.</p>",
        },
        "to": [PUBLIC],
    }
    assert (await deliver(node, announce, group)).status == 202
    results = await process(node)  # would fail (unreachable host) if it fetched anything
    assert results[announce["id"]].startswith("ignored")


@pytest.mark.parametrize(
    ("authors", "status"),
    [
        # #15 item 17: a list no longer skips the check
        (["{actor}", "https://elsewhere.example/users/eve"], 400),
        (["https://mastodon.example/users/eve"], 400),
        # Mobilizon: the group, then the person who posted, both on the actor's server
        (["https://mastodon.example/users/group", "{actor}"], 202),
    ],
)
async def test_every_author_of_a_created_object_is_checked(
    node: NodeContext, engine: Engine, settings: Settings, authors: list[str], status: int
) -> None:
    ana = make_sender("https://mastodon.example", "ana")
    cache_actor(engine, settings, ana.document)
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/activities/42",
        "type": "Create",
        "actor": ana.actor_id,
        "object": {
            "id": "https://mastodon.example/notes/42",
            "type": "Note",
            "attributedTo": [a.format(actor=ana.actor_id) for a in authors],
            "content": "<p>Hello</p>",
            "to": [PUBLIC],
        },
        "to": [PUBLIC],
    }
    outcome = await deliver(node, note, ana)
    assert outcome.status == status, outcome.body
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT COUNT(*) FROM inbox_activity")).scalar_one()
    assert stored == (1 if status == 202 else 0)
