"""A node that shuts down with inbox rows still waiting for their group commit writes them
(node/federation/inbox/batch.py, ``InboxBatch.close``, called by the app's lifespan), on SQLite
and PostgreSQL.

Ana's server has sent a burst; the rows wait for their window when the node is asked to stop,
and one of her connections has already hung up. Closing writes them all, the hung-up one too,
answers the others as new, and refuses anything after. Through the app: rows waiting when the
lifespan ends are written by it, and a POST that arrives after is answered 503."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.app import create_app
from node.db import now_utc
from node.federation.context import NodeContext
from node.federation.inbox.batch import InboxBatch, Row
from node.federation.inbox.receive import store
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


def test_closing_writes_the_rows_still_waiting(settings: Settings, engine: Engine) -> None:
    node = NodeContext.build(settings, engine)
    rows = [_row(f"{ACTOR}/likes/closing-{i}") for i in range(5)]

    async def story() -> list[bool | BaseException]:
        batch = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))
        assert await batch.store(_row(f"{ACTOR}/likes/before")) is True
        # five rows within their window when the node is asked to stop
        tasks = [asyncio.create_task(batch.store(row)) for row in rows]
        await asyncio.sleep(0)  # each has handed its row over
        tasks[2].cancel()  # that sender hung up: its row stays in the batch
        assert len(batch.pending) == 5 and stored(engine) == (1, 1)
        await batch.close()
        assert stored(engine) == (6, 6)  # written before close returned
        refused = None
        try:
            await batch.store(_row(f"{ACTOR}/likes/after"))
        except RuntimeError as exc:
            refused = exc
        assert refused is not None
        return await asyncio.gather(*tasks, return_exceptions=True)

    answers = asyncio.run(story())
    assert answers[:2] == [True, True] and answers[3:] == [True, True]
    assert isinstance(answers[2], asyncio.CancelledError)
    assert stored(engine) == (6, 6)


def test_the_app_writes_the_rows_waiting_when_it_shuts_down_and_refuses_later_ones(
    settings: Settings, engine: Engine
) -> None:
    """Rows still in their window when the app's lifespan ends (their senders hung up: uvicorn
    ends the lifespan once its connections are done) are written by the shutdown itself; a
    POST that still reaches the app is answered 503 with Retry-After, nothing stored; a
    restarted app takes POSTs again."""
    ana = coop_and_ana(engine, settings)
    app = create_app(settings, engine=engine)
    node = app.state.node
    path = "/actors/coop/inbox"

    async def shut_down_with_rows_waiting() -> tuple[int, int]:
        async with app.router.lifespan_context(app):
            batch = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))
            node.inbox_batch = batch
            rows = [_row(f"{ACTOR}/likes/shutdown-{i}") for i in range(3)]
            senders = [asyncio.create_task(batch.store(row)) for row in rows]
            await asyncio.sleep(0)  # each has handed its row over, within its window
            for sender in senders:
                sender.cancel()  # and hung up
            assert len(batch.pending) == 3 and stored(engine) == (0, 0)
        return stored(engine)  # read before the loop runs again: no window timer has fired

    assert asyncio.run(shut_down_with_rows_waiting()) == (3, 3)
    assert node.inbox_batch is not None and node.inbox_batch.closed

    with TestClient(app, base_url=settings.base_url) as client:
        # a POST reaching a batch that a shutdown has closed: refused, nothing half-stored
        closing = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))
        asyncio.run(closing.close())
        node.inbox_batch = closing
        body = ana_note(0)
        late = client.post(path, content=body, headers=signed(path, body, ana))
        assert late.status_code == 503 and late.headers["Retry-After"] == "30"
        assert late.json()["reason"] == "shutting_down"
        assert "send the activity again" in late.json()["error"]
        assert stored(engine) == (3, 3)
        node.inbox_batch = None  # the next start's fresh batch
        again = client.post(path, content=body, headers=signed(path, body, ana))
        assert again.status_code == 202
    assert stored(engine) == (4, 4)
