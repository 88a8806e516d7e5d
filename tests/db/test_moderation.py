"""Moderation stories on SQLite and PostgreSQL: blocked servers and actors are refused before
any signature work, limited ones wait for an admin, the allow-list mode admits only what is
listed, reports come in and go out as Flags, shared blocklists are imported, and every
decision lands in the moderation log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.app import create_app
from node.cli import main
from node.db import session_scope
from node.features.moderation import actions
from node.features.moderation.blocklist import (
    BlocklistError,
    import_blocklist,
    parse_mastodon_csv,
    read_blocklist,
)
from node.features.moderation.reports import send_report
from node.features.publishing.notes import publish_note
from node.federation.actors.local import create_actor, ensure_instance_actor
from node.federation.context import NodeContext
from node.federation.policy import domain_severity, federates_with, is_blocked_domain
from node.federation.remote.actors import RemoteActorError, fetch_object
from node.models import (
    DomainBlock,
    Follower,
    Interaction,
    ModerationLog,
    OutboxActivity,
)
from node.settings import Settings
from tests.db.inbox_support import (
    AP,
    PUBLIC,
    cache_actor,
    deliver,
    make_sender,
    origin_server,
    process,
    signed,
    stored,
)

ADMIN = "cli:test-admin"
FOLLOW = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "type": "Follow",
    "object": "http://127.0.0.1:8000/actors/coop",
}


def follow_from(actor: str) -> dict[str, Any]:
    return {**FOLLOW, "id": f"{actor}#follows/1", "actor": actor}


@pytest.fixture
def coop(engine: Engine) -> str:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Riverside Co-op")
    return "/actors/coop/inbox"


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    ctx = NodeContext.build(replace(settings, auto_approve_replies=True), engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


def log_entries(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(ModerationLog).order_by(col(ModerationLog.id))).all()
        return [(row.who, row.action, row.target) for row in rows]


# --- refusals at the inbox -----------------------------------------------------------------------


def test_a_rejected_server_gets_403_before_any_signature_work(
    client: TestClient, engine: Engine, coop: str
) -> None:
    actions.block_domain(engine, "spam.example", "reject", reason="spam wave", who=ADMIN)
    for actor in ("https://spam.example/users/x", "https://social.spam.example/users/y"):
        # unsigned: a 401 would mean the signature was looked at; 403 comes first
        r = client.post(coop, content=json.dumps(follow_from(actor)), headers={"Content-Type": AP})
        assert r.status_code == 403, r.text
        assert r.json()["reason"] == "blocked"
        assert "domain blocked" in r.json()["error"]
    assert stored(engine) == (0, 0)


def test_a_relay_on_a_rejected_server_is_refused_even_for_others_activities(
    client: TestClient, engine: Engine, coop: str
) -> None:
    actions.block_domain(engine, "bad-relay.example", "reject", who=ADMIN)
    relay = make_sender("https://bad-relay.example", "relay", key="bob")
    body = json.dumps(follow_from("https://fine.example/users/ana")).encode()
    r = client.post(coop, content=body, headers=signed(coop, body, relay))
    assert r.status_code == 403  # its key was never fetched: the host does not even exist
    assert "bad-relay.example" in r.json()["error"]


def test_a_blocked_actor_gets_403_and_loses_its_follow(
    client: TestClient, engine: Engine, coop: str
) -> None:
    troll = "https://mastodon.example/users/troll"
    with session_scope(engine) as session:
        session.add(Follower(actor_id=1, remote_id=troll, inbox=f"{troll}/inbox"))
    actions.block_actor(engine, troll, reason="harassment", who=ADMIN)
    r = client.post(coop, content=json.dumps(follow_from(troll)), headers={"Content-Type": AP})
    assert r.status_code == 403 and "actor blocked" in r.json()["error"]
    with Session(engine) as session:
        assert session.exec(select(Follower)).all() == []
    # a neighbour on the same server is not affected (unsigned, so 401: past the gate)
    r = client.post(
        coop,
        content=json.dumps(follow_from("https://mastodon.example/users/ana")),
        headers={"Content-Type": AP},
    )
    assert r.status_code == 401


def test_unblocking_lets_a_server_back(client: TestClient, engine: Engine, coop: str) -> None:
    actions.block_domain(engine, "spam.example", "reject", who=ADMIN)
    assert actions.unblock_domain(engine, "SPAM.example.", who=ADMIN, reason="cleaned up")
    body = json.dumps(follow_from("https://spam.example/users/x"))
    r = client.post(coop, content=body, headers={"Content-Type": AP})
    assert r.status_code == 401  # the signature is checked again
    assert log_entries(engine) == [
        (ADMIN, "block_domain", "spam.example"),
        (ADMIN, "unblock_domain", "spam.example"),
    ]


@pytest.fixture
def allowlist_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(replace(settings, federation_mode="allowlist"), engine=engine)
    with TestClient(app, base_url=settings.base_url) as tc:
        yield tc


def test_allowlist_mode_admits_only_listed_servers(
    allowlist_client: TestClient, engine: Engine, coop: str
) -> None:
    friend = "https://friends.example/users/ana"
    body = json.dumps(follow_from(friend))
    r = allowlist_client.post(coop, content=body, headers={"Content-Type": AP})
    assert r.status_code == 403 and "federates only" in r.json()["error"]
    actions.allow_domain(engine, "friends.example", who=ADMIN, reason="partner network")
    r = allowlist_client.post(coop, content=body, headers={"Content-Type": AP})
    assert r.status_code == 401  # through the gate; now the signature decides
    assert ("cli:test-admin", "allow_domain", "friends.example") in log_entries(engine)


async def test_blocked_servers_are_never_fetched(node: NodeContext, engine: Engine) -> None:
    actions.block_domain(engine, "spam.example", "reject", who=ADMIN)
    actions.block_domain(engine, "127.0.0.1:9", "reject", who=ADMIN)
    with pytest.raises(RemoteActorError) as caught:
        await fetch_object(node, "https://cdn.spam.example/notes/1")
    assert caught.value.reason == "blocked_domain" and caught.value.permanent
    with Session(engine) as session:  # the check for delivery takes a session or an engine
        assert is_blocked_domain(session, "spam.example")
        assert is_blocked_domain(engine, "a.b.spam.example")
        assert not is_blocked_domain(engine, "notspam.example")
    # a port singles out one server of a host
    assert not federates_with(node, "127.0.0.1:9") and federates_with(node, "127.0.0.1:10")
    assert federates_with(node, node.settings.host)


# --- limit: accepted but held back ---------------------------------------------------------------


async def test_a_limited_server_may_follow_and_reply_but_an_admin_decides(
    node: NodeContext, engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        item = publish_note(session, node, coop, "<p>Open day on Saturday.</p>")
    actions.block_domain(engine, "loud.example", "limit", reason="unmoderated", who=ADMIN)
    assert domain_severity(engine, "loud.example") == "limit"
    lea = make_sender("https://loud.example", "lea", key="bob")
    ana = make_sender("https://calm.example", "ana", key="bob")
    for sender in (lea, ana):
        cache_actor(engine, settings, sender.document)
        follow = {**FOLLOW, "id": f"{sender.actor_id}#follow", "actor": sender.actor_id}
        assert (await deliver(node, follow, sender, recipient="coop")).status == 202
        reply = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{sender.actor_id}/statuses/1/activity",
            "type": "Create",
            "actor": sender.actor_id,
            "to": [PUBLIC],
            "object": {
                "id": f"{sender.actor_id}/statuses/1",
                "type": "Note",
                "attributedTo": sender.actor_id,
                "inReplyTo": item.ap_id,
                "content": "<p>See you there!</p>",
                "to": [PUBLIC],
            },
        }
        assert (await deliver(node, reply, sender)).status == 202

    results = await process(node)

    assert results[f"{lea.actor_id}#follow"] == "pending approval"
    assert results[f"{ana.actor_id}#follow"] == "accepted"
    with Session(engine) as session:
        follows = {f.remote_id: f.state for f in session.exec(select(Follower))}
        replies = {i.actor: i.state for i in session.exec(select(Interaction))}
        accepts = session.exec(select(OutboxActivity).where(OutboxActivity.type == "Accept")).all()
    assert follows == {lea.actor_id: "pending", ana.actor_id: "accepted"}
    assert replies == {lea.actor_id: "pending", ana.actor_id: "approved"}  # auto-approve is on
    assert [a.document["object"]["actor"] for a in accepts] == [ana.actor_id]


# --- reports -------------------------------------------------------------------------------------


async def test_a_flag_from_another_server_opens_a_report(
    node: NodeContext, engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        item = publish_note(session, node, coop, "<p>Our prices.</p>")
    mastodon = make_sender("https://mastodon.example", "mastodon.example", key="bob")
    mastodon.document["type"] = "Application"
    cache_actor(engine, settings, mastodon.document)
    flag = {  # what Mastodon's ReportService sends: no `to`, plain-text content
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://mastodon.example/0a1b2c",
        "type": "Flag",
        "actor": mastodon.actor_id,
        "content": "Misleading price claims",
        "object": ["http://127.0.0.1:8000/actors/coop", item.ap_id],
    }
    unrelated: dict[str, Any] = {
        **flag,
        "id": "https://mastodon.example/3d4e5f",
        "object": ["https://elsewhere.example/users/x"],
    }
    assert (await deliver(node, flag, mastodon)).status == 202
    assert (await deliver(node, unrelated, mastodon)).status == 202

    results = await process(node)

    assert results[unrelated["id"]].startswith("ignored")
    [report] = actions.open_reports(engine)
    assert (report.reporter, report.target_actor) == (
        mastodon.actor_id,
        "http://127.0.0.1:8000/actors/coop",
    )
    assert report.target_objects == ["http://127.0.0.1:8000/actors/coop", item.ap_id]
    assert report.content == "Misleading price claims"
    assert log_entries(engine) == [
        (mastodon.actor_id, "report_received", "http://127.0.0.1:8000/actors/coop")
    ]
    actions.resolve_report(engine, report.id or 0, who=ADMIN, reason="prices corrected")
    assert actions.open_reports(engine) == []


async def test_our_report_goes_out_as_a_flag_from_the_instance_actor(
    node: NodeContext, engine: Engine
) -> None:
    with origin_server() as origin:
        spammer = make_sender(origin.origin, "spammer")
        origin.serve(spammer.document)
        note = f"{spammer.actor_id}/statuses/9"

        flag_id = await send_report(node, spammer.actor_id, "Spam links", [note], who=ADMIN)

    with Session(engine) as session:
        sent = session.exec(select(OutboxActivity).where(OutboxActivity.ap_id == flag_id)).one()
    assert sent.type == "Flag" and sent.public is False
    assert sent.document["actor"] == "http://127.0.0.1:8000/actor"
    assert sent.document["object"] == [spammer.actor_id, note]
    assert sent.document["content"] == "Spam links"
    assert log_entries(engine) == [(ADMIN, "report_sent", spammer.actor_id)]
    # nothing is sent to a server we refuse
    actions.block_domain(engine, origin.origin, "reject", who=ADMIN)
    with pytest.raises(actions.ModerationError, match="blocked"):
        await send_report(node, spammer.actor_id, "again", who=ADMIN)


# --- shared blocklists ---------------------------------------------------------------------------

MASTODON_EXPORT = """#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
spam.example,suspend,true,true,Spam factory,false
loud.example,silence,false,false,,false
harmless.example,noop,false,false,,false
exa*ple.com,suspend,false,false,obfuscated,true
manual.example,suspend,false,false,,false
"""


def test_parse_mastodon_export() -> None:
    parsed = parse_mastodon_csv("\ufeff" + MASTODON_EXPORT)
    assert [(e.domain, e.severity, e.reason) for e in parsed.entries] == [
        ("spam.example", "reject", "Spam factory"),
        ("loud.example", "limit", ""),
        ("manual.example", "reject", ""),
    ]
    assert [line for line, _ in parsed.skipped] == [5]


def test_blocklist_import_is_a_subscription_that_never_overrides_admins(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        session.add(Follower(actor_id=coop.id or 0, remote_id="https://spam.example/users/s"))
        session.add(Follower(actor_id=coop.id or 0, remote_id="https://fine.example/users/f"))
    actions.block_domain(engine, "manual.example", "limit", reason="our call", who=ADMIN)
    source = "https://lists.example/blocklist.csv"

    first = import_blocklist(engine, parse_mastodon_csv(MASTODON_EXPORT).entries, source, who=ADMIN)

    assert (first.added, first.kept, first.severed_followers) == (
        ["spam.example", "loud.example"],
        ["manual.example"],
        1,
    )
    with Session(engine) as session:
        blocks = {b.domain: (b.severity, b.source) for b in session.exec(select(DomainBlock))}
        followers = [f.remote_id for f in session.exec(select(Follower))]
    assert blocks == {
        "manual.example": ("limit", "manual"),
        "spam.example": ("reject", source),
        "loud.example": ("limit", source),
    }
    assert followers == ["https://fine.example/users/f"]

    # the list drops loud.example: re-importing unblocks it, and only it
    shorter = MASTODON_EXPORT.replace("loud.example,silence,false,false,,false\n", "")
    second = import_blocklist(engine, parse_mastodon_csv(shorter).entries, source, who=ADMIN)
    assert (second.removed, second.unchanged) == (["loud.example"], 1)
    assert domain_severity(engine, "loud.example") is None
    assert domain_severity(engine, "manual.example") == "limit"
    actions_logged = [a for _, a, _ in log_entries(engine)]
    assert actions_logged.count("blocklist_import") == 2
    assert actions_logged.count("unblock_domain") == 1


async def test_blocklists_are_fetched_through_the_guarded_client(node: NodeContext) -> None:
    with origin_server() as origin:
        origin.files["/blocklist.csv"] = ("text/csv", MASTODON_EXPORT.encode())
        text, source = await read_blocklist(node, f"{origin.origin}/blocklist.csv")
    assert source == f"{origin.origin}/blocklist.csv" and "spam.example" in text
    # 127.0.0.2 is loopback but not in SOLNODE_ALLOW_HOSTS: the SSRF guard refuses it
    with pytest.raises(BlocklistError, match="non-public address"):
        await read_blocklist(node, "http://127.0.0.2:9/blocklist.csv")


# --- the commands --------------------------------------------------------------------------------


def test_moderation_commands(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
) -> None:
    for name, value in {
        "BASE_URL": settings.base_url,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "SECRET_KEY": "test-secret",
    }.items():
        monkeypatch.setenv(f"SOLNODE_{name}", value)
    csv_file = tmp_path / "blocks.csv"
    csv_file.write_text(MASTODON_EXPORT)

    assert main(["block", "domain", "Spam.Example", "--reason", "spam wave"]) == 0
    assert main(["block", "domain", "loud.example", "--severity", "limit"]) == 0
    assert main(["block", "actor", "https://mastodon.example/users/troll"]) == 0
    assert main(["blocklist", "import", str(csv_file)]) == 0
    assert main(["reports"]) == 0
    assert main(["reports", "--resolve", "99"]) == 1  # there is no report 99
    assert main(["unblock", "domain", "spam.example"]) == 0
    assert main(["unblock", "domain", "never-blocked.example"]) == 1
    assert main(["block", "domain", "not a domain"]) == 1

    out, err = capsys.readouterr()
    assert "spam.example blocked (reject" in out
    assert "loud.example blocked (limit" in out
    assert "1 added" in out and "2 already blocked otherwise" in out  # manual.example is new
    assert "No open reports." in out
    assert "never-blocked.example is not blocked" in err
    assert "is not a domain name" in err
    assert "no report 99" in err
    logged = log_entries(engine)
    assert {who for who, _, _ in logged} == {f"cli:{__import__('getpass').getuser()}"}
    assert [a for _, a, _ in logged][:3] == ["block_domain", "block_domain", "block_actor"]
