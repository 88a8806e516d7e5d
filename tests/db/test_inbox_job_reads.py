"""What an inbox job asks the database, on SQLite and PostgreSQL: a stranger's Note costs the
row, the question "which of our networks take this sender's posts", and the result written
with the job; nothing is asked about an object that lives elsewhere; the Create's plan is read
where the row is, with no session of its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from node.federation.context import NodeContext
from node.federation.inbox.process import register as register_inbox
from node.federation.worker import Registry, Worker
from node.settings import Settings
from node.wiring import dispatcher
from tests.db.inbox_support import ANA, ana_note, coop_and_ana, deliver, process


@contextmanager
def recorded(engine: Engine) -> Iterator[tuple[list[str], list[int]]]:
    """The statements run inside the block (whitespace folded), and the pool checkouts."""
    statements: list[str] = []
    checkouts: list[int] = []

    def on_execute(*args: Any) -> None:
        statement = args[2]
        statements.append(" ".join(statement.split()))

    def on_checkout(*args: Any) -> None:
        checkouts.append(1)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield statements, checkouts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine.pool, "checkout", on_checkout)


def about_content(statements: list[str]) -> list[str]:
    """The statements that are not the job queue's own bookkeeping nor transaction control."""
    return [
        s
        for s in statements
        if " job" not in s and not s.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"))
    ]


def run_the_job(node: NodeContext) -> int:
    """Run the waiting inbox jobs as the worker does (one at a time)."""
    registry = Registry()
    register_inbox(registry, dispatcher())
    return asyncio.run(Worker(node, registry, concurrency=1, batch=1).drain())


def test_a_strangers_note_costs_its_row_one_question_and_its_result(
    settings: Settings, engine: Engine
) -> None:
    ana = coop_and_ana(engine, settings)
    node = NodeContext.build(settings, engine)
    outcome = asyncio.run(deliver(node, ana_note(1), ana))
    assert outcome.status == 202
    node.inbox_swept_at = time.monotonic()  # the hourly sweep of old bodies is not this story
    with recorded(engine) as (statements, checkouts):
        assert run_the_job(node) == 1
    results = asyncio.run(process(node))  # nothing left to run: what the job wrote
    assert results == {f"{ANA}/statuses/1/activity": "stored: not addressed to our content"}
    content = about_content(statements)
    assert content[0].startswith(
        "SELECT raw, activity_id, type, actor, recipient FROM inbox_activity"
    )
    assert content[1].startswith("SELECT network_id, 'member' FROM membership")
    assert content[2].startswith("UPDATE inbox_activity SET processed_at")
    assert len(content) == 3, json.dumps(content, indent=1)
    # the object is Ana's: none of our items, follows or joins is looked up
    assert not [s for s in statements if "FROM relay WHERE follow_id" in s]
    # the row and the plan in one session: the claim, the load, the record (and the last,
    # empty claim of the drain); no session of its own for the plan
    assert len(checkouts) == 4


def a_like(n: int, object_id: str) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ANA}/likes/{n}",
        "type": "Like",
        "actor": ANA,
        "object": object_id,
    }


def test_only_an_object_on_our_base_url_is_looked_up_among_ours(
    settings: Settings, engine: Engine
) -> None:
    ana = coop_and_ana(engine, settings)
    node = NodeContext.build(settings, engine)
    asked = []
    for n, liked in enumerate([f"{settings.base_url}/items/gone", "https://elsewhere.example/n/1"]):
        assert asyncio.run(deliver(node, a_like(n, liked), ana)).status == 202
        with recorded(engine) as (statements, _):
            asyncio.run(process(node))
        asked.append(any("FROM relay WHERE follow_id" in s for s in statements))
    assert asked == [True, False]
