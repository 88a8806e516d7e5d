"""Moving, told with real processes: our node and the independent Fedify peer.

Out: an organization followed by the peer's alice moves to the peer's bob. A move to an account
that does not name ours in ``alsoKnownAs`` is refused; once bob names it, ``solnode move``
sends a signed ``Move`` to every follower, and the organization's document and page say
``movedTo``.

In: our organization follows alice; alice moves to bob, who names alice in ``alsoKnownAs``; our
node unfollows alice and follows bob, as Mastodon does. ``solnode alias add`` names an old
account in our actor's ``alsoKnownAs`` (and tells followers with an actor Update).
"""

from __future__ import annotations

import httpx
import pytest

from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory, wait_until


@pytest.mark.peer
@pytest.mark.integration
def test_an_organization_moves_to_an_account_that_names_it_and_followers_get_move(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "nec", "--name", "New Economy Coalition")
    node.start()
    peer = fedify_peer_factory(["alice", "bob"])
    org = node.actor_url("nec")
    bob = peer.actor_id("bob")
    peer.follow(org, as_="alice")
    peer.wait_for_inbox("Accept", timeout=20)

    refused = node.cli("move", "nec", bob, check=False)
    assert refused.returncode == 1
    assert f"{bob} does not list {org} in its alsoKnownAs" in refused.stderr
    assert "movedTo" not in node.get_json(org)

    peer.also_known_as([org], as_="bob")
    moved = node.cli("move", "nec", bob)
    assert f"@nec moved to {bob}" in moved.stdout and "1 follower(s)" in moved.stdout

    [entry] = peer.wait_for_inbox("Move", timeout=30)
    move = entry["activity"]
    assert (move["actor"], move["object"], move["target"]) == (org, org, bob)
    assert entry["httpSignatureVerified"] is True and entry["signerKeyId"] == f"{org}#main-key"
    assert entry["fedify"]["activityVerified"] is True and entry["status"] == 202
    assert entry["recipient"] in (None, "alice")  # alice's inbox or the shared one

    document = node.get_json(org)
    assert document["movedTo"] == bob
    assert document["@context"][-1]["movedTo"] == {"@id": "as:movedTo", "@type": "@id"}
    page = httpx.get(f"{node.base_url}/@nec", timeout=10)
    assert "This account has moved to" in page.text and bob in page.text


@pytest.mark.peer
@pytest.mark.integration
def test_a_followed_account_that_moves_is_followed_where_it_went(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "nec", "--name", "New Economy Coalition")
    node.start()
    peer = fedify_peer_factory(["alice", "bob"])
    org = node.actor_url("nec")
    alice, bob = peer.actor_id("alice"), peer.actor_id("bob")

    node.cli("follow", "nec", alice)
    wait_until(
        lambda: org in {f["id"] for f in peer.followers(as_="alice")["followers"]},
        timeout=30,
        what="alice's follower list to have the organization",
    )
    peer.also_known_as([alice], as_="bob")
    peer.send({"type": "Move", "object": alice, "target": bob}, as_="alice", to_followers=True)

    wait_until(
        lambda: org in {f["id"] for f in peer.followers(as_="bob")["followers"]},
        timeout=30,
        what="bob's follower list to have the organization",
    )
    wait_until(
        lambda: org not in {f["id"] for f in peer.followers(as_="alice")["followers"]},
        timeout=30,
        what="alice's follower list to lose the organization",
    )
    # Our Follow of alice, then of bob (its log entry completes a moment after its effect).
    follows = [
        e
        for e in peer.wait_for_inbox("Follow", min=2, timeout=30)
        if e["activity"]["object"] == bob
    ]
    assert follows and follows[0]["httpSignatureVerified"] is True


@pytest.mark.peer
@pytest.mark.integration
def test_alias_add_names_the_old_account_so_its_followers_can_move_in(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "nec", "--name", "New Economy Coalition")
    node.start()
    peer = fedify_peer_factory(["alice"])
    org = node.actor_url("nec")
    alice = peer.actor_id("alice")
    peer.follow(org)
    peer.wait_for_inbox("Accept", timeout=20)

    added = node.cli("alias", "add", "nec", alice)
    assert f"@nec is also known as {alice}" in added.stdout
    assert node.get_json(org)["alsoKnownAs"] == [alice]
    assert node.cli("alias", "list", "nec").stdout.strip() == alice
    [update] = peer.wait_for_inbox("Update", timeout=30)
    assert update["activity"]["object"]["alsoKnownAs"] == [alice]
    assert update["httpSignatureVerified"] is True

    missing = node.cli("alias", "remove", "nec", "http://127.0.0.1:1/users/nobody", check=False)
    assert missing.returncode == 1 and "is not an alias of @nec" in missing.stderr
    node.cli("alias", "remove", "nec", alice)
    assert "alsoKnownAs" not in node.get_json(org)
