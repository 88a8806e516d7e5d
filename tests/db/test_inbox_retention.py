"""Inbox retention on both dialects: processed bodies older than SOLNODE_INBOX_RETENTION_DAYS
are blanked, fresh and unprocessed ones are kept, and the ids stay (a replay is a duplicate).
The same over real HTTP: tests/integration/test_inbox_retention_and_binding.py."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from node.db import now_utc, session_scope
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.inbox import process
from node.federation.inbox.receive import store
from node.models import InboxActivity
from node.settings import Settings


def _row(activity_id: str) -> dict[str, object]:
    return {
        "activity_id": activity_id,
        "type": "Like",
        "actor": "http://127.0.0.1:9/users/a",
        "recipient": None,
        "raw": '{"type": "Like"}',
        "signer": "http://127.0.0.1:9/users/a#main-key",
        "verified_by": "http-signature:cavage",
        "received_at": now_utc(),
        "result": "",
    }


def test_processed_bodies_expire_and_ids_stay(settings: Settings, engine: Engine) -> None:
    node = NodeContext.build(dataclasses.replace(settings, inbox_retention_days=30), engine)
    for name in ("old", "fresh", "unprocessed"):
        assert store(node, _row(f"http://127.0.0.1:9/{name}"))
    with session_scope(engine) as session:
        for name, age in (("old", 31), ("fresh", 29)):
            ident = f"http://127.0.0.1:9/{name}"
            row = session.exec(
                select(InboxActivity).where(InboxActivity.activity_id == ident)
            ).one()
            row.processed_at = now_utc() - timedelta(days=age)
    assert process.expire_bodies(node) == 1
    with engine.connect() as conn:
        sizes: dict[str, int] = dict(
            conn.execute(text("SELECT activity_id, length(raw) FROM inbox_activity")).all()
        )
    assert sizes == {
        "http://127.0.0.1:9/old": 0,
        "http://127.0.0.1:9/fresh": 16,
        "http://127.0.0.1:9/unprocessed": 16,
    }
    assert not store(node, _row("http://127.0.0.1:9/old"))  # still a duplicate
    assert process.expire_bodies(node) == 0


def test_the_sweep_walks_the_table_in_short_steps_past_rows_it_keeps(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Seven activities in arrival order, expired ones after fresh and unprocessed ones: a walk
    two rows a step blanks the four old bodies, in two write transactions, and keeps the rest."""
    node = NodeContext.build(dataclasses.replace(settings, inbox_retention_days=30), engine)
    ages: dict[str, int | None] = {
        "a-old": 40, "b-fresh": 1, "c-old": 31, "d-unprocessed": None,
        "e-old": 90, "f-old": 365, "g-fresh": 29,
    }  # fmt: skip
    for name in ages:
        assert store(node, _row(f"http://127.0.0.1:9/{name}"))
    with session_scope(engine) as session:
        for name, age in ages.items():
            if age is not None:
                ident = f"http://127.0.0.1:9/{name}"
                row = session.exec(
                    select(InboxActivity).where(InboxActivity.activity_id == ident)
                ).one()
                row.processed_at = now_utc() - timedelta(days=age)
    with caplog.at_level(logging.INFO, logger=process.log.name):
        assert process.expire_bodies(node, chunk=2) == 4
    assert "blanked 4 bodies" in caplog.text and "(2 steps)" in caplog.text
    with engine.connect() as conn:
        sizes: dict[str, int] = dict(
            conn.execute(text("SELECT activity_id, length(raw) FROM inbox_activity")).all()
        )
    assert sizes == {
        f"http://127.0.0.1:9/{name}": 0 if (age or 0) > 30 else 16 for name, age in ages.items()
    }
    assert process.expire_bodies(node, chunk=2) == 0  # nothing left to blank, nothing written


def test_results_settled_together_are_each_rows_own(settings: Settings, engine: Engine) -> None:
    """Three inbox jobs end in one settle: a Like acted on, an unknown type (its body blanked)
    and a Follow. On PostgreSQL their results are one statement (FINISH_MANY), on SQLite one
    executemany; either way each row gets its own result, time and body."""
    node = NodeContext.build(settings, engine)
    names = ("like", "unknown", "follow")
    for name in names:
        assert store(node, _row(f"http://127.0.0.1:9/{name}"))
    claimed = jobs.claim(engine, "w1", limit=10, kinds=["inbox"])
    assert len(claimed) == 3
    by_row = {int(job.payload["inbox_id"]): job for job in claimed}
    with engine.connect() as conn:
        ids: dict[str, int] = dict(
            conn.execute(text("SELECT activity_id, id FROM inbox_activity")).all()
        )
    outcomes = {"like": ("liked item 4", True), "unknown": ("stored: no handler", False)}
    outcomes["follow"] = ("accepted the follow", True)
    records = [
        process.result_record(ids[f"http://127.0.0.1:9/{name}"], *outcomes[name]) for name in names
    ]
    assert {r.many for r in records} == {process.FINISH_MANY}
    jobs.settle(engine, "w1", done=list(by_row), records=records)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT activity_id, result, length(raw), processed_at FROM inbox_activity")
        ).all()
        states = set(conn.execute(text("SELECT state FROM job")).scalars())
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        "http://127.0.0.1:9/like": ("liked item 4", 16),
        "http://127.0.0.1:9/unknown": ("stored: no handler", 0),
        "http://127.0.0.1:9/follow": ("accepted the follow", 16),
    }
    assert all(r[3] is not None for r in rows) and states == {"done"}
