"""Group commit of inbox rows (node/federation/inbox/batch.py), on both dialects: POSTs that
arrive together share one transaction, and each learns after COMMIT whether its row was new.

A burst of Likes from a busy server lands in one batch with a replayed activity among them and
a Create of a deleted note; then one broken row (its time is not a time) fails alone while the
rows it was batched with are stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, text

from node.db import now_utc, session_scope
from node.federation.context import NodeContext
from node.federation.inbox.batch import InboxBatch, Row, write_postgresql
from node.federation.inbox.receive import store
from node.models import Tombstone
from node.settings import Settings

ACTOR = "http://127.0.0.1:9/users/busy"


def _row(activity_id: str, kind: str = "Like", **changes: Any) -> dict[str, Any]:
    return {
        "activity_id": activity_id,
        "type": kind,
        "actor": ACTOR,
        "recipient": None,
        "raw": f'{{"id": "{activity_id}", "type": "{kind}"}}',
        "signer": ACTOR + "#main-key",
        "verified_by": "http-signature:cavage",
        "received_at": now_utc(),
        "result": "",
        **changes,
    }


@asynccontextmanager
async def _batch(node: NodeContext) -> AsyncIterator[InboxBatch]:
    """A process's batch, closed at the end as the app's lifespan does."""
    batch = InboxBatch(node.engine, lambda one: store(node, one.values, one.created_object))
    try:
        yield batch
    finally:
        await batch.close()


def _stored(engine: Engine) -> tuple[set[str], int]:
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT activity_id FROM inbox_activity")).scalars())
        jobs = conn.execute(text("SELECT count(*) FROM job WHERE kind = 'inbox'")).scalar_one()
    return ids, int(jobs)


def test_a_burst_shares_one_commit_and_duplicates_are_told(
    settings: Settings, engine: Engine
) -> None:
    node = NodeContext.build(settings, engine)
    deleted_note = f"{ACTOR}/notes/gone"
    with session_scope(engine) as session:
        session.add(Tombstone(ap_id=deleted_note, former_type="Note"))
    likes = [Row(_row(f"{ACTOR}/likes/{i}"), None) for i in range(20)]
    replay = Row(_row(f"{ACTOR}/likes/3"), None)
    recreate = Row(_row(f"{ACTOR}/creates/1", "Create"), deleted_note)

    async def burst() -> list[bool]:
        async with _batch(node) as batch:
            return await asyncio.gather(*(batch.store(r) for r in [*likes, replay, recreate]))

    answers = asyncio.run(burst())
    assert answers == [True] * 20 + [False, False]
    ids, jobs = _stored(engine)
    assert ids == {f"{ACTOR}/likes/{i}" for i in range(20)}
    assert jobs == 20  # one inbox job per new row, none for the replay or the re-created note
    # a later batch sees the committed rows: a replay is still a duplicate
    replayed = [Row(_row(f"{ACTOR}/likes/7"), None)]

    async def later() -> list[bool]:
        async with _batch(node) as batch:
            return await asyncio.gather(*(batch.store(r) for r in replayed))

    assert asyncio.run(later()) == [False]


def test_a_broken_row_fails_alone(settings: Settings, engine: Engine) -> None:
    node = NodeContext.build(settings, engine)
    good = [Row(_row(f"{ACTOR}/likes/good-{i}"), None) for i in range(3)]
    broken = Row(_row(f"{ACTOR}/likes/broken", received_at="not a time"), None)

    async def burst() -> list[bool | BaseException]:
        async with _batch(node) as batch:
            rows = [good[0], broken, good[1], good[2]]
            return await asyncio.gather(*(batch.store(r) for r in rows), return_exceptions=True)

    answers = asyncio.run(burst())
    assert answers[0] is True and answers[2] is True and answers[3] is True
    assert isinstance(answers[1], Exception)
    ids, jobs = _stored(engine)
    assert ids == {f"{ACTOR}/likes/good-{i}" for i in range(3)}
    assert jobs == 3


@pytest.mark.parametrize("size", [1, 300])
def test_batches_of_any_size(settings: Settings, engine: Engine, size: int) -> None:
    """One lone POST is written after the window; a flood larger than a batch is split."""
    node = NodeContext.build(settings, engine)

    async def burst() -> list[bool]:
        async with _batch(node) as batch:
            rows = [Row(_row(f"{ACTOR}/likes/{size}-{i}"), None) for i in range(size)]
            return await asyncio.gather(*(batch.store(r) for r in rows))

    assert asyncio.run(burst()) == [True] * size
    ids, jobs = _stored(engine)
    assert len(ids) == size and jobs == size


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresqls_batch_is_one_prepared_statement_whatever_its_size(
    settings: Settings, engine: Engine
) -> None:
    """write_postgresql: a replay within the batch, one from an earlier batch and a Create of
    a deleted note are told apart by one statement in autocommit, whose text does not change
    with the batch's size, so psycopg prepares it and the server stops planning it."""
    deleted_note = f"{ACTOR}/notes/gone-core"
    with session_scope(engine) as session:
        session.add(Tombstone(ap_id=deleted_note, former_type="Note"))
    assert write_postgresql(engine, [Row(_row(f"{ACTOR}/likes/core-0"), None)]) == [True]
    rows = [Row(_row(f"{ACTOR}/likes/core-{i}"), None) for i in range(40)]
    rows += [
        Row(_row(f"{ACTOR}/likes/core-5"), None),  # sent twice in this batch: the first is stored
        Row(_row(f"{ACTOR}/creates/core", "Create"), deleted_note),
        Row(_row(f"{ACTOR}/creates/core-new", "Create"), f"{ACTOR}/notes/new"),
        Row(_row(f"{ACTOR}/announces/core", "Announce", recipient="nec"), None),
    ]
    answers = write_postgresql(engine, rows)
    # core-0 came in the first batch; 39 others new, then the replay, the deleted note, new ones
    assert answers == [False] + [True] * 39 + [False, False, True, True]
    ids, jobs = _stored(engine)
    assert ids == {f"{ACTOR}/likes/core-{i}" for i in range(40)} | {
        f"{ACTOR}/creates/core-new",
        f"{ACTOR}/announces/core",
    }
    assert jobs == 42
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT a.recipient, a.received_at, j.payload, j.state, j.attempts"
                " FROM job j JOIN inbox_activity a ON j.dedupe_key = 'inbox:' || a.id"
                " WHERE a.activity_id = :ident"
            ),
            {"ident": f"{ACTOR}/announces/core"},
        ).one()
        (inbox_id,) = conn.execute(
            text("SELECT id FROM inbox_activity WHERE activity_id = :ident"),
            {"ident": f"{ACTOR}/announces/core"},
        ).one()
    assert stored.recipient == "nec" and stored.received_at.tzinfo is not None
    assert stored.payload == {"inbox_id": inbox_id}  # each job names its own row
    assert (stored.state, stored.attempts) == ("ready", 0)
    # a body goes in as JSON text and must come back byte for byte: quotes, backslashes, an
    # escaped NUL (text, not a NUL), a line break, accents and a character beyond the BMP
    body = '{"content": "Cooperativa \\"La Ceiba\\" \\\\ \\u0000 a\\nb - ñandú 🌱"}'
    odd = Row(_row(f"{ACTOR}/notes/odd", "Create", raw=body), f"{ACTOR}/notes/odd-object")
    assert write_postgresql(engine, [odd]) == [True]
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT raw FROM inbox_activity WHERE activity_id = :i"),
            {"i": f"{ACTOR}/notes/odd"},
        ).scalar_one()
    assert kept == body
    for size in range(1, 8):  # batches of other sizes: one text, prepared after five runs
        more = [Row(_row(f"{ACTOR}/likes/more-{size}-{i}"), None) for i in range(size)]
        assert write_postgresql(engine, more) == [True] * size
    raw = engine.raw_connection()  # the pool's one connection, which ran every batch above
    try:
        with raw.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            prepared = cur.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%json_to_recordset(%'"
            ).fetchone()
    finally:
        raw.close()
    assert prepared == (1,)
