"""The counts ``local_actor`` keeps (migration 0018's triggers) stay equal to the rows they count
through a whole story told with real activities through the inbox handlers and the admin's API:
follows accepted, held, approved, refused, removed, undone and blocked; our follow of a member
accepted; members joining, leaving, removed, refused; a membership of ours admitted and removed;
the actor deleted. After every step each count is checked against a ``count(*)`` and against the
``totalItems`` its collection says."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from node.features.networks import membership
from node.federation.actors.kept_counts import COUNTED
from node.federation.context import NodeContext
from node.models import LocalActor
from node.settings import Settings
from tests.db.network_support import BASE, activity, deliver, local, remote, sent

AP = {"Accept": "application/activity+json"}
ANA = "https://mastodon.example/users/ana"
BO = "https://mastodon.example/users/bo"
CY = "https://gts.example/users/cy"
ORG = "https://coop.example/actors/riverside"
COLLECTIONS = {
    "followers_count": "followers",
    "following_count": "following",
    "members_count": "members",
    "memberships_count": "memberships",
}


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def counts(engine: Engine, client: TestClient, slug: str) -> dict[str, int]:
    """The kept counts of ``slug``, each checked against its rows and its collection."""
    with Session(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == slug)).one()
        kept = {}
        for model, owner, state, counter in COUNTED:
            rows = session.exec(
                select(func.count())
                .select_from(model)
                .where(owner == actor.id, model.state == state)
            ).one()
            assert getattr(actor, counter) == rows, (slug, counter)
            kept[counter] = rows
    for counter, name in COLLECTIONS.items():
        if name == "members" and actor.kind != "network":
            continue
        doc = client.get(f"/actors/{slug}/{name}", headers=AP).json()
        assert doc["totalItems"] == kept[counter], (slug, name, doc)
    return {k: v for k, v in kept.items() if v}


def follow(who: str, slug: str) -> dict[str, object]:
    return activity("Follow", who, f"{BASE}/actors/{slug}")


async def test_the_kept_counts_follow_every_follow_and_membership_change(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    coop = local(engine, "coop", manually_approves_followers=True)
    ussen = local(engine, "ussen", "network", auto_admit=True)
    for who in (ANA, BO, CY):
        remote(engine, who, "Person")
    remote(engine, ORG)
    ripess = remote(engine, "https://ripess.example/actors/ripess", kind="Group")
    with session_scope(engine) as session:
        auth = {"Authorization": f"Bearer {create_token(session, 'coop')}"}

    # Follows of an actor that approves by hand wait; of one that does not, count at once.
    assert await deliver(node, follow(ANA, "coop")) == "pending approval"
    assert await deliver(node, follow(BO, "coop")) == "pending approval"
    assert await deliver(node, follow(ANA, "ussen")) == "accepted"
    assert await deliver(node, follow(CY, "ussen")) == "accepted"
    assert counts(engine, client, "coop") == {}
    assert counts(engine, client, "ussen") == {"followers_count": 2}
    # a repeated Follow of a follower counts once
    assert await deliver(node, follow(CY, "ussen")) == "accepted"
    assert counts(engine, client, "ussen") == {"followers_count": 2}

    # The admin approves one, refuses the other, then removes the approved one.
    assert client.post("/api/v1/followers/approve", json={"actor": ANA}, headers=auth).is_success
    assert counts(engine, client, "coop") == {"followers_count": 1}
    assert client.post("/api/v1/followers/reject", json={"actor": BO}, headers=auth).is_success
    assert counts(engine, client, "coop") == {"followers_count": 1}
    assert client.post("/api/v1/followers/remove", json={"actor": ANA}, headers=auth).is_success
    assert counts(engine, client, "coop") == {}

    # Undo(Follow) and a Block take followers away.
    undo = activity("Undo", CY, follow(CY, "ussen"))
    assert await deliver(node, undo) == "unfollowed"
    assert counts(engine, client, "ussen") == {"followers_count": 1}
    assert (await deliver(node, activity("Block", ANA, f"{BASE}/actors/ussen"))).startswith(
        "blocked"
    )
    assert counts(engine, client, "ussen") == {}

    # A member joins (auto-admit): it counts, and the network's follow of it counts once the
    # member accepts it; leaving ends both.
    network = f"{BASE}/actors/ussen"
    assert await deliver(node, activity("Join", ORG, network)) == "network: admitted (auto-admit)"
    assert counts(engine, client, "ussen") == {"members_count": 1}
    [ours] = sent(engine, "Follow")
    accept = activity("Accept", ORG, {k: v for k, v in ours.document.items() if k != "@context"})
    assert await deliver(node, accept) == "follow accepted"
    assert counts(engine, client, "ussen") == {"members_count": 1, "following_count": 1}
    assert await deliver(node, activity("Leave", ORG, network)) == "network: member left"
    assert counts(engine, client, "ussen") == {}
    # back again, then removed by an admin; asking once more, refused
    assert await deliver(node, activity("Join", ORG, network)) == "network: admitted (auto-admit)"
    assert counts(engine, client, "ussen") == {"members_count": 1}
    await membership.remove(node, ussen, ORG, "cli:ana", "left the movement")
    assert counts(engine, client, "ussen") == {}
    with session_scope(engine) as session:
        session.exec(select(LocalActor).where(LocalActor.slug == "ussen")).one().auto_admit = False
    assert (await deliver(node, activity("Join", ORG, network))).startswith("network: requested")
    assert counts(engine, client, "ussen") == {}
    assert (await membership.remove(node, ussen, ORG, "cli:ana")).state == "rejected"
    assert counts(engine, client, "ussen") == {}

    # Our organization joins a network elsewhere: admitted by its Accept, ended by its Remove.
    await membership.join(node, coop, ripess)
    assert counts(engine, client, "coop") == {}
    [join] = sent(engine, "Join")
    body = {k: v for k, v in join.document.items() if k != "@context"}
    assert (await deliver(node, activity("Accept", ripess, body))).startswith("network: membership")
    assert counts(engine, client, "coop") == {"memberships_count": 1}
    remove = activity("Remove", ripess, f"{BASE}/actors/coop", target=f"{ripess}/members")
    assert (await deliver(node, remove)).startswith("network: @coop was removed")
    assert counts(engine, client, "coop") == {}


async def test_deleting_an_actor_takes_its_counted_rows_with_it(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    """The rows go by ON DELETE CASCADE and their triggers run against an actor already gone;
    the other actors' counts are untouched."""
    local(engine, "ussen", "network", auto_admit=True)
    local(engine, "coop")
    for who in (ANA, BO):
        remote(engine, who, "Person")
        assert await deliver(node, follow(who, "ussen")) == "accepted"
        assert await deliver(node, follow(who, "coop")) == "accepted"
    remote(engine, ORG)
    await deliver(node, activity("Join", ORG, f"{BASE}/actors/ussen"))
    assert counts(engine, client, "ussen") == {"followers_count": 2, "members_count": 1}
    with session_scope(engine) as session:
        session.exec(delete(LocalActor).where(col(LocalActor.slug) == "ussen"))
    assert counts(engine, client, "coop") == {"followers_count": 2}
