"""`solnode network reclean`: rows filed under older cleaning rules are filed again once, so
they are no longer cleaned on every read; safe, resumable, and it says how far it got."""

from __future__ import annotations

import os

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from node.cli import main
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
def node(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> NodeContext:
    for name in [n for n in os.environ if n.startswith("SOLNODE_")]:
        monkeypatch.delenv(name)  # the command reads its settings from these alone
    monkeypatch.setenv("SOLNODE_BASE_URL", settings.base_url)
    monkeypatch.setenv("SOLNODE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOLNODE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOLNODE_SECRET_KEY", "test-secret")
    return NodeContext.build(settings, engine)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


async def test_old_rows_are_filed_again_once_and_the_command_says_how_far_it_got(
    node: NodeContext, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
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
