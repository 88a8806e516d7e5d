"""Aggregation as the inbox job runs it: a member's item is filed and re-announced by id,
exactly once; non-members are never re-announced; rules hold items back; a cycle of
memberships ends at the dedupe; Update and Delete are forwarded byte for byte."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks import rules
from node.features.networks.forward import forward_key
from node.federation.context import NodeContext
from node.federation.outbox.deliver import OutgoingCache
from node.federation.outbox.signing import sign_stored
from node.models import Following, Item, LocalActor, ModerationLog, OutboxActivity
from node.settings import Settings
from tests.db.network_support import (
    BASE,
    PUBLIC,
    activity,
    admitted,
    audience,
    deliver,
    event,
    follower,
    items,
    local,
    remote,
    sent,
)

AP = {"Accept": "application/activity+json"}
ORG = "https://coop.example/actors/riverside"
ANA = "https://mastodon.example/users/ana"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def ussen(engine: Engine) -> LocalActor:
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, net, ORG)
    follower(engine, net, ANA)
    return net


def create(author: str, obj: dict[str, object]) -> dict[str, object]:
    return activity("Create", author, obj, to=[PUBLIC], cc=[f"{author}/followers"])


async def test_a_members_event_is_filed_and_announced_by_id_once(
    node: NodeContext, engine: Engine, ussen: LocalActor
) -> None:
    ev = event(ORG)
    result = await deliver(node, create(ORG, ev))
    assert result.startswith("network: @ussen: relayed;")
    [row] = items(engine)
    assert (row.object_id, row.author, row.via, row.state, row.kind) == (
        ev["id"],
        ORG,
        "",
        "relayed",
        "event",
    )
    assert row.start_time is not None
    assert row.start_time.astimezone(UTC) == datetime(2099, 5, 1, 22, 0, tzinfo=UTC)
    assert (row.region, row.country, row.tags, row.category) == (
        "Massachusetts",
        "US",
        " coops ",
        "MEETING",
    )
    [announce] = sent(engine, "Announce")
    # signed in the body, like every public activity of ours (relays pass it on), by its
    # fan-out job (node/federation/outbox/signing.py)
    assert sign_stored(engine, announce.ap_id)
    [announce] = sent(engine, "Announce")
    doc = announce.document
    assert doc["actor"] == f"{BASE}/actors/ussen" and doc["object"] == ev["id"]
    assert doc["to"] == [PUBLIC] and doc["cc"] == [f"{BASE}/actors/ussen/followers"]
    assert doc["signature"]["type"] == "RsaSignature2017" and doc["proof"]["cryptosuite"]
    assert audience(engine, announce.ap_id) == {
        "followers": True,
        "actors": [],
        "inboxes": [],
        "exclude": [ORG],
    }

    # The same object again (another Create, or a member network's Announce): nothing more.
    assert "already has it" in await deliver(node, create(ORG, ev))
    ripn = remote(engine, "https://ripn.example/actors/ripn", "Group")
    admitted(engine, ussen, ripn, kind="network")
    assert "already has" in await deliver(node, activity("Announce", ripn, ev["id"]))
    assert len(sent(engine, "Announce")) == 1 and len(items(engine)) == 1
    # A group announcing an activity (Lemmy announces Likes too) brings no content.
    like = {"id": f"{ripn}/likes/1", "type": "Like", "actor": ripn, "object": ev["id"]}
    assert "network" not in await deliver(node, activity("Announce", ripn, like))


async def test_non_members_are_never_reannounced_and_followed_calendars_are_only_shown(
    node: NodeContext, engine: Engine, ussen: LocalActor, client: TestClient
) -> None:
    stranger = remote(engine, "https://else.example/actors/stranger")
    # Even when it addresses the group (FEP-1b12), a non-member's post is not the network's.
    post = create(stranger, event(stranger) | {"to": [PUBLIC, f"{BASE}/actors/ussen"]})
    assert "addressed to @ussen by a non-member, not filed" in await deliver(node, post)
    # An organization member's boost of someone else's post is a boost, not a relay.
    assert "network" not in await deliver(node, activity("Announce", ORG, event(stranger)["id"]))

    gancio = remote(engine, "https://gancio.example/federation/u/events", "Application")
    with session_scope(engine) as session:
        assert ussen.id is not None
        session.add(
            Following(actor_id=ussen.id, target_id=gancio, follow_id="f1", state="accepted")
        )
    ev = event(gancio, name="Repair café")
    assert (await deliver(node, create(gancio, ev))).startswith("network: @ussen: followed")
    [row] = items(engine)
    assert (row.source, row.state, row.author) == ("followed", "followed", gancio)
    assert sent(engine, "Announce") == []

    page = client.get("/networks/ussen/calendar")
    assert page.status_code == 200 and "Repair café" in page.text
    assert "from a calendar this network follows" in page.text
    events = client.get("/actors/ussen/events?page=1", headers=AP).json()
    assert [e["id"] for e in events["orderedItems"]] == [ev["id"]]
    assert events["orderedItems"][0]["attributedTo"] == gancio


async def test_rules_hold_items_back_and_hiding_takes_the_announce_back(
    node: NodeContext, engine: Engine, ussen: LocalActor, client: TestClient
) -> None:
    with session_scope(engine) as session:
        rules.set_rules(session, ussen, "cli:ana", kinds=["event"], tags=["#Coops"])
    news: dict[str, object] = {"id": f"https://coop.example/items/{uuid.uuid4().hex}", "type": "Article",
            "attributedTo": ORG, "name": "News", "to": [PUBLIC]}  # fmt: skip
    assert "held (kind news is not relayed" in await deliver(node, create(ORG, news))
    untagged = event(ORG, 2, tag=[])
    assert "held (none of the tags coops)" in await deliver(node, create(ORG, untagged))
    ev = event(ORG, 3)
    assert "relayed" in await deliver(node, create(ORG, ev))
    assert [(r.kind, r.state) for r in items(engine)] == [
        ("news", "held"),
        ("event", "held"),
        ("event", "relayed"),
    ]
    assert len(sent(engine, "Announce")) == 1
    assert ev["name"] in client.get("/networks/ussen/calendar").text

    with session_scope(engine) as session:
        rules.hide_item(session, node, ussen, str(ev["id"]), "cli:ana", "duplicate")
    [undo] = sent(engine, "Undo")
    assert undo.document["object"]["type"] == "Announce"
    assert undo.document["object"]["object"] == ev["id"]
    assert audience(engine, undo.ap_id)["followers"] is True
    assert ev["name"] not in client.get("/networks/ussen/calendar").text
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(ModerationLog))]
    assert actions == ["network_rules", "network_hide"]

    # A region rule matches the item's region or country, whatever the case.
    with session_scope(engine) as session:
        rules.set_rules(session, ussen, "cli:ana", kinds=[], tags=[], regions=["us"])
    assert "relayed" in await deliver(node, create(ORG, event(ORG, 4)))
    with session_scope(engine) as session, pytest.raises(rules.RulesError):
        rules.set_rules(session, ussen, "cli:ana", kinds=["podcast"])


async def test_a_cycle_of_memberships_ends_at_the_dedupe(node: NodeContext, engine: Engine) -> None:
    # A ∈ B and B ∈ A, on one node; an organization of A publishes.
    a, b = local(engine, "net-a", "network"), local(engine, "net-b", "network")
    coop = local(engine, "coop")
    a_id, b_id, coop_id = (f"{BASE}/actors/{s}" for s in ("net-a", "net-b", "coop"))
    admitted(engine, a, coop_id)
    admitted(engine, a, b_id, kind="network")
    admitted(engine, b, a_id, kind="network")
    follower(engine, a, b_id)
    follower(engine, b, a_id)
    ident = f"{BASE}/items/assembly-1"
    doc = event(coop_id) | {"id": ident}
    with session_scope(engine) as session:
        assert coop.id is not None
        session.add(Item(ap_id=ident, actor_id=coop.id, kind="event", document=doc))

    assert "@net-a: relayed" in await deliver(node, create(coop_id, doc))
    [from_a] = sent(engine, "Announce")
    assert from_a.document["object"] == ident
    assert "@net-b: relayed" in await deliver(node, from_a.document)
    from_b = sent(engine, "Announce")[-1]
    assert from_b.document["actor"] == b_id
    # never back to where it came from, nor to its author
    assert audience(engine, from_b.ap_id)["exclude"] == [coop_id, a_id]
    # and if it comes back all the same (a longer cycle), it stops there
    assert "already has" in await deliver(node, from_b.document)
    assert [(r.network_id, r.via) for r in items(engine)] == [(a.id, ""), (b.id, a_id)]
    assert len(sent(engine, "Announce")) == 2


async def test_update_and_delete_are_forwarded_as_they_arrived(
    node: NodeContext, engine: Engine, ussen: LocalActor
) -> None:
    ev = event(ORG)
    await deliver(node, create(ORG, ev))
    changed = ev | {"name": "Event 1 (new room)", "startTime": "2099-05-02T18:00:00-04:00"}
    update = activity("Update", ORG, changed, to=[PUBLIC])
    # Spacing no serialiser of ours would produce: forwarded exactly like this.
    raw = b'{ "type" : "Update",\n ' + orjson.dumps(update)[1:].replace(b'"type":"Update",', b"")
    assert orjson.loads(raw) == update
    result = await deliver(node, update, raw)
    assert result.startswith("network: @ussen: updated, forwarded")
    [row] = items(engine)
    assert row.document["name"] == "Event 1 (new room)"
    assert row.start_time is not None and row.start_time.astimezone(UTC).day == 2
    key = forward_key(node, ussen, str(update["id"]))
    with Session(engine) as session:
        stored = session.exec(select(OutboxActivity).where(OutboxActivity.ap_id == key)).one()
    assert stored.raw == raw.decode() and stored.public is False
    assert audience(engine, key)["exclude"] == [ORG]
    assert ussen.id is not None
    outgoing = OutgoingCache(engine, node.urls, 4)._load(key, ussen.id)
    assert outgoing is not None and outgoing.body == raw

    # Someone else cannot update it; a followers-only Update is filed but not forwarded.
    other = remote(engine, "https://else.example/actors/x")
    assert "network" not in await deliver(node, activity("Update", other, changed | {"name": "X"}))
    quiet = activity("Update", ORG, changed | {"name": "Quiet"}, to=[f"{ORG}/followers"])
    assert (await deliver(node, quiet)).startswith("network: @ussen: updated;")

    delete = activity("Delete", ORG, {"id": ev["id"], "type": "Tombstone"}, to=[PUBLIC])
    assert (await deliver(node, delete)).startswith("network: @ussen: removed, forwarded")
    assert items(engine) == []
    # Gone for good: a late copy is not filed again.
    ripn = remote(engine, "https://ripn.example/actors/ripn", "Group")
    admitted(engine, ussen, ripn, kind="network")
    assert "already has" in await deliver(node, activity("Announce", ripn, ev["id"]))
    assert [a.type for a in sent(engine) if a.ap_id.startswith(f"{BASE}/actors/ussen#")] == [
        "Update",
        "Delete",
    ]


async def test_pages_and_collections_of_a_network(
    node: NodeContext, engine: Engine, ussen: LocalActor, client: TestClient
) -> None:
    online = event(ORG, 2, location={"type": "VirtualLocation", "url": "https://meet.example/x"},
                   tag=[], category="LEARNING", name="Online school",
                   startTime="2099-05-03T10:00:00Z", endTime="2099-05-03T12:00:00Z")  # fmt: skip
    for obj in (event(ORG), online):
        await deliver(node, create(ORG, obj))
    calendar = client.get("/networks/ussen/calendar")
    assert calendar.status_code == 200
    assert "Event 1" in calendar.text and "Online school" in calendar.text
    assert "Coop.Example" not in calendar.text  # credit goes to the member by name
    assert "Riverside" in calendar.text
    filtered = client.get("/networks/ussen/calendar?region=massachusetts&tag=coops")
    assert "Event 1" in filtered.text and "Online school" not in filtered.text
    assert "Event 1" not in client.get("/networks/ussen/calendar?online=yes").text
    month = client.get("/networks/ussen/calendar?month=2099-05")
    assert "<table" in month.text and "Event 1" in month.text and "May 2099" in month.text
    assert "Event 1" in client.get("/networks/ussen").text
    directory = client.get("/networks/ussen/members")
    assert "Riverside" in directory.text
    assert "Riverside" not in client.get("/networks/ussen/members?region=Oregon").text

    events = client.get("/actors/ussen/events", headers=AP).json()
    # no totalItems: counting a big network's upcoming events would walk them all
    assert events["type"] == "OrderedCollection" and "totalItems" not in events
    first = client.get(events["first"], headers=AP).json()
    assert [e["name"] for e in first["orderedItems"]] == ["Event 1", "Online school"]
    assert (
        client.get("/actors/ussen/events", follow_redirects=False)
        .headers["location"]
        .endswith("/networks/ussen/calendar")
    )
    assert client.get("/networks/nobody/calendar").status_code == 404
