"""Benchmark: the worker draining stored inbox jobs, in process, on SQLite and PostgreSQL.

Run: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_inbox_jobs.py [--jobs 3000] [--rounds 2]
[--no-postgres]``

Each case stores ``--jobs`` Create(Note)s from one known sender (cached, as after a first
fetch) that none of our networks takes, as the inbox stores them, then runs the worker's
pipeline (``Worker.run``, batch 64, concurrency 32, as ``solnode worker`` does) until every job
is done. It prints the process's CPU time a job (the database server's own not counted), and
the statements and pool checkouts a job (SQLAlchemy events). The baseline, in the same run and
alternated with it, is the same drain with each job loading its activity alone (the inbox's
batch preparer left out): the ratio is batched / alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from sqlalchemy import Engine, event, text

from bench.bench_inbox import pg_schema
from node import migrations
from node.activitypub import keys
from node.db import make_engine, now_utc
from node.federation.context import NodeContext
from node.federation.inbox import process
from node.federation.inbox.receive import store
from node.federation.jobs import ClaimedJob
from node.federation.remote.actor_cache import upsert
from node.federation.remote.actor_documents import actor_fields
from node.federation.worker import Outcome, Registry, Worker
from node.settings import Settings, load_settings
from node.wiring import dispatcher

SENDER = "https://mastodon.example/users/ana"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class Counted(Registry):
    """The inbox kind, counting finished jobs (the drain stops at the last); with or without
    its batch preparer."""

    def __init__(self, batched: bool, total: int, worker: list[Worker]) -> None:
        super().__init__()
        self.batched, self.total, self.worker, self.finished = batched, total, worker, 0

    def register(self, kind: str, handler: Any, policy: Any = None, batch: Any = None) -> None:
        async def counted(node: NodeContext, job: ClaimedJob) -> Outcome:
            outcome = await handler(node, job)
            self.finished += 1
            if self.finished >= self.total:
                self.worker[0].stop()
            return outcome

        extra = [batch] if batch is not None and self.batched else []
        super().register(kind, counted, policy, *extra)


def note(n: int) -> dict[str, Any]:
    ident = f"{SENDER}/statuses/{uuid.uuid4().hex}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ident}/activity",
        "type": "Create",
        "actor": SENDER,
        "to": [PUBLIC],
        "object": {
            "id": ident,
            "type": "Note",
            "attributedTo": SENDER,
            "content": f"<p>Note {n}: " + "x" * 1500 + "</p>",
            "to": [PUBLIC],
        },
    }


def seed(node: NodeContext, settings: Settings, n: int, pem: str) -> None:
    document = {
        "id": SENDER,
        "type": "Person",
        "preferredUsername": "ana",
        "inbox": f"{SENDER}/inbox",
        "followers": f"{SENDER}/followers",
        "publicKey": {"id": f"{SENDER}#main-key", "owner": SENDER, "publicKeyPem": pem},
    }
    upsert(node.engine, actor_fields(document, settings))
    for i in range(n):
        doc = note(i)
        row = {
            "activity_id": doc["id"],
            "type": "Create",
            "actor": SENDER,
            "recipient": None,
            "raw": orjson.dumps(doc).decode(),
            "signer": f"{SENDER}#main-key",
            "verified_by": "http-signature:cavage",
            "received_at": now_utc(),
            "result": "",
        }
        assert store(node, row, doc["object"]["id"])


def drain(node: NodeContext, n: int, batched: bool) -> dict[str, float]:
    worker: list[Worker] = []
    registry = Counted(batched, n, worker)
    process.register(registry, dispatcher())
    worker.append(Worker(node, registry, batch=64, concurrency=32, poll_interval=0.05))
    node.inbox_swept_at = time.monotonic()  # the hourly sweep is not this story
    statements, checkouts = [0], [0]

    def on_execute(*_: Any) -> None:
        statements[0] += 1

    def on_checkout(*_: Any) -> None:
        checkouts[0] += 1

    event.listen(node.engine, "before_cursor_execute", on_execute)
    event.listen(node.engine.pool, "checkout", on_checkout)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        asyncio.run(worker[0].run())
    finally:
        event.remove(node.engine, "before_cursor_execute", on_execute)
        event.remove(node.engine.pool, "checkout", on_checkout)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    with node.engine.connect() as conn:
        done = conn.execute(text("SELECT COUNT(*) FROM job WHERE state = 'done'")).scalar_one()
        results = conn.execute(text("SELECT DISTINCT result FROM inbox_activity")).all()
    assert done == n, f"{done} of {n} jobs done"
    assert [r for (r,) in results] == ["stored: not addressed to our content"], results
    return {
        "cpu": cpu / n,
        "wall": wall,
        "statements": statements[0] / n,
        "checkouts": checkouts[0] / n,
    }


def database(label: str, stack: ExitStack, tmp: Path, k: int) -> str:
    if label == "SQLite":
        return f"sqlite:///{tmp}/jobs-{k}.db"
    return pg_schema(stack)  # a schema of its own, dropped when the stack closes


def case(label: str, url: str, tmp: Path, n: int, batched: bool, pem: str) -> dict[str, float]:
    settings = load_settings(
        env={},
        base_url="http://127.0.0.1:8000",
        data_dir=str(tmp),
        database_url=url,
        secret_key="bench",
    )
    engine: Engine = make_engine(settings)
    migrations.upgrade(engine)
    try:
        node = NodeContext.build(settings, engine)
        seed(node, settings, n, pem)
        return drain(node, n, batched)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    pem = keys.generate_rsa().public_pem
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    labels = ["SQLite"] + ([] if args.no_postgres else ["PostgreSQL"])
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        k = 0
        for label in labels:
            figures: dict[bool, list[dict[str, float]]] = {False: [], True: []}
            for _ in range(args.rounds):
                for batched in (False, True):  # alternated: the baseline first each round
                    k += 1
                    url = database(label, stack, tmp, k)
                    got = case(label, url, tmp, args.jobs, batched, pem)
                    figures[batched].append(got)
                    print(
                        f"{label}, {'in batches' if batched else 'one at a time'}: "
                        f"{got['cpu'] * 1e6:,.0f} us CPU a job, {got['statements']:.2f} statements"
                        f" and {got['checkouts']:.2f} checkouts a job, {got['wall']:.1f} s",
                        flush=True,
                    )
            alone = min(f["cpu"] for f in figures[False])
            batched_cpu = min(f["cpu"] for f in figures[True])
            print(
                f"{label}: best CPU a job {alone * 1e6:,.0f} us alone, {batched_cpu * 1e6:,.0f} us"
                f" in batches ({batched_cpu / alone:.2f}x); load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
