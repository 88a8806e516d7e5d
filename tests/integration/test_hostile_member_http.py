"""A hostile member server against a real network node, over real HTTP on loopback (issue 15,
items 17 and 21): a neighbour account on the member's server cannot rewrite or delete the
member's filed event, and an admin's typed handle with `_` or `%` names nobody but its owner.

The member server is a loopback fixture (RemoteOrigin) that serves its actors' documents and
keys; every activity reaches the network's inbox as a signed POST to `solnode serve`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.harness.nodes import NodeFactory, NodeProcess, wait_until
from tests.integration.loopback_support import (
    AP,
    RemoteActorKeys,
    RemoteOrigin,
    loop_thread,
)

# Both tests on both databases: the author rule and the escaped ILIKE are SQL.
BOTH = pytest.mark.parametrize("node_factory", ["sqlite", "postgresql"], indirect=True)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS = "https://www.w3.org/ns/activitystreams"


def _rows(node: NodeProcess, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(node.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def _post(node: NodeProcess, inbox: str, sender: RemoteActorKeys, doc: dict[str, Any]) -> int:
    body = json.dumps(doc).encode()
    headers = {"Content-Type": AP, **sender.sign(inbox, body)}
    return httpx.post(inbox, content=body, headers=headers, timeout=15).status_code


def _activity(kind: str, actor: str, obj: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{actor}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": obj,
        "to": [PUBLIC],
    }


def _event(author: str) -> dict[str, Any]:
    host = "/".join(author.split("/")[:3])
    return {
        "id": f"{host}/events/{uuid.uuid4().hex[:8]}",
        "type": "Event",
        "attributedTo": author,
        "name": "Seed library opening",
        "content": "<p>Bring seeds to swap.</p>",
        "startTime": "2099-05-01T18:00:00-04:00",
        "endTime": "2099-05-01T20:00:00-04:00",
        "timezone": "America/New_York",
        "to": [PUBLIC],
    }


def _processed(node: NodeProcess, activity_id: str) -> bool:
    rows = _rows(
        node,
        "SELECT processed_at FROM inbox_activity WHERE activity_id = :id",
        id=activity_id,
    )
    return bool(rows) and rows[0][0] is not None


@BOTH
def test_a_neighbour_on_the_members_server_cannot_rewrite_or_delete_its_filed_event(
    node_factory: NodeFactory,
) -> None:
    node = node_factory()
    node.cli("network", "create", "ussen", "--name", "U.S. Solidarity Economy Network",
             "--auto-admit")  # fmt: skip
    node.start()
    network = node.actor_url("ussen")
    inbox = f"{network}/inbox"
    with loop_thread() as lt:
        server = RemoteOrigin()
        lt.run(server.start())
        try:
            member = server.add_actor("seedcoop", type="Organization")
            neighbour = server.add_actor("neighbour")
            server.documents["/users/seedcoop/outbox"] = {
                "id": f"{server.origin}/users/seedcoop/outbox",
                "type": "OrderedCollection",
                "orderedItems": [],
            }
            join = _activity("Join", member.actor_id, network)
            assert _post(node, inbox, member, join) == 202
            wait_until(
                lambda: _rows(node, "SELECT state FROM membership") == [("admitted",)],
                what="the auto-admitted membership",
            )
            event = _event(member.actor_id)
            assert _post(node, inbox, member, _activity("Create", member.actor_id, event)) == 202
            wait_until(
                lambda: _rows(node, "SELECT object_id FROM network_item") == [(event["id"],)],
                what="the member's event filed",
            )

            forged = {**event, "name": "Cancelled, go home", "attributedTo": neighbour.actor_id}
            update = _activity("Update", neighbour.actor_id, forged)
            delete = _activity("Delete", neighbour.actor_id, event["id"])
            for doc in (update, delete):
                assert _post(node, inbox, neighbour, doc) == 202
                activity_id = str(doc["id"])
                wait_until(lambda: _processed(node, activity_id), what=f"{doc['type']} processed")

            rows = _rows(node, "SELECT document FROM network_item")
            assert len(rows) == 1, "the neighbour's Delete removed the member's event"
            [(document,)] = rows
            stored = document if isinstance(document, dict) else json.loads(document)
            assert stored["name"] == "Seed library opening"
            # nothing the neighbour sent was passed on to the network's followers either
            time.sleep(0.5)
            assert not [b for _path, b in server.posted if b"Cancelled, go home" in b]

            # the author itself still can
            real = _activity("Update", member.actor_id, {**event, "name": "Seed library, day 2"})
            assert _post(node, inbox, member, real) == 202
            wait_until(
                lambda: "day 2" in str(_rows(node, "SELECT document FROM network_item")),
                what="the author's own update",
            )
        finally:
            lt.run(server.stop())


@BOTH
def test_an_admins_handle_with_underscore_or_percent_names_nobody_else(
    node_factory: NodeFactory,
) -> None:
    node = node_factory()
    node.cli("network", "create", "ussen", "--name", "USSEN", "--auto-admit")
    node.start()
    network = node.actor_url("ussen")
    with loop_thread() as lt:
        server = RemoteOrigin()
        lt.run(server.start())
        try:
            member = server.add_actor("seedcoop", type="Organization")
            server.documents["/users/seedcoop/outbox"] = {"type": "OrderedCollection",
                                                          "orderedItems": []}  # fmt: skip
            assert _post(node, f"{network}/inbox", member, _activity("Join", member.actor_id,
                                                                     network)) == 202  # fmt: skip
            wait_until(
                lambda: _rows(node, "SELECT state FROM membership") == [("admitted",)],
                what="the auto-admitted membership",
            )
            host = f"127.0.0.1:{server.port}"
            for typed in (f"seed_oop@{host}", f"%@{host}", f"seed%@{host}"):
                result = node.cli("remove", "ussen", typed, check=False)
                assert result.returncode != 0, (typed, result.stdout)
                assert _rows(node, "SELECT state FROM membership") == [("admitted",)], typed
            node.cli("remove", "ussen", f"seedcoop@{host}")
            assert _rows(node, "SELECT state FROM membership") == [("ended",)]
        finally:
            lt.run(server.stop())
