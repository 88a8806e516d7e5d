"""Migration 0019 (network_item.clean_rules): rows filed before it are cleaned when shown, rows
filed or updated after it carry the rules they were cleaned under, and `solnode network
reclean` files the old ones again once."""

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
from tests.db.cli_support import command_environment, run
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


async def test_old_rows_are_filed_again_once_and_the_command_says_how_far_it_got(
    node: NodeContext,
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`solnode network reclean` files rows under older rules again once, says how far it got,
    and leaves current rows alone."""
    command_environment(monkeypatch, settings)
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    for n in range(3):
        ev = event(ORG, name=f"Assembly {n}")
        assert "relayed" in await deliver(node, activity("Create", ORG, ev, to=[PUBLIC]))
    filed = items(engine, network)
    assert len(filed) == 3 and {r.clean_rules for r in filed} == {clean.RULES}

    # what a node before migration 0019 may have kept: two rows, hostile, under no rules
    with engine.begin() as conn:
        for row in filed[:2]:
            conn.execute(
                sa.text("UPDATE network_item SET document = :doc, clean_rules = 0 WHERE id = :id"),
                {"doc": orjson.dumps({**row.document, **HOSTILE}).decode(), "id": row.id},
            )

    status, out = run(capsys, "network", "reclean", "--batch", "1")
    assert status == 0, out
    assert "2 filed item(s) to bring under the current cleaning rules" in out
    assert "1 of 2" in out and "2 of 2" in out and "Done: 2 item(s) filed again" in out

    after = {r.id: r for r in items(engine, network)}
    for row in filed[:2]:
        again = after[row.id]
        assert again.clean_rules == clean.RULES
        assert again.document == clean.normalised(again.document)
        text = str(again.document)
        assert "javascript:" not in text and "onerror" not in text and "<script" not in text
        assert again.document["name"] == row.document["name"]
    assert after[filed[2].id].document == filed[2].document  # a current row is left as it was

    status, out = run(capsys, "network", "reclean")
    assert status == 0 and "already under the current cleaning rules" in out

    status, out = run(capsys, "network", "reclean", "--batch", "0")
    assert status != 0 and "--batch must be at least 1, got 0" in out
