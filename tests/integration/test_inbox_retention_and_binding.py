"""Inbox and fetch side of the second trust-and-safety pass (issue 15: items 7, 10, 19, 20),
over real HTTP: a real `solnode serve` process (SQLite, authorized fetch on) and a loopback
"remote server" whose actors sign with keys the test holds.

* 19: a delivery signed for another server, replayed here with that server's ``Host``, is 401.
* 10: under authorized fetch, a blocked actor's or a blocked server's signed GET is 403.
* 7: an activity of a type nothing handles keeps its id only; processed bodies expire after
  ``SOLNODE_INBOX_RETENTION_DAYS``; replays stay duplicates either way.
* 20: a Reject of our Join (or relay Follow) followed by an unsolicited Accept changes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from node.activitypub.signatures.cavage import sign_cavage
from node.activitypub.signatures.rfc9421 import sign_rfc9421
from node.settings import load_settings
from tests.harness.nodes import NodeProcess, wait_until
from tests.harness.ports import free_port
from tests.integration.loopback_support import (
    AP,
    LoopThread,
    RemoteActorKeys,
    RemoteOrigin,
    db_engine,
)

pytestmark = pytest.mark.integration
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Setup:
    node: NodeProcess
    engine: Engine
    origin: RemoteOrigin
    blocked_origin: RemoteOrigin
    alice: RemoteActorKeys
    mallory: RemoteActorKeys
    net: RemoteActorKeys
    evil: RemoteActorKeys
    item: str
    join_id: str
    relay_follow_id: str
    http: httpx.Client


@pytest.fixture(scope="module")
def s(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from node import migrations
    from node.db import session_scope
    from node.features.publishing.notes import publish_note
    from node.federation.actors.local import create_actor, ensure_instance_actor
    from node.federation.context import NodeContext
    from node.models import ActorBlock, DomainBlock
    from node.models.networks import OutgoingMembership, Relay
    from node.settings import ensure_secret

    tmp: Path = tmp_path_factory.mktemp("second-pass")
    node = NodeProcess(
        port=free_port(),
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'node.db'}",
        log_dir=tmp / "logs",
        extra_env={"SOLNODE_AUTHORIZED_FETCH": "true"},
    )
    lt = LoopThread()
    origin, blocked_origin = RemoteOrigin(), RemoteOrigin()
    lt.run(origin.start())
    lt.run(blocked_origin.start())
    alice, mallory = origin.add_actor("alice"), origin.add_actor("mallory")
    net = origin.add_actor("net", type="Group")
    evil = blocked_origin.add_actor("evil")
    settings = ensure_secret(load_settings(env=node.env()))
    engine = db_engine(node.database_url)
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        item = publish_note(session, NodeContext.build(settings, engine), coop, "<p>Flour</p>")
        join_id = f"{node.base_url}/activities/{uuid.uuid4().hex}"
        follow_id = f"{node.base_url}/activities/{uuid.uuid4().hex}"
        assert coop.id is not None
        session.add(OutgoingMembership(actor_id=coop.id, network=net.actor_id, join_id=join_id))
        session.add(
            Relay(
                url=f"{origin.origin}/inbox",
                style="mastodon",
                inbox=f"{origin.origin}/inbox",
                follow_id=follow_id,
                state="pending",
            )
        )
        session.add(ActorBlock(actor=mallory.actor_id, reason="test"))
        session.add(DomainBlock(domain=f"127.0.0.1:{blocked_origin.port}", severity="reject"))
        item_id = item.ap_id
    http = httpx.Client(trust_env=False, timeout=30)
    try:
        node.start()
        yield Setup(
            node,
            engine,
            origin,
            blocked_origin,
            alice,
            mallory,
            net,
            evil,
            item_id,
            join_id,
            follow_id,
            http,
        )
    finally:
        http.close()
        node.stop()
        lt.run(origin.stop())
        lt.run(blocked_origin.stop())
        lt.close()
        engine.dispose()


def _post(s: Setup, sender: RemoteActorKeys, doc: dict[str, Any], **host: str) -> httpx.Response:
    """POST ``doc`` to our shared inbox, signed for ``signed_for`` (default: our inbox URL)."""
    body = orjson.dumps(doc)
    url = f"{s.node.base_url}/inbox"
    headers = sender.sign(host.get("signed_for", url), body)
    return s.http.post(url, content=body, headers=headers)


def _activity(sender: RemoteActorKeys, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.actor_id}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": sender.actor_id,
        "object": obj,
        **extra,
    }


def _row(s: Setup, activity_id: str) -> tuple[Any, ...] | None:
    with s.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT length(raw), processed_at, result FROM inbox_activity WHERE activity_id = :a"
            ),
            {"a": activity_id},
        ).first()
    return None if row is None else tuple(row)


def _processed(s: Setup, activity_id: str) -> tuple[Any, ...]:
    found: tuple[Any, ...] = wait_until(
        lambda: (row := _row(s, activity_id)) is not None and row[1] is not None and row,
        what=f"{activity_id} processed",
    )
    return found


# --- 19: the signed host must be ours ----------------------------------------------------------


def _sign(spec: str, sender: RemoteActorKeys, url: str, body: bytes) -> dict[str, str]:
    if spec == "cavage":
        return sender.sign(url, body)
    return sign_rfc9421(
        "POST",
        url,
        {"Content-Type": AP},
        body,
        key_id=sender.key_id,
        private_key=sender.private_pem,
        now=time.time(),
    )


@pytest.mark.parametrize("spec", ["cavage", "rfc9421"])
def test_a_delivery_signed_for_another_server_is_refused_when_replayed_here(
    s: Setup, spec: str
) -> None:
    # alice sends a followers-only reply to another server; that server replays it to us with
    # the Host it was signed for (the signature covers Host, so it still "verifies" there).
    other = f"127.0.0.2:{free_port()}"
    reply = _activity(
        s.alice,
        "Create",
        {
            "id": f"{s.alice.actor_id}/notes/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": s.alice.actor_id,
            "inReplyTo": s.item,
            "content": "for my followers only",
            "to": [f"{s.alice.actor_id}/followers"],
        },
        to=[f"{s.alice.actor_id}/followers"],
    )
    body = orjson.dumps(reply)
    headers = _sign(spec, s.alice, f"http://{other}/inbox", body)
    assert headers["Host"] == other
    answer = s.http.post(f"{s.node.base_url}/inbox", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert _row(s, reply["id"]) is None
    # the same activity signed for us is accepted
    url = f"{s.node.base_url}/inbox"
    accepted = s.http.post(url, content=body, headers=_sign(spec, s.alice, url, body))
    assert accepted.status_code == 202, accepted.text


# --- 10: authorized fetch applies the inbox's blocks --------------------------------------------


def _signed_get(s: Setup, signer: RemoteActorKeys, url: str) -> httpx.Response:
    headers = sign_cavage(
        "GET",
        url,
        {"Accept": AP},
        None,
        key_id=signer.key_id,
        private_key=signer.private_pem,
        now=time.time(),
    )
    return s.http.get(url, headers=headers)


def test_authorized_fetch_refuses_blocked_actors_and_servers(s: Setup) -> None:
    assert s.http.get(s.item, headers={"Accept": AP}).status_code == 401  # unsigned
    assert _signed_get(s, s.alice, s.item).status_code == 200
    blocked_actor = _signed_get(s, s.mallory, s.item)
    assert blocked_actor.status_code == 403, blocked_actor.text
    blocked_server = _signed_get(s, s.evil, s.item)
    assert blocked_server.status_code == 403, blocked_server.text


# --- 20: only a pending request settles on Accept ------------------------------------------------


def _membership_state(s: Setup) -> str:
    with s.engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT state FROM outgoing_membership WHERE join_id = :j"), {"j": s.join_id}
            ).scalar_one()
        )


def _relay_state(s: Setup) -> str:
    with s.engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT state FROM relay WHERE follow_id = :f"), {"f": s.relay_follow_id}
            ).scalar_one()
        )


def test_an_unsolicited_accept_after_a_reject_does_not_make_us_a_member(s: Setup) -> None:
    reject = _activity(s.net, "Reject", s.join_id)
    assert _post(s, s.net, reject).status_code == 202
    _processed(s, reject["id"])
    assert _membership_state(s) == "rejected"
    accept = _activity(s.net, "Accept", s.join_id)
    assert _post(s, s.net, accept).status_code == 202
    _processed(s, accept["id"])
    assert _membership_state(s) == "rejected"


def test_an_unsolicited_accept_after_a_reject_does_not_subscribe_a_relay(s: Setup) -> None:
    relay = s.alice  # any actor on the relay inbox's server answers for a Mastodon-style relay
    reject = _activity(relay, "Reject", s.relay_follow_id)
    assert _post(s, relay, reject).status_code == 202
    _processed(s, reject["id"])
    assert _relay_state(s) == "rejected"
    accept = _activity(relay, "Accept", s.relay_follow_id)
    assert _post(s, relay, accept).status_code == 202
    _processed(s, accept["id"])
    assert _relay_state(s) == "rejected"


# --- 7: retention --------------------------------------------------------------------------------


def test_an_activity_of_a_type_nothing_handles_keeps_only_its_id(s: Setup) -> None:
    # ~950 kB of a made-up type, within the inbox bounds
    bulky = _activity(s.alice, "Bogus", s.item, blob=["x" * 190_000] * 5)
    answer = _post(s, s.alice, bulky)
    assert answer.status_code == 202, answer.text
    size, _, result = _processed(s, bulky["id"])
    assert size == 0, f"the body of an unhandled {bulky['type']} is kept ({size} bytes)"
    assert "no handler" in result
    # the id stays, so a replay is still a duplicate
    assert _post(s, s.alice, bulky).json() == {"status": "duplicate"}


def test_processed_bodies_expire_after_the_retention_period(s: Setup) -> None:
    like = _activity(s.alice, "Like", s.item)
    assert _post(s, s.alice, like).status_code == 202
    size, _, _ = _processed(s, like["id"])
    assert size > 0  # a handled activity keeps its body while it is fresh
    # 31 days later (the default is 30): the next process's first inbox job trims it
    s.node.stop()
    old = (datetime.now(UTC) - timedelta(days=31)).replace(tzinfo=None)
    with Session(s.engine) as session:
        session.execute(
            text("UPDATE inbox_activity SET processed_at = :t WHERE activity_id = :a"),
            {"t": old.strftime("%Y-%m-%d %H:%M:%S.%f"), "a": like["id"]},
        )
        session.commit()
    s.node.start()
    fresh = _activity(s.alice, "Like", s.item)
    assert _post(s, s.alice, fresh).status_code == 202
    _processed(s, fresh["id"])
    wait_until(lambda: (_row(s, like["id"]) or (1,))[0] == 0, what="the old body blanked")
    row = _row(s, fresh["id"])
    assert row is not None and row[0] > 0
    assert _post(s, s.alice, like).json() == {"status": "duplicate"}
