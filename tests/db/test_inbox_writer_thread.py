"""The group commit is written off the event loop (node/federation/inbox/batch.py): on SQLite by
one writer thread, one batch at a time; on PostgreSQL in anyio's threads. Whatever the wait,
a POST is answered only once its own row has committed.

Ana's server sends a first burst; its commit is held back (another connection holds the first
row: on SQLite the write lock with it). While it waits, three more bursts arrive a few windows
apart and one of their senders hangs up. None is answered before its row is committed; on
SQLite the three bursts wait for the writer and go in ONE batch after the first; every row is
stored, the hung-up one too. Then the node shuts down with rows still waiting for their window:
they are written, and the writer thread ends."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from node.app import create_app
from node.db import is_sqlite, now_utc
from node.federation.context import NodeContext
from node.federation.inbox.batch import BATCH_WINDOW, WRITER_THREAD, InboxBatch, Row
from node.federation.inbox.receive import INSERT_ACTIVITY, store
from node.settings import Settings
from tests.db.inbox_support import ana_note, coop_and_ana, signed, stored

ACTOR = "https://mastodon.example/users/ana"


def _row(activity_id: str) -> Row:
    return Row(
        {
            "activity_id": activity_id,
            "type": "Like",
            "actor": ACTOR,
            "recipient": None,
            "raw": f'{{"id": "{activity_id}", "type": "Like"}}',
            "signer": ACTOR + "#main-key",
            "verified_by": "http-signature:cavage",
            "received_at": now_utc(),
            "result": "",
        },
        None,
    )


def _committed(engine: Engine, activity_id: str) -> bool:
    """Whether another connection sees the row (it is committed)."""
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM inbox_activity WHERE activity_id = :id")
        return bool(conn.execute(query, {"id": activity_id}).scalar_one())


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(WRITER_THREAD)]


def test_posts_that_arrive_during_a_commit_are_answered_after_their_own(
    settings: Settings, engine: Engine
) -> None:
    node = NodeContext.build(settings, engine)
    first = [_row(f"{ACTOR}/likes/first-{i}") for i in range(3)]
    later = [[_row(f"{ACTOR}/likes/later-{g}-{i}") for i in range(3)] for g in range(3)]
    answered_uncommitted: list[str] = []

    def check_committed(row: Row) -> Any:
        def check(task: asyncio.Task[bool]) -> None:
            activity_id = row.values["activity_id"]
            if not task.cancelled() and not _committed(engine, activity_id):
                answered_uncommitted.append(activity_id)

        return check

    async def story() -> list[Any]:
        batch = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))
        holder = engine.connect()
        if is_sqlite(engine):
            holder = holder.execution_options(sqlite_immediate=True)
        held = holder.begin()
        holder.execute(INSERT_ACTIVITY, first[0].values)  # uncommitted: the batch waits on it
        try:
            tasks = []
            for row in first:
                tasks.append(asyncio.create_task(batch.store(row)))
                tasks[-1].add_done_callback(check_committed(row))
            while not batch.writes:  # the first burst is in its write, held back
                await asyncio.sleep(BATCH_WINDOW)
            for group in later:
                for row in group:
                    tasks.append(asyncio.create_task(batch.store(row)))
                    tasks[-1].add_done_callback(check_committed(row))
                await asyncio.sleep(0)  # each has handed its row over
                if group is later[-1]:
                    tasks[-2].cancel()  # its sender hangs up: its row stays in its batch
                await asyncio.sleep(BATCH_WINDOW * 3)
            assert not any(task.done() for task in tasks[:3])
            if is_sqlite(engine):  # one writer: nothing after it could commit either
                assert sum(task.done() for task in tasks) == 1  # the hung-up one
        finally:
            held.rollback()
            holder.close()
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        await batch.close()
        return answers

    answers = asyncio.run(story())
    assert answers[:10] == [True] * 10 and answers[11] is True
    assert isinstance(answers[10], asyncio.CancelledError)
    assert answered_uncommitted == []
    ids, jobs = stored(engine)
    assert (ids, jobs) == (12, 12)  # the hung-up sender's row too
    with engine.connect() as conn:
        # a batch's jobs share its time: how many transactions wrote the twelve rows
        batches = conn.execute(text("SELECT count(DISTINCT created_at) FROM job")).scalar_one()
    # SQLite: the held batch, then everything that arrived meanwhile as one; PostgreSQL writes
    # each burst in its own thread, beside the held one
    assert batches == (2 if is_sqlite(engine) else 4)
    assert _writer_threads() == []


def test_closing_writes_the_rows_still_waiting_and_ends_the_writer(
    settings: Settings, engine: Engine
) -> None:
    node = NodeContext.build(settings, engine)
    rows = [_row(f"{ACTOR}/likes/closing-{i}") for i in range(5)]

    async def story() -> list[bool]:
        batch = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))
        # one burst written, then five rows within their window when the node shuts down
        assert await batch.store(_row(f"{ACTOR}/likes/before")) is True
        if is_sqlite(engine):
            assert len(_writer_threads()) == 1
        tasks = [asyncio.create_task(batch.store(row)) for row in rows]
        await asyncio.sleep(0)  # each has handed its row over
        assert batch.pending and not any(task.done() for task in tasks)
        await batch.close()
        assert stored(engine) == (6, 6)  # written before close returned
        refused = None
        try:
            await batch.store(_row(f"{ACTOR}/likes/after"))
        except RuntimeError as exc:
            refused = exc
        assert refused is not None
        return await asyncio.gather(*tasks)

    assert asyncio.run(story()) == [True] * 5
    assert _writer_threads() == []


def test_the_app_closes_its_batch_when_it_shuts_down(settings: Settings, engine: Engine) -> None:
    ana = coop_and_ana(engine, settings)
    app = create_app(settings, engine=engine)
    path = "/actors/coop/inbox"
    with TestClient(app, base_url=settings.base_url) as client:
        for n in range(3):
            body = ana_note(n)
            answer = client.post(path, content=body, headers=signed(path, body, ana))
            assert answer.status_code == 202
        assert app.state.node.inbox_batch is not None
        assert len(_writer_threads()) == (1 if is_sqlite(engine) else 0)
    assert app.state.node.inbox_batch is None
    assert _writer_threads() == []
    assert stored(engine) == (3, 3)
