"""Migration 0019 (network_item.clean_rules): rows filed before it are cleaned when shown, rows
filed or updated after it carry the rules they were cleaned under."""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node import migrations
from node.features.networks import clean
from node.federation.context import NodeContext
from node.settings import Settings
from tests.db.network_support import (
    PUBLIC,
    activity,
    admitted,
    deliver,
    event,
    items,
    local,
    remote,
)

ORG = "https://riverside.example/actors/riverside"
HOSTILE = {
    "url": "javascript:alert(1)",
    "content": '<p>Hi<script>alert(2)</script><img src=x onerror="alert(3)"></p>',
}


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


async def test_rows_from_before_0019_are_cleaned_when_shown_and_an_update_marks_them(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    ev = event(ORG, name="Riverside assembly")
    assert "relayed" in await deliver(node, activity("Create", ORG, ev, to=[PUBLIC]))
    [filed] = items(engine, network)
    assert filed.clean_rules == clean.RULES

    config = migrations.alembic_config(engine)
    command.downgrade(config, "0018")
    # what a version before 0019 may have kept of a hostile document
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE network_item SET document = :doc WHERE id = :id"),
            {"doc": orjson.dumps({**filed.document, **HOSTILE}).decode(), "id": filed.id},
        )
    command.upgrade(config, "head")
    [old] = items(engine, network)
    assert old.clean_rules == 0 and old.document["url"] == HOSTILE["url"]

    for page in ("/@ussen/calendar.ics", "/@ussen/feed.json", "/@ussen/feed.rss"):
        answer = client.get(page)
        assert answer.status_code == 200 and "Riverside assembly" in answer.text, page
        body = answer.text.lower()
        assert "javascript:" not in body and "onerror" not in body and "script>" not in body

    # the member's next Update files the document again, cleaned, under the current rules
    changed = ev | {"name": "Riverside congress", **HOSTILE}
    await deliver(node, activity("Update", ORG, changed, to=[PUBLIC]))
    [updated] = items(engine, network)
    assert updated.clean_rules == clean.RULES
    assert updated.document["name"] == "Riverside congress"
    assert updated.document == clean.normalised(updated.document)
    assert "javascript:" not in str(updated.document) and "onerror" not in str(updated.document)
