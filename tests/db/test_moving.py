"""Moves arriving at our inbox, on SQLite and PostgreSQL: an account our organization follows
moves, and we follow it to the new account only when the Move is the account moving itself
and the new account (fetched from its origin) names the old one in ``alsoKnownAs`` — as
Mastodon checks. Senders sign with real keys; their actors are served by a loopback origin.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from node.db import session_scope
from node.federation.actors.local import create_actor, ensure_instance_actor, get_actor
from node.federation.context import NodeContext
from node.models import Follower, Following
from node.settings import Settings
from tests.db.inbox_support import Origin, Sender, deliver, make_sender, origin_server, process
from tests.db.publishing_support import outbox

ORG = "http://127.0.0.1:8000/actors/nec"


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")  # signs our fetches
        create_actor(session, "nec", kind="organization", name="New Economy Coalition")
    ctx = NodeContext.build(settings, engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with origin_server() as server:
        yield server


def _people(engine: Engine, origin: Origin, *, alias: bool) -> tuple[Sender, Sender]:
    """alice, whom nec follows, and bob, her new account (naming her in alsoKnownAs or not)."""
    alice = make_sender(origin.origin, "alice")
    bob = make_sender(origin.origin, "bob")
    if alias:
        bob.document["alsoKnownAs"] = [alice.actor_id]
    origin.serve(alice.document)
    origin.serve(bob.document)
    with session_scope(engine) as session:
        nec = get_actor(session, "nec")
        assert nec is not None and nec.id is not None
        follow_id = f"http://127.0.0.1:8000/activities/{uuid.uuid4().hex}"
        session.add(
            Following(
                actor_id=nec.id, target_id=alice.actor_id, follow_id=follow_id, state="accepted"
            )
        )
    return alice, bob


def _move(sender: Sender, obj: str, target: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.actor_id}#moves/{uuid.uuid4().hex}",
        "type": "Move",
        "actor": sender.actor_id,
        "object": obj,
        "target": target,
    }


def _follows(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return sorted((f.target_id, f.state) for f in session.exec(select(Following)))


async def test_a_followed_account_moves_and_nec_follows_the_new_one(
    node: NodeContext, engine: Engine, origin: Origin
) -> None:
    alice, bob = _people(engine, origin, alias=True)
    move = _move(alice, alice.actor_id, bob.actor_id)

    assert (await deliver(node, move, alice)).status == 202
    results = await process(node)

    assert (
        results[move["id"]] == f"moved: 1 follow(s) of {alice.actor_id} now follow {bob.actor_id}"
    )
    assert _follows(engine) == [(bob.actor_id, "pending")]
    [undo] = outbox(engine, "Undo")
    assert (undo["actor"], undo["object"]["object"]) == (ORG, alice.actor_id)
    [follow] = outbox(engine, "Follow")
    assert (follow["actor"], follow["object"]) == (ORG, bob.actor_id)
    assert origin.hits["/users/bob"] >= 1  # the alias was read from bob's own server


async def test_a_move_to_an_account_that_does_not_name_the_old_one_is_refused(
    node: NodeContext, engine: Engine, origin: Origin
) -> None:
    alice, bob = _people(engine, origin, alias=False)
    move = _move(alice, alice.actor_id, bob.actor_id)

    await deliver(node, move, alice)
    results = await process(node)

    assert results[move["id"]] == (
        f"refused: {bob.actor_id} does not list {alice.actor_id} in its alsoKnownAs"
    )
    assert _follows(engine) == [(alice.actor_id, "accepted")]
    assert outbox(engine) == []


async def test_nobody_can_move_someone_else(
    node: NodeContext, engine: Engine, origin: Origin
) -> None:
    alice, bob = _people(engine, origin, alias=True)
    mallory = make_sender(origin.origin, "mallory")
    origin.serve(mallory.document)
    # mallory signs a Move of alice to bob (who even names alice): not alice's own doing.
    forged = _move(mallory, alice.actor_id, bob.actor_id)

    await deliver(node, forged, mallory)
    results = await process(node)

    assert results[forged["id"]] == "ignored: a Move of someone other than its actor"
    assert _follows(engine) == [(alice.actor_id, "accepted")]
    assert outbox(engine) == []


async def test_an_organization_that_moved_refuses_new_followers_and_keeps_its_old_ones(
    node: NodeContext, engine: Engine, origin: Origin
) -> None:
    """After ``solnode move`` nec's followers are asked to follow its new account; someone who
    finds the old one later is refused (Reject), and told where it went by its ``movedTo``."""
    carol, dan = make_sender(origin.origin, "carol"), make_sender(origin.origin, "dan")
    origin.serve(carol.document)
    origin.serve(dan.document)
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
              "actor": carol.actor_id, "object": ORG,
              "id": f"{carol.actor_id}#follows/{uuid.uuid4().hex}"}  # fmt: skip
    assert (await deliver(node, follow, carol)).status == 202
    assert (await process(node))[follow["id"]] == "accepted"
    with session_scope(engine) as session:
        nec = get_actor(session, "nec")
        assert nec is not None
        nec.moved_to = "https://social.neweconomy.example/users/nec"
        session.add(nec)

    late = follow | {"actor": dan.actor_id, "id": f"{dan.actor_id}#follows/{uuid.uuid4().hex}"}
    again = follow | {"id": f"{carol.actor_id}#follows/{uuid.uuid4().hex}"}  # an old follower
    for activity, sender in ((late, dan), (again, carol)):
        assert (await deliver(node, activity, sender)).status == 202
    results = await process(node)
    assert results[late["id"]] == (
        "refused: @nec has moved to https://social.neweconomy.example/users/nec"
    )
    assert results[again["id"]] == "accepted"
    with Session(engine) as session:
        assert [f.remote_id for f in session.exec(select(Follower))] == [carol.actor_id]
    [reject] = outbox(engine, "Reject")
    assert (reject["object"]["id"], reject["to"]) == (late["id"], [dan.actor_id])
