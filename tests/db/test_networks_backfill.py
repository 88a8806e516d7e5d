"""A network that admits a member files the member's recent public posts at once."""

from __future__ import annotations

from sqlalchemy import Engine

from node.db import session_scope
from node.features.networks.backfill import backfill
from node.features.publishing.notes import publish_note
from node.federation.context import NodeContext
from node.settings import Settings
from tests.db.network_support import BASE, items, local, sent


async def test_new_member_posts_appear_in_the_network_and_are_announced_once(
    settings: Settings, engine: Engine
) -> None:
    node = NodeContext.build(settings, engine)
    network = local(engine, "ussen", "network", auto_admit=True)
    coop = local(engine, "coop")
    with session_scope(engine) as session:
        first = publish_note(session, node, coop, "<p>Seed library opens</p>")
        second = publish_note(session, node, coop, "<p>Repair café on Sunday</p>")
    member = f"{BASE}/actors/coop"

    assert await backfill(node, network, member) == 2
    assert {row.object_id for row in items(engine, network)} == {first.ap_id, second.ap_id}
    announced = {a.document["object"] for a in sent(engine, "Announce")}
    assert announced == {first.ap_id, second.ap_id}
    # admitted again later (or twice): nothing is filed or announced twice
    assert await backfill(node, network, member) == 0
    assert len(sent(engine, "Announce")) == 2
