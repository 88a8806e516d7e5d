"""The worker's pipeline (``Worker.run``, as `solnode serve` runs it) on SQLite and PostgreSQL:
jobs run with up to ``concurrency`` in flight, each finished batch is recorded in the same
transaction as the next claim (``jobs.settle``), and every outcome lands where it should."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable

import orjson
from sqlalchemy import Engine, text

from node.db import write_connection
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.worker import Done, Fail, Outcome, Registry, Retry, Worker
from node.settings import Settings

JOBS = 150


async def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def test_every_job_runs_once_and_every_outcome_is_recorded(
    settings: Settings, engine: Engine
) -> None:
    with write_connection(engine) as conn:
        jobs.enqueue_many(conn, "work", (({"i": i}, f"work:{i}") for i in range(JOBS)))
    ran: Counter[int] = Counter()
    running = 0
    most = 0

    async def work(_node: NodeContext, job: jobs.ClaimedJob) -> Outcome:
        nonlocal running, most
        i = int(job.payload["i"])
        ran[i] += 1
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(random.uniform(0, 0.01))  # finish out of order
        finally:
            running -= 1
        if i % 10 == 3:
            return Retry("HTTP 503", status=503, delay=3600)
        if i % 10 == 7:
            return Fail("HTTP 410", status=410)
        if i % 10 == 9:
            raise RuntimeError("a bug")  # retried with the policy's back-off
        return Done()

    registry = Registry()
    registry.register("work", work, jobs.RetryPolicy(base=3600, jitter=0))
    worker = Worker(
        NodeContext.build(settings, engine), registry, concurrency=8, batch=16, poll_interval=0.05
    )
    task = asyncio.create_task(worker.run())
    try:
        await _until(lambda: len(ran) == JOBS and jobs.counts(engine).get("done") == 105)
        # Work enqueued while the worker waits is claimed once it is woken.
        with write_connection(engine) as conn:
            jobs.enqueue(conn, "work", {"i": JOBS})
        worker.wake()
        await _until(lambda: jobs.counts(engine).get("done") == 106)
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=30)

    assert set(ran) == set(range(JOBS + 1)) and max(ran.values()) == 1
    assert most <= 8
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload, state, attempts, last_status, locked_by FROM job")
        ).all()
    states: Counter[str] = Counter()
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else orjson.loads(row.payload)
        i = payload["i"] % 10
        expected = {3: "ready", 7: "dead", 9: "ready"}.get(i, "done")
        assert row.state == expected and row.attempts == 1, (payload, row)
        if expected == "ready":
            assert row.locked_by is None  # released, to run again after its delay
        states[row.state] += 1
    assert states == {"done": 106, "dead": 15, "ready": 30}
    assert jobs.pending_count(engine) == 30  # none of them due for an hour


async def test_work_announced_while_the_worker_claims_is_claimed_next(
    settings: Settings, engine: Engine
) -> None:
    """A publish's wake-up can arrive while the worker is inside its claim transaction, with a
    long job in flight (a slow server holding its slot) and slots free: the new job is claimed
    on the next turn, not after the slow job ends or the next poll (an hour here)."""
    slow_may_end = asyncio.Event()
    ran: list[str] = []

    async def work(_node: NodeContext, job: jobs.ClaimedJob) -> Outcome:
        ran.append(str(job.payload["name"]))
        if job.payload["name"] == "slow":  # holds its slot until the story ends
            await slow_may_end.wait()
        return Done()

    registry = Registry()
    registry.register("work", work, jobs.RetryPolicy(base=3600, jitter=0))
    worker = Worker(
        NodeContext.build(settings, engine), registry, concurrency=8, batch=16, poll_interval=3600
    )
    with write_connection(engine) as conn:
        jobs.enqueue(conn, "work", {"name": "slow"})
        jobs.enqueue(conn, "work", {"name": "quick"})
    settle = worker._settle
    announced = False

    async def settle_while_a_job_is_published(
        finished: list[tuple[jobs.ClaimedJob, Outcome]], claim: int
    ) -> list[jobs.ClaimedJob]:
        nonlocal announced
        claimed = await settle(finished, claim)
        if "quick" in ran and not announced:  # "quick" recorded, "slow" running: a publish
            announced = True
            with write_connection(engine) as conn:
                jobs.enqueue(conn, "work", {"name": "fresh"})
            worker.wake()
        return claimed

    worker._settle = settle_while_a_job_is_published  # type: ignore[method-assign]
    task = asyncio.create_task(worker.run())
    try:
        # the settle that records "quick" (the slow job still running) announces "fresh"
        await _until(lambda: "fresh" in ran, timeout=30)
    finally:
        slow_may_end.set()
        worker.stop()
        await asyncio.wait_for(task, timeout=30)
    assert sorted(ran) == ["fresh", "quick", "slow"]
