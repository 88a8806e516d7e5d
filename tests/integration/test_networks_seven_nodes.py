"""Networks of networks, told with seven real nodes and the Fedify peer.

Three organizations on two nodes; two regional networks, one national, one intercontinental,
each on its own node; a seventh node with an organization that belongs to nothing. The peer
follows the intercontinental network. Memberships are made with ``solnode join`` and
``solnode admit``; events are published through the JSON API. Then:

1. every event reaches the peer as ONE Announce by the intercontinental network, whose object
   is the original event id, and the peer can fetch the original from its organization;
2. an update and a delete travel to every level (the filed copies change and disappear);
3. a non-member's item is never re-announced, and a cycle of memberships (northeast ∈ ussen ∈
   ripess ∈ northeast) brings items round once and stops;
4. the national network's calendar lists the events of every organization below it.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from node.api.tokens import create_token
from node.db import make_engine, session_scope
from node.federation.actors.local import create_actor
from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import SOLNODE, NodeFactory, NodeProcess, wait_until
from tests.harness.procs import ManagedProcess

AP = {"Accept": "application/activity+json"}
TIMEOUT = 30


def rows(node: NodeProcess, sql: str, **params: object) -> list[tuple[Any, ...]]:
    engine = create_engine(node.database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def setup_actors(node: NodeProcess, *specs: tuple[str, str, bool]) -> dict[str, str]:
    """Create (slug, kind, auto_admit) actors in the node's database, each with an API token.
    (Set-up only: the steps under test go through the CLI and the API.)"""
    from node.settings import load_settings

    settings = load_settings(
        env={},
        base_url=node.base_url,
        database_url=node.database_url,
        data_dir=str(node.data_dir),
        secret_key="x",
    )
    engine = make_engine(settings)
    tokens = {}
    try:
        with session_scope(engine) as session:
            for slug, kind, auto_admit in specs:
                create_actor(session, slug, kind=kind, name=slug.title(), auto_admit=auto_admit)
                tokens[slug] = create_token(session, slug)
    finally:
        engine.dispose()
    return tokens


def start_all(nodes: list[NodeProcess]) -> None:
    """Start every node, then wait for each: they boot in parallel."""
    for node in nodes:
        node.proc = ManagedProcess(
            [SOLNODE, "serve", "--port", str(node.port)],
            env=node.env(),
            inherit_env=False,
            name=f"node-{node.port}",
            log_dir=node.log_dir,
        )
        node.proc.start()
    for node in nodes:
        assert node.proc is not None
        node.proc.wait_for_http(f"{node.base_url}/.well-known/nodeinfo", timeout=60)


def parallel(*calls: Any) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def state(node: NodeProcess, network: str) -> dict[str, str]:
    """member -> state of a network's memberships."""
    return dict(
        rows(
            node,
            "SELECT m.member, m.state FROM membership m JOIN local_actor a ON a.id = m.network_id"
            " WHERE a.slug = :slug",
            slug=network,
        )
    )


def following_accepted(node: NodeProcess, slug: str) -> set[str]:
    found = rows(
        node,
        "SELECT f.target_id FROM following f JOIN local_actor a ON a.id = f.actor_id"
        " WHERE a.slug = :slug AND f.state = 'accepted'",
        slug=slug,
    )
    return {str(r[0]) for r in found}


def filed(node: NodeProcess) -> dict[str, tuple[str, str, str]]:
    """object id -> (state, via, name) of the node's network items."""
    found = rows(node, "SELECT object_id, state, via, document FROM network_item")
    return {str(o): (s, v, json.loads(d).get("name", "")) for o, s, v, d in found}


def announced(node: NodeProcess) -> Counter[str]:
    return Counter(
        str(r[0])
        for r in rows(node, "SELECT object_id FROM outbox_activity WHERE type = 'Announce'")
    )


def idle(nodes: list[NodeProcess]) -> bool:
    # Jobs the story does not wait for are left out: an event's feedback follow-up is due at its
    # end (days ahead), and the followers snapshot once a day.
    sql = (
        "SELECT COUNT(*) FROM job WHERE state = 'ready' "
        "AND kind NOT IN ('feedback-followup', 'followers-snapshot')"
    )
    return all(rows(n, sql)[0][0] == 0 for n in nodes)


