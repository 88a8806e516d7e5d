"""The job queue on SQLite and PostgreSQL: enqueue, claim with lease, retry, dead-letter."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Engine, event, text

from node.db import write_connection
from node.federation import jobs


def _enqueue(engine: Engine, n: int, kind: str = "deliver", **kw: object) -> None:
    with write_connection(engine) as conn:
        for i in range(n):
            jobs.enqueue(conn, kind, {"n": i}, **kw)  # type: ignore[arg-type]


def test_enqueued_job_is_claimed_once_and_completed(engine: Engine) -> None:
    _enqueue(engine, 1)
    [job] = jobs.claim(engine, "w1")
    assert job.kind == "deliver" and job.payload == {"n": 0} and job.attempts == 1
    assert jobs.claim(engine, "w2") == []  # leased
    assert jobs.complete(engine, job.id, "w1")
    assert jobs.counts(engine) == {"done": 1}


def test_dedupe_key_makes_enqueue_idempotent(engine: Engine) -> None:
    with write_connection(engine) as conn:
        assert jobs.enqueue(conn, "inbox", {"a": 1}, dedupe_key="inbox:https://x/1")
        assert not jobs.enqueue(conn, "inbox", {"a": 2}, dedupe_key="inbox:https://x/1")
    assert jobs.pending_count(engine) == 1


def test_expired_lease_is_taken_again_by_another_worker(engine: Engine) -> None:
    _enqueue(engine, 1)
    [job] = jobs.claim(engine, "crashed", lease=30, now=1e12)
    assert jobs.claim(engine, "w2", now=1e12 + 10) == []
    [again] = jobs.claim(engine, "w2", now=1e12 + 31)
    assert again.id == job.id and again.attempts == 2
    # the crashed worker can no longer finish what it lost
    assert not jobs.complete(engine, job.id, "crashed")
    assert jobs.complete(engine, job.id, "w2")


def test_retry_later_waits_then_runs_again(engine: Engine) -> None:
    _enqueue(engine, 1)
    [job] = jobs.claim(engine, "w", now=1e12)
    assert jobs.retry_later(
        engine, job.id, "w", delay=60, error="503 from host", status=503, now=1e12
    )
    assert jobs.claim(engine, "w", now=1e12 + 59) == []
    [again] = jobs.claim(engine, "w", now=1e12 + 61)
    assert again.attempts == 2
    with engine.connect() as conn:
        row = conn.execute(text("SELECT last_error, last_status FROM job")).one()
    assert row.last_error == "503 from host" and row.last_status == 503


def test_give_up_moves_job_to_dead_letter(engine: Engine) -> None:
    _enqueue(engine, 1)
    [job] = jobs.claim(engine, "w")
    assert jobs.give_up(engine, job.id, "w", error="410 Gone", status=410)
    assert jobs.counts(engine) == {"dead": 1}
    assert jobs.claim(engine, "w", now=1e13) == []


def test_claim_respects_kinds_and_order(engine: Engine) -> None:
    with write_connection(engine) as conn:
        jobs.enqueue(conn, "fanout", {"i": 1}, now=100)
        jobs.enqueue(conn, "deliver", {"i": 2}, now=50)
        jobs.enqueue(conn, "deliver", {"i": 3}, now=75)
    claimed = jobs.claim(engine, "w", kinds=["deliver"], now=1000)
    assert [j.payload["i"] for j in claimed] == [2, 3]


def test_enqueue_rolls_back_with_the_transaction(engine: Engine) -> None:
    try:
        with write_connection(engine) as conn:
            jobs.enqueue(conn, "deliver", {"x": 1})
            raise RuntimeError("handler failed after enqueue")
    except RuntimeError:
        pass
    assert jobs.pending_count(engine) == 0


def test_two_workers_never_claim_the_same_job(engine: Engine) -> None:
    """Four threads with their own connections race for 400 jobs: each runs exactly once."""
    _enqueue(engine, 400)
    seen: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while True:
                batch = jobs.claim(engine, name, limit=7)
                if not batch:
                    return
                with lock:
                    seen.update(j.id for j in batch)
                for job in batch:
                    assert jobs.complete(engine, job.id, name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(seen) == 400
    assert max(seen.values()) == 1
    assert jobs.counts(engine) == {"done": 400}


def test_retry_policy_backs_off_with_cap_and_honours_retry_after() -> None:
    policy = jobs.RetryPolicy(base=10, factor=2, cap=100, jitter=0)
    assert [policy.delay(a) for a in (1, 2, 3, 4, 5, 6)] == [10, 20, 40, 80, 100, 100]
    assert policy.delay(3, retry_after=7) == 7
    assert policy.delay(3, retry_after=10**9) == policy.retry_after_cap
    assert policy.is_permanent(410) and policy.is_permanent(404) and policy.is_permanent(400)
    assert not policy.is_permanent(429) and not policy.is_permanent(503)
    assert not policy.is_permanent(401) and not policy.is_permanent(None)
    jittered = jobs.RetryPolicy(base=100, jitter=0.25)
    assert all(75 <= jittered.delay(1) <= 125 for _ in range(50))


def test_settle_records_outcomes_and_claims_the_next_jobs_in_one_transaction(
    engine: Engine,
) -> None:
    _enqueue(engine, 6)
    first = jobs.claim(engine, "w", limit=3, now=1e12)
    ok, again, gone = (job.id for job in first)
    began: list[object] = []

    def count(conn: object) -> None:
        began.append(conn)

    event.listen(engine, "begin", count)
    try:
        claimed = jobs.settle(
            engine,
            "w",
            done=[ok],
            released=[
                jobs.Release(again, "HTTP 503", 503, delay=60),
                jobs.Release(gone, "HTTP 410", 410),  # no delay: dead
            ],
            claim_limit=2,
            now=1e12 + 1,
        )
    finally:
        event.remove(engine, "begin", count)
    assert len(began) == 1
    assert [j.payload["n"] for j in claimed] == [3, 4]
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, state, last_error, last_status, run_at, locked_by FROM job")
        ).all()
    by_id = {row.id: row for row in rows}
    assert by_id[ok].state == "done"
    assert (by_id[again].state, by_id[again].last_status) == ("ready", 503)
    assert by_id[again].run_at == 1e12 + 61 and by_id[again].locked_by is None
    assert (by_id[gone].state, by_id[gone].last_error) == ("dead", "HTTP 410")
    # The one left and the one to retry are claimed when due; a lost lease is not written.
    assert [j.payload["n"] for j in jobs.settle(engine, "w", claim_limit=5, now=1e12 + 2)] == [5]
    assert jobs.settle(engine, "other", done=[claimed[0].id], now=1e12 + 3) == []
    assert jobs.counts(engine) == {"done": 1, "dead": 1, "ready": 4}
    [retried] = jobs.claim(engine, "w", now=1e12 + 62)
    assert retried.id == again and retried.attempts == 2
