"""Inbox jobs claimed together are loaded together (one thread hop, one read-only session for
their rows, targets and the networks' plans), on SQLite and PostgreSQL: a mixed batch ends
exactly as the same activities processed one at a time, a job that cannot be read fails and
retries alone, and a batch of strangers' notes asks the database the same few questions
whatever its size, plus one result a job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select

from node.db import session_scope
from node.features.publishing.notes import publish_note
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Incoming
from node.federation.inbox.process import prepare_batch
from node.federation.inbox.process import register as register_inbox
from node.federation.job_leases import claim
from node.federation.worker import Registry, Worker
from node.models import LocalActor
from node.settings import Settings
from node.wiring import dispatcher
from tests.db.inbox_support import (
    ANA,
    PUBLIC,
    ana_note,
    cache_actor,
    coop_and_ana,
    deliver,
    make_sender,
)
from tests.db.network_support import admitted, event, local
from tests.db.test_inbox_job_reads import about_content, recorded

BASE = "http://127.0.0.1:8000"


def run_jobs(node: NodeContext, *, together: bool) -> int:
    """Run the waiting inbox jobs: all claimed at once (batch 64, 32 at a time), or one by one."""
    registry = Registry()
    register_inbox(registry, dispatcher())
    worker = Worker(node, registry, concurrency=32 if together else 1, batch=64 if together else 1)
    node.inbox_swept_at = time.monotonic()  # the hourly sweep of old bodies is not this story
    return asyncio.run(worker.drain())


def a_morning_of_mail(settings: Settings, engine: Engine) -> tuple[NodeContext, str]:
    """What arrives at the co-op and its network one morning, stored and not yet processed:
    Ana's notes (a stranger to the network), her Follow of the co-op and her Like of its note,
    her post addressed to the network, a member's event, and one row whose body was cut short.
    Returns the node and the id of the broken activity."""
    ana = coop_and_ana(engine, settings)
    bea = make_sender("https://bea.example", "bea")
    cache_actor(engine, settings, bea.document)
    network = local(engine, "ussen", kind="network")
    admitted(engine, network, bea.actor_id)
    node = NodeContext.build(settings, engine)
    with session_scope(engine) as session:
        coop = session.exec(select(LocalActor).where(LocalActor.slug == "coop")).one()
        ours = publish_note(session, node, coop, "<p>Bread on Friday</p>").ap_id
    coop_id = f"{BASE}/actors/coop"
    arriving: list[tuple[Any, Any, str | None]] = [
        (ana_note(1), ana, None),
        (ana_note(2), ana, None),
        (
            {"id": f"{ANA}/follows/1", "type": "Follow", "actor": ANA, "object": coop_id},
            ana,
            "coop",
        ),
        ({"id": f"{ANA}/likes/1", "type": "Like", "actor": ANA, "object": ours}, ana, None),
        (
            {
                "id": f"{ANA}/statuses/3/activity",
                "type": "Create",
                "actor": ANA,
                "to": [PUBLIC, f"{BASE}/actors/ussen"],
                "object": {
                    "id": f"{ANA}/statuses/3",
                    "type": "Note",
                    "attributedTo": ANA,
                    "content": "<p>To the network</p>",
                    "to": [PUBLIC, f"{BASE}/actors/ussen"],
                },
            },
            ana,
            None,
        ),
        (
            {
                "id": f"{bea.actor_id}/activities/1",
                "type": "Create",
                "actor": bea.actor_id,
                "to": [PUBLIC],
                "object": event(bea.actor_id) | {"id": "https://bea.example/items/event-1"},
            },
            bea,
            None,
        ),
        (ana_note(4), ana, None),
        (ana_note(5), ana, None),
    ]
    for doc, sender, recipient in arriving:
        assert asyncio.run(deliver(node, doc, sender, recipient=recipient)).status == 202
    broken = f"{ANA}/statuses/4/activity"
    with session_scope(engine) as session:
        session.connection().execute(
            text('UPDATE inbox_activity SET raw = \'{"type": "Crea\' WHERE activity_id = :a'),
            {"a": broken},
        )
    return node, broken


def what_happened(engine: Engine) -> dict[str, Any]:
    """Each activity's result and its job's state and attempts, and how many rows every table
    holds (the followers, likes, filed items, announces and deliveries the handlers made)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, activity_id, result FROM inbox_activity")).all()
        jobs = conn.execute(
            text("SELECT payload, state, attempts FROM job WHERE kind = 'inbox'")
        ).all()
        counts = {
            table.name: conn.execute(text(f'SELECT COUNT(*) FROM "{table.name}"')).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }
    activity_of = {row_id: activity_id for row_id, activity_id, _ in rows}
    results = {activity_id: result for _, activity_id, result in rows}
    job_of = {}
    for payload, state, attempts in jobs:
        found = payload if isinstance(payload, dict) else orjson.loads(payload)
        job_of[activity_of[found["inbox_id"]]] = (state, attempts)
    return {"results": results, "jobs": job_of, "rows": counts}


def wipe(engine: Engine) -> None:
    with session_scope(engine) as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.connection().execute(table.delete())


