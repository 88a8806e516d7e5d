"""The network commands of solnode, run in-process against the test database: membership,
curation (rules, hide, block, log) and relays. Remote actors come from the cache. (Plain
tests: each command runs its own event loop, as it does from a shell.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from node.federation.context import NodeContext
from node.models import NetworkItem, OutgoingMembership
from node.settings import Settings
from tests.db.cli_support import command_environment, run
from tests.db.network_support import (
    PUBLIC,
    activity,
    admitted,
    deliver,
    event,
    follower,
    local,
    remote,
    sent,
)

ORG = "https://coop.example/actors/riverside"


@pytest.fixture
def node(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> NodeContext:
    command_environment(monkeypatch, settings)
    monkeypatch.setenv("SOLNODE_ALLOW_HOSTS", "127.0.0.1")
    return NodeContext.build(settings, engine)


def test_curation_commands(
    node: NodeContext, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, net, ORG)
    follower(engine, net, "https://mastodon.example/users/ana")
    ev = event(ORG)
    asyncio.run(deliver(node, activity("Create", ORG, ev, to=[PUBLIC])))

    status, out = run(capsys, "members", "ussen")
    assert status == 0, out
    assert out.split() == ["admitted", "organization", ORG]
    status, out = run(
        capsys, "network", "rules", "ussen", "--kinds", "event,news", "--tags", "#Coops"
    )
    assert status == 0
    assert "kinds: event, news" in out and "tags: coops" in out and "regions: (all)" in out
    status, out = run(capsys, "network", "rules", "ussen", "--kinds", "podcast")
    assert status == 1 and "podcast" in out

    status, out = run(capsys, "network", "hide", "ussen", str(ev["id"]), "--reason", "duplicate")
    assert status == 0 and "hidden" in out
    with Session(engine) as session:
        assert session.exec(select(NetworkItem.state)).one() == "hidden"
    assert [u.document["object"]["type"] for u in sent(engine, "Undo")] == ["Announce"]

    status, out = run(capsys, "network", "block", "ussen", "Spam.Example")
    assert status == 0 and "blocks spam.example" in out
    status, out = run(capsys, "network", "block", "ussen", "spam.example", "--undo")
    assert status == 0 and "no longer blocks" in out

    status, out = run(capsys, "network", "log", "ussen", "--items")
    assert status == 0
    actions = [line.split()[3] for line in out.splitlines() if "network_" in line]
    assert actions == [
        "network_unblock_domain",
        "network_block_domain",
        "network_hide",
        "network_rules",
    ]
    assert f"hidden   event  {ev['id']}  duplicate" in out

    # Errors are one line and a non-zero status.
    status, out = run(capsys, "admit", "ussen", "https://nobody.example/actors/x")
    assert status == 1 and out.startswith("solnode: error: @ussen has no member or request")
    status, out = run(capsys, "members", "nobody")
    assert status == 1


def test_membership_and_relay_commands(
    node: NodeContext, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    local(engine, "riverside")
    ripess = remote(engine, "https://ripess.example/actors/ripess", kind="Group")
    status, out = run(capsys, "join", "riverside", ripess)
    assert status == 0 and "(state: requested)" in out
    status, out = run(capsys, "memberships", "riverside")
    assert out.split() == ["requested", ripess]
    status, out = run(capsys, "leave", "riverside", ripess)
    assert status == 0
    with Session(engine) as session:
        assert session.exec(select(OutgoingMembership.state)).one() == "ended"
    assert [a.type for a in sent(engine)] == ["Join", "Leave"]
    status, out = run(capsys, "members", "riverside")
    assert status == 1 and "not a network" in out

    assert run(capsys, "relay", "list") == (0, "(no relays)\n")
    status, out = run(capsys, "relay", "add", "https://relay.example/inbox")
    assert status == 0 and "(mastodon): pending" in out
    status, out = run(capsys, "relay", "list")
    assert out.startswith("pending   mastodon  https://relay.example/inbox")
    assert run(capsys, "relay", "remove", "https://relay.example/inbox")[0] == 0
    assert run(capsys, "relay", "list") == (0, "(no relays)\n")
