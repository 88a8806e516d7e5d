"""An admin-typed handle is matched literally: ``_`` and ``%`` are no wildcards (issue 15, 21)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from node.features.networks import membership
from node.federation.context import NodeContext
from node.settings import Settings
from tests.db.network_support import BASE, activity, deliver, local, remote

ORG = "https://coop.example/actors/riverXside"


async def test_underscore_and_percent_in_a_handle_are_letters(
    settings: Settings, engine: Engine
) -> None:
    node = NodeContext.build(settings, engine)
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    assert (await deliver(node, activity("Join", ORG, f"{BASE}/actors/ussen"))).startswith(
        "network: requested"
    )
    with Session(engine) as session:
        assert membership._by_handle(session, node, net, "@riverxside@coop.example") == ORG
        for typed in ("@river_side@coop.example", "@%@coop.example", "@river%@coop.example"):
            assert membership._by_handle(session, node, net, typed) is None, typed
