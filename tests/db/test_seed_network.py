"""The reads benchmark seeds a million items straight into the tables (bench/seed_network.py);
its figures mean something only if those rows are the rows filing writes. Here a small seeded
network is compared, column by column, with the same arrivals filed by the real code path
(``filing.file_item``) into a second network with the same members and rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bench.seed_network import generate, seed
from node.features.networks.filing import Arrival, file_item
from node.federation.context import NodeContext
from node.models import LocalActor, Membership, NetworkItem, OutboxActivity
from node.settings import Settings
from tests.db.network_support import admitted, local

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
MEMBERS, ITEMS = 7, 60
# What differs by nature between two networks filing the same object.
PER_NETWORK = {"id", "network_id", "announce_id", "received_at", "updated_at"}


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def _rows(engine: Engine, network_id: int) -> dict[str, dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(select(NetworkItem).where(NetworkItem.network_id == network_id))
        return {r.object_id: r.model_dump() for r in rows}


def test_seeded_rows_are_what_filing_writes(engine: Engine, node: NodeContext) -> None:
    seeded = seed(engine, node.urls, "ussen", MEMBERS, ITEMS, seed=3, now=NOW)
    assert seeded.id is not None
    check = local(engine, "check", "network")
    assert check.id is not None
    for i in range(MEMBERS):
        admitted(engine, check, f"https://coop{i}.example/actors/member-{i}")
    arrivals = list(generate(MEMBERS, ITEMS, seed=3, now=NOW))
    for arrival in arrivals:
        doc = arrival.document
        file_item(node, Arrival(check.id, doc, arrival.author, "", "member"))

    ours, theirs = _rows(engine, seeded.id), _rows(engine, check.id)
    assert len(ours) == ITEMS and ours.keys() == theirs.keys()
    for object_id, row in ours.items():
        filed = theirs[object_id]
        assert {k: v for k, v in row.items() if k not in PER_NETWORK} == {
            k: v for k, v in filed.items() if k not in PER_NETWORK
        }, object_id
        assert bool(row["announce_id"]) == bool(filed["announce_id"])
    kinds = {row["kind"] for row in ours.values()}
    assert kinds == {"event", "call", "news"}
    # some events lie ahead of NOW, some are over; some have no place and take the author's
    events = [r for r in ours.values() if r["kind"] == "event"]
    assert any(r["start_time"] > NOW.replace(tzinfo=None) for r in _naive(events))
    assert any(r["end_time"] < NOW.replace(tzinfo=None) for r in _naive(events))
    # the Announce send() stored for each relayed item, and the outbox count it keeps
    ours_out, theirs_out = _announces(engine, seeded.id), _announces(engine, check.id)
    assert ours_out.keys() == theirs_out.keys() == {k for k, r in ours.items() if r["announce_id"]}
    for object_id, (doc, public, count) in ours_out.items():
        other, other_public, other_count = theirs_out[object_id]
        assert public is other_public is True and count == other_count == len(ours_out)
        assert _shape(doc, "ussen") == _shape(other, "check")
    # arrivals in publication order, as the seeded received times say
    received = [a.received_at for a in arrivals]
    assert received == sorted(received)


def _announces(engine: Engine, network_id: int) -> dict[str, tuple[dict[str, Any], bool, int]]:
    with Session(engine) as session:
        actor = session.get(LocalActor, network_id)
        assert actor is not None
        rows = session.exec(select(OutboxActivity).where(OutboxActivity.actor_id == network_id))
        return {r.object_id: (r.document, r.public, actor.outbox_count) for r in rows}


def _shape(doc: dict[str, Any], slug: str) -> dict[str, Any]:
    """An Announce without what is unique to it (its id, its time), its network named X."""
    kept = {k: v for k, v in doc.items() if k not in ("id", "published")}
    renamed = orjson.dumps(kept).replace(f"/actors/{slug}".encode(), b"/actors/X")
    return dict(orjson.loads(renamed))


def _naive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "start_time": r["start_time"].replace(tzinfo=None),
            "end_time": r["end_time"].replace(tzinfo=None),
        }
        for r in rows
    ]


def test_seeded_members_are_admitted_with_their_profile(engine: Engine, node: NodeContext) -> None:
    network = seed(engine, node.urls, "ussen", MEMBERS, 0, now=NOW)
    with Session(engine) as session:
        admitted_count = session.exec(
            select(func.count())
            .select_from(Membership)
            .where(Membership.network_id == network.id, col(Membership.state) == "admitted")
        ).one()
    assert admitted_count == MEMBERS