def test_a_mixed_batch_ends_as_one_at_a_time_and_a_broken_row_retries_alone(
    settings: Settings, engine: Engine
) -> None:
    node, broken = a_morning_of_mail(settings, engine)
    assert run_jobs(node, together=False) == 8
    alone = what_happened(engine)
    wipe(engine)
    node, broken = a_morning_of_mail(settings, engine)
    assert run_jobs(node, together=True) == 8
    together = what_happened(engine)

    assert together == alone
    results = together["results"]
    assert results[f"{ANA}/statuses/1/activity"] == "stored: not addressed to our content"
    assert "addressed to @ussen by a non-member, not filed" in results[f"{ANA}/statuses/3/activity"]
    assert "@ussen" in results["https://bea.example/users/bea/activities/1"]
    assert results[f"{ANA}/follows/1"] and results[f"{ANA}/likes/1"]
    # the broken row alone waits for another try; the rest of its batch is done
    assert results[broken] == ""
    assert together["jobs"][broken] == ("ready", 1)
    assert {k: v for k, v in together["jobs"].items() if k != broken} == {
        k: ("done", 1) for k in together["jobs"] if k != broken
    }
    assert together["rows"]["network_item"] == 1 and together["rows"]["follower"] == 1


def test_a_batch_of_strangers_notes_asks_the_same_questions_whatever_its_size(
    settings: Settings, engine: Engine
) -> None:
    ana = coop_and_ana(engine, settings)
    node = NodeContext.build(settings, engine)
    asked = {}
    first = 1
    for size in (2, 10):
        for n in range(first, first + size):
            assert asyncio.run(deliver(node, ana_note(n), ana)).status == 202
        first += size
        with recorded(engine) as (statements, checkouts):
            assert run_jobs(node, together=True) == size
        content = about_content(statements)
        loads = [s for s in content if not s.startswith("UPDATE inbox_activity SET processed_at")]
        asked[size] = (len(loads), len(content) - len(loads), len(checkouts))
    # the rows in one statement, the sender's networks in one; the results in one executemany
    # (jobs.StatementRecord); the claim, the load, the record and the drain's last empty
    # claim: four checkouts
    assert asked == {2: (2, 1, 4), 10: (2, 1, 4)}
    with Session(engine) as session:
        done = (
            session.connection()
            .execute(
                text("SELECT COUNT(*) FROM inbox_activity WHERE result = :r"),
                {"r": "stored: not addressed to our content"},
            )
            .scalar_one()
        )
    assert done == 12


def test_a_preparer_failing_on_one_activity_leaves_its_job_to_retry_alone(
    settings: Settings, engine: Engine
) -> None:
    """A feature's preparer whose batch form breaks, and whose one-at-a-time form breaks on
    Ana's second note only: the batch falls back to one at a time, the other notes are done
    with their usual result, the second note's job retries alone."""
    ana = coop_and_ana(engine, settings)
    node = NodeContext.build(settings, engine)
    for n in (1, 2, 3):
        assert asyncio.run(deliver(node, ana_note(n), ana)).status == 202

    def fussy(_session: Session, msg: Incoming) -> None:
        if msg.activity_id.endswith("/statuses/2/activity"):
            raise ValueError("a preparer's bug")

    def fussy_together(_session: Session, _msgs: list[Incoming]) -> None:
        raise ValueError("a batch preparer's bug")

    table = dispatcher()
    table.prepare({"Create"}, fussy, fussy_together)
    registry = Registry()
    register_inbox(registry, table)
    node.inbox_swept_at = time.monotonic()
    assert asyncio.run(Worker(node, registry, concurrency=32, batch=64).drain()) == 3
    happened = what_happened(engine)
    assert happened["results"] == {
        f"{ANA}/statuses/1/activity": "stored: not addressed to our content",
        f"{ANA}/statuses/2/activity": "",
        f"{ANA}/statuses/3/activity": "stored: not addressed to our content",
    }
    assert happened["jobs"] == {
        f"{ANA}/statuses/1/activity": ("done", 1),
        f"{ANA}/statuses/2/activity": ("ready", 1),
        f"{ANA}/statuses/3/activity": ("done", 1),
    }


def test_a_senders_create_claimed_with_its_other_moves_is_prepared_when_it_runs(
    settings: Settings, engine: Engine
) -> None:
    """A batch's plans are read before any of its handlers runs: Ana's notes claimed with her
    Follow and her Like are left to be prepared when their jobs run (a member's first post
    claimed with its admission would otherwise always be planned as a stranger's), while Bea's
    event, alone of hers in the batch, is planned with the batch."""
    node, broken = a_morning_of_mail(settings, engine)
    claimed = claim(engine, "story", limit=64, kinds=["inbox"])
    prepared = asyncio.run(prepare_batch(node, claimed, dispatcher()))
    kinds = {(msg.actor, msg.type) for msg in prepared.values()}
    assert {t for a, t in kinds if a != ANA} == {"Create"}  # Bea's event, planned with the batch
    assert (ANA, "Follow") in kinds and (ANA, "Like") in kinds
    assert (ANA, "Create") not in kinds  # each of her notes prepares itself when it runs
    assert len(prepared) == 3 and broken not in {m.activity_id for m in prepared.values()}
