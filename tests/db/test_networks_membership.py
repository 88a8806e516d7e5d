"""Membership, consented on both sides: Join → Accept (auto-admit) or an admin's decision,
Leave and Remove end it, both sides publish it; relay subscriptions. Handlers run as the inbox
job runs them; remote actors come from the cache, so nothing is fetched."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.features.networks import membership, rules
from node.federation import relays
from node.federation.context import NodeContext
from node.federation.outbox.audience import relay_inboxes
from node.models import Following, Membership, ModerationLog, OutgoingMembership, Relay
from node.settings import Settings
from tests.db.network_support import BASE, PUBLIC, activity, audience, deliver, local, remote, sent

AP = {"Accept": "application/activity+json"}
ORG = "https://coop.example/actors/riverside"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def _membership(engine: Engine, member: str) -> Membership:
    with Session(engine) as session:
        row = session.exec(select(Membership).where(Membership.member == member)).one()
    return row


def _following(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(r.target_id, r.state) for r in session.exec(select(Following))]


async def test_auto_admit_accepts_follows_and_a_leave_ends_it(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    local(engine, "ussen", "network", auto_admit=True)
    remote(engine, ORG)
    network = f"{BASE}/actors/ussen"
    join = activity("Join", ORG, network, to=[network])

    assert await deliver(node, join) == "network: admitted (auto-admit)"
    row = _membership(engine, ORG)
    assert (row.state, row.kind) == ("admitted", "organization")
    [accept] = sent(engine, "Accept")
    assert accept.document["object"]["id"] == join["id"] and accept.public is False
    assert audience(engine, accept.ap_id)["actors"] == [ORG]
    # The network follows its new member, so the member's public items reach it.
    assert _following(engine) == [(ORG, "pending")]
    [follow] = sent(engine, "Follow")
    assert follow.document["object"] == ORG

    members = client.get("/actors/ussen/members?page=1", headers=AP).json()
    assert members["orderedItems"] == [ORG] and members["totalItems"] == 1
    assert client.get("/actors/ussen/members", headers=AP).json()["first"].endswith("?page=1")

    # A repeated Join is answered again, not filed twice.
    assert (await deliver(node, activity("Join", ORG, network))).endswith("Accept sent again")

    assert await deliver(node, activity("Leave", ORG, network)) == "network: member left"
    assert _membership(engine, ORG).state == "ended"
    assert _following(engine) == []  # unfollowed: Undo(Follow) sent
    assert [u.document["object"]["type"] for u in sent(engine, "Undo")] == ["Follow"]
    assert client.get("/actors/ussen/members?page=1", headers=AP).json()["orderedItems"] == []


async def test_an_admin_admits_removes_and_refuses_and_every_decision_is_logged(
    node: NodeContext, engine: Engine
) -> None:
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    network = f"{BASE}/actors/ussen"
    join = activity("Join", ORG, network)
    assert (await deliver(node, join)).startswith("network: requested")
    assert sent(engine, "Accept") == []

    # By handle: found among the requests already known, without WebFinger.
    row = await membership.admit(node, net, "@riverside@coop.example", "cli:ana")
    assert row.state == "admitted"
    [accept] = sent(engine, "Accept")
    assert accept.document["object"]["id"] == join["id"]
    assert _following(engine) == [(ORG, "pending")]
    with pytest.raises(membership.MembershipError):
        await membership.admit(node, net, "https://nobody.example/actors/x", "cli:ana")

    row = await membership.remove(node, net, ORG, "cli:ana", "left the movement")
    assert row.state == "ended"
    [remove] = sent(engine, "Remove")
    assert remove.document["object"] == ORG
    assert remove.document["target"] == f"{BASE}/actors/ussen/members"
    assert audience(engine, remove.ap_id)["actors"] == [ORG]
    assert _following(engine) == []

    # A new request can be refused: Reject goes out.
    await deliver(node, activity("Join", ORG, network))
    row = await membership.remove(node, net, ORG, "cli:ana")
    assert row.state == "rejected"
    assert [r.document["object"]["type"] for r in sent(engine, "Reject")] == ["Join"]

    with Session(engine) as session:
        log = [(e.who, e.action, e.target) for e in rules.log_entries(session, net)]
        assert all(e.network_id == net.id for e in session.exec(select(ModerationLog)))
    assert log == [
        ("cli:ana", "network_reject", ORG),
        ("cli:ana", "network_remove", ORG),
        ("cli:ana", "network_admit", ORG),
    ]


async def test_a_network_refuses_members_from_a_domain_it_blocks(
    node: NodeContext, engine: Engine
) -> None:
    net = local(engine, "ussen", "network", auto_admit=True)
    remote(engine, ORG)
    from node.db import session_scope

    with session_scope(engine) as session:
        rules.block_domain(session, node, net, "coop.example", "cli:ana", "spam")
    result = await deliver(node, activity("Join", ORG, f"{BASE}/actors/ussen"))
    assert result.startswith("network: rejected: the domain coop.example is blocked")
    assert _membership(engine, ORG).state == "rejected"
    assert len(sent(engine, "Reject")) == 1 and sent(engine, "Follow") == []


async def test_the_member_side_joins_is_admitted_and_removed(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    org = local(engine, "riverside")
    ripess = remote(engine, "https://ripess.example/actors/ripess", kind="Group")

    row = await membership.join(node, org, ripess)
    assert row.state == "requested"
    [join] = sent(engine, "Join")
    assert join.document["actor"] == f"{BASE}/actors/riverside"
    assert join.document["object"] == ripess and join.public is False
    assert audience(engine, join.ap_id)["actors"] == [ripess]

    # An Accept of someone else's Join, or from someone else, changes nothing.
    stranger = remote(engine, "https://other.example/actors/x", kind="Group")
    assert "follow" in await deliver(node, activity("Accept", stranger, join.document))
    accept = activity("Accept", ripess, {k: v for k, v in join.document.items() if k != "@context"})
    assert await deliver(node, accept) == f"network: membership admitted by {ripess}"

    doc = client.get("/actors/riverside", headers=AP).json()
    assert doc["memberships"] == f"{BASE}/actors/riverside/memberships"
    assert doc["@context"][-1]["memberships"]["@type"] == "@id"
    page = client.get(doc["memberships"] + "?page=1", headers=AP).json()
    assert page["orderedItems"] == [ripess]

    remove = activity("Remove", ripess, f"{BASE}/actors/riverside", target=f"{ripess}/members")
    assert (await deliver(node, remove)).startswith("network: @riverside was removed")
    with Session(engine) as session:
        assert session.exec(select(OutgoingMembership.state)).one() == "ended"
    assert client.get(doc["memberships"] + "?page=1", headers=AP).json()["orderedItems"] == []

    with pytest.raises(membership.MembershipError):
        await membership.join(
            node, org, remote(engine, "https://people.example/users/bo", "Person")
        )


async def test_a_mastodon_style_relay_subscription(node: NodeContext, engine: Engine) -> None:
    local(engine, "riverside")
    from node.db import session_scope
    from node.federation.actors.local import ensure_instance_actor

    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    relay = await relays.add_relay(node, "https://relay.example/inbox")
    assert (relay.style, relay.state) == ("mastodon", "pending")
    [follow] = sent(engine, "Follow")
    assert follow.document["object"] == PUBLIC and follow.document["actor"] == f"{BASE}/actor"
    assert audience(engine, follow.ap_id)["inboxes"] == ["https://relay.example/inbox"]
    with Session(engine) as session:
        assert relay_inboxes(session) == ()

    # The relay answers as its actor; someone else's Accept of that Follow counts for nothing.
    forged = activity("Accept", "https://evil.example/actor", follow.document)
    assert "another server" in await deliver(node, forged)
    result = await deliver(node, activity("Accept", "https://relay.example/actor", follow.document))
    assert result == "relay https://relay.example/inbox: accepted"
    with Session(engine) as session:
        assert relay_inboxes(session) == ("https://relay.example/inbox",)
        assert session.exec(select(Relay.actor)).one() == "https://relay.example/actor"

    await relays.remove_relay(node, "https://relay.example/inbox")
    [undo] = sent(engine, "Undo")
    assert undo.document["object"]["id"] == follow.ap_id
    with Session(engine) as session:
        assert relays.list_relays(session) == []
