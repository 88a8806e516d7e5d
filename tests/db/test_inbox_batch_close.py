"""A node that shuts down with inbox rows still waiting for their group commit writes them
(node/federation/inbox/batch.py, ``InboxBatch.close``, called by the app's lifespan), on SQLite
and PostgreSQL.

Ana's server has sent a burst; the rows wait for their window when the node is asked to stop,
and one of her connections has already hung up. Closing writes them all, the hung-up one too,
answers the others as new, and refuses anything after. Through the app: three POSTs answered
202, then the lifespan's end leaves no batch behind and every row stored."""

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
    assert app.state.node.inbox_batch is None
    assert stored(engine) == (3, 3)