def event(name: str, days: int, region: str) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    return {
        "name": name,
        "content": f"{name}: all welcome.",
        "startTime": start.strftime("%Y-%m-%dT%H:%M:%S"),
        "endTime": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
        "timezone": "UTC",
        "location": {
            "name": "Hall",
            "address": {"addressLocality": "Town", "addressRegion": region, "addressCountry": "US"},
        },
        "category": "MEETING",
        "tags": ["SolidarityEconomy"],
    }


def publish(node: NodeProcess, token: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(
        f"{node.base_url}/api/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def api(node: NodeProcess, token: str, method: str, path: str, body: Any = None) -> Any:
    answer = httpx.request(
        method,
        f"{node.base_url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


@pytest.mark.peer
@pytest.mark.integration
def test_events_travel_up_four_levels_once_and_updates_and_deletes_follow(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    nodes = parallel(*[node_factory for _ in range(7)])
    orgs1, orgs2, northeast, midwest, national, inter, outside = nodes
    org = ("organization", False)
    tokens = setup_actors(orgs1, ("riverside", *org), ("harbor", *org))
    tokens |= setup_actors(orgs2, ("prairie", *org))
    tokens |= setup_actors(outside, ("outsider", *org))
    tokens |= setup_actors(northeast, ("northeast", "network", True))
    tokens |= setup_actors(midwest, ("midwest", "network", False))  # admits by hand
    tokens |= setup_actors(national, ("ussen", "network", True))
    tokens |= setup_actors(inter, ("ripess", "network", False))  # admits by hand
    with ThreadPoolExecutor(1) as pool:
        starting_peer = pool.submit(fedify_peer_factory, ["alice"])
        start_all(nodes)
        peer = starting_peer.result()

    # Organizations ask with `solnode join` (by handle or URL), networks through the API.
    ne = northeast.handle("northeast")
    parallel(
        lambda: orgs1.cli("join", "riverside", ne),
        lambda: orgs1.cli("join", "harbor", northeast.actor_url("northeast")),
        lambda: orgs2.cli("join", "prairie", midwest.handle("midwest")),
        # a source northeast follows without membership: its events are only shown
        lambda: northeast.cli("follow", "northeast", outside.handle("outsider")),
        lambda: api(
            northeast,
            tokens["northeast"],
            "POST",
            "/network/join",
            {"network": national.handle("ussen")},
        ),
        lambda: api(
            midwest,
            tokens["midwest"],
            "POST",
            "/network/join",
            {"network": national.actor_url("ussen")},
        ),
        lambda: api(
            national, tokens["ussen"], "POST", "/network/join", {"network": inter.handle("ripess")}
        ),
        # the cycle: ripess also belongs to one of the networks below it
        lambda: api(inter, tokens["ripess"], "POST", "/network/join", {"network": ne}),
    )
    prairie, ussen_id = orgs2.actor_url("prairie"), national.actor_url("ussen")
    wait_until(lambda: state(midwest, "midwest").get(prairie) == "requested", what="a request")
    wait_until(lambda: state(inter, "ripess").get(ussen_id) == "requested", what="a request")
    parallel(
        lambda: midwest.cli("admit", "midwest", orgs2.handle("prairie")),
        lambda: api(
            inter, tokens["ripess"], "POST", "/network/members/admit", {"member": ussen_id}
        ),
    )
    riverside, harbor, ripess = (
        orgs1.actor_url("riverside"),
        orgs1.actor_url("harbor"),
        inter.actor_url("ripess"),
    )
    members = [
        (northeast, "northeast", {riverside, harbor, ripess}),
        (midwest, "midwest", {prairie}),
        (national, "ussen", {northeast.actor_url("northeast"), midwest.actor_url("midwest")}),
        (inter, "ripess", {ussen_id}),
    ]
    for node, slug, expected in members:

        def follows_members(n: NodeProcess = node, s: str = slug, e: set[str] = expected) -> bool:
            return following_accepted(n, s) >= e

        wait_until(
            follows_members,
            timeout=TIMEOUT,
            what=f"{slug} to follow its members",
        )
        assert state(node, slug) == dict.fromkeys(expected, "admitted")
    outsider = outside.actor_url("outsider")
    wait_until(lambda: outsider in following_accepted(northeast, "northeast"), what="follow")
    # Both sides publish the membership.
    assert northeast.get_json(northeast.actor_url("northeast") + "/memberships", page=1)[
        "orderedItems"
    ] == [ussen_id]
    assert national.get_json(ussen_id + "/members", page=1)["totalItems"] == 2

    peer.follow(ripess)
    peer.wait_for_inbox("Accept", timeout=TIMEOUT)

    published = {
        "riverside": publish(orgs1, tokens["riverside"], event("Riverside assembly", 20, "Maine")),
        "harbor": publish(orgs1, tokens["harbor"], event("Harbor repair café", 21, "Maine")),
        "prairie": publish(orgs2, tokens["prairie"], event("Prairie seed swap", 22, "Iowa")),
    }
    ids = {slug: p["id"] for slug, p in published.items()}
    stray = publish(outside, tokens["outsider"], event("Outsider open day", 23, "Ohio"))["id"]

    # (1) Each event reaches the peer as an Announce by ripess of the original id, once.
    peer.wait_for_inbox("Announce", min=3, timeout=TIMEOUT)
    wait_until(lambda: stray in filed(northeast), what="the followed source's event")
    wait_until(lambda: idle(nodes), timeout=TIMEOUT, what="every queue to drain")
    announces = peer.inbox("Announce")
    assert {a["actor"] for a in announces} == {ripess}
    assert Counter(a["activity"]["object"] for a in announces) == Counter(ids.values())
    original = peer.lookup(ids["riverside"])
    assert original["found"] is True and original["raw"]["id"] == ids["riverside"]
    assert original["raw"]["attributedTo"] == riverside

    # (3) The non-member's event is filed where it is followed, and announced nowhere.
    assert filed(northeast)[stray][0] == "followed"
    assert all(stray not in announced(n) for n in nodes)
    assert stray not in filed(national) and stray not in filed(inter)
    # The cycle: prairie's event came round to northeast through ripess, once, and stopped.
    assert filed(northeast)[ids["prairie"]][1] == ripess
    for node in (northeast, national, inter):
        assert announced(node) == Counter(ids.values()), node.base_url
    assert announced(midwest) == Counter([ids["prairie"]])

    # (4) The national calendar lists every organization's event.
    page = httpx.get(f"{national.base_url}/networks/ussen/calendar", timeout=10).text
    for name in ("Riverside assembly", "Harbor repair café", "Prairie seed swap"):
        assert name in page
    upcoming = national.get_json(ussen_id + "/events", page=1)
    assert {e["id"] for e in upcoming["orderedItems"]} == set(ids.values())

    # (2) An update and a delete travel to every level.
    api(
        orgs1,
        tokens["riverside"],
        "PATCH",
        published["riverside"]["api"].split("/api/v1")[1],
        {"name": "Riverside assembly (moved)"},
    )
    api(orgs1, tokens["harbor"], "DELETE", published["harbor"]["api"].split("/api/v1")[1])
    for node in (northeast, national, inter):

        def updated(n: NodeProcess = node) -> bool:
            return filed(n)[ids["riverside"]][2] == "Riverside assembly (moved)"

        def deleted(n: NodeProcess = node) -> bool:
            return ids["harbor"] not in filed(n)

        wait_until(updated, timeout=TIMEOUT, what=f"the update at {node.base_url}")
        wait_until(
            deleted,
            timeout=TIMEOUT,
            what=f"the delete at {node.base_url}",
        )
    wait_until(lambda: idle(nodes), timeout=TIMEOUT, what="every queue to drain")
    assert len(peer.inbox("Announce")) == 3  # still exactly once each
    # Above the first level the author's Update arrived forwarded: believed for its signatures.
    for node, forwarder in ((national, northeast), (inter, national)):
        [(signer, verified_by)] = rows(
            node, "SELECT signer, verified_by FROM inbox_activity WHERE type = 'Update'"
        )
        assert signer.startswith(forwarder.base_url)
        assert verified_by in ("integrity-proof", "ld-signature")
    listing = midwest.cli("members", "midwest").stdout.split()
    assert listing == ["admitted", "organization", prairie]
