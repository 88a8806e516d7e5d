"""Benchmark: 100 servers down; what their backlog costs per retry round (claims, queries, CPU).

Run: ``.venv/bin/python bench/bench_deadhosts.py [--hosts 100] [--backlog 50] [--rounds 5]``

An organization has one follower on each of ``--hosts`` servers that are down (loopback ports
nobody listens on: connections are refused at once). It publishes ``--backlog`` activities,
so ``hosts * backlog`` deliveries wait for dead servers. The real worker (``Worker.drain``
with the production delivery policies) then runs retry rounds; between rounds the stored
times of each host are moved back until its next job is due, and the process's delivery
state is dropped (as hours would expire its cache). For each steady-state round (after the
circuit opened) it counts the jobs claimed, the SQL statements run and the CPU seconds used.

The baseline is the same run with a backlog of one activity per host: if a dead host's
backlog costs O(1) per round, the ratio is about 1.0x; before the per-host hold (each queued
delivery claimed on its own back-off, only to find the circuit open) it was ``backlog`` times as much.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, text

from bench.inbox_servers import run_bounded
from bench.scratch_node import BASE, scratch_node
from node.db import epoch, session_scope, write_connection
from node.federation import outbox as delivery
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.outbox import Audience, DeliveryConfig
from node.federation.worker import Registry, Worker
from node.models import Follower


def closed_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def time_passes(engine: Engine) -> None:
    """For each host, move its stored times back until its next job is due: the host's next
    retry round (the probe, if one waits at the circuit's half-open time)."""
    now = epoch()
    with engine.connect() as conn:
        nexts = conn.execute(
            text("SELECT host, MIN(run_at) FROM job WHERE state = 'ready' GROUP BY host")
        ).all()
    with write_connection(engine) as conn:
        for host, next_at in nexts:
            if host is None:
                continue
            shift = {"s": max(0.0, next_at - now + 1), "h": host}
            conn.execute(text("UPDATE job SET run_at = run_at - :s WHERE host = :h"), shift)
            conn.execute(
                text(
                    "UPDATE host_state SET first_failure_at = first_failure_at - :s,"
                    " open_until = open_until - :s WHERE host = :h"
                ),
                shift,
            )


def open_circuits(engine: Engine) -> int:
    with engine.connect() as conn:
        sql = "SELECT COUNT(*) FROM host_state WHERE open_until IS NOT NULL"
        return int(conn.execute(text(sql)).scalar_one())


class Meter:
    """SQL statements run on an engine, from any thread."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.statements += 1


async def rounds(hosts: int, backlog: int, count: int) -> list[tuple[int, int, float]]:
    """(claims, statements, CPU seconds) of each steady-state retry round."""
    with tempfile.TemporaryDirectory(prefix="bench-deadhosts-") as tmp:
        settings, engine = scratch_node(tmp)
        with session_scope(engine) as session:
            actor = create_actor(session, "coop", kind="organization", name="Bench Co-op")
            assert actor.id is not None
            for port in closed_ports(hosts):
                inbox = f"http://127.0.0.1:{port}/inbox"
                session.add(Follower(actor_id=actor.id, remote_id=inbox + "/u", inbox=inbox))
        with session_scope(engine) as session:
            for n in range(backlog):
                doc = {
                    "id": f"{BASE}/activities/{n}",
                    "type": "Create",
                    "actor": f"{BASE}/actors/coop",
                    "to": [f"{BASE}/actors/coop/followers"],
                    "object": {"id": f"{BASE}/items/{n}", "type": "Note", "content": "hi"},
                }
                delivery.send(session, actor, doc, Audience(followers=True), public=False)
        node = NodeContext.build(settings, engine)
        node.open_http()
        config = DeliveryConfig()
        registry = Registry()
        delivery.register(registry, config=config)
        worker = Worker(node, registry, concurrency=64, batch=100_000)
        meter = Meter(engine)
        figures = []
        try:
            await worker.drain()  # fan-out, then the first failures: the circuits stay closed
            warm = 0
            while len(figures) < count:
                time_passes(engine)
                node.delivery = None  # hours later: a fresh view of the hosts
                before, cpu = meter.statements, time.process_time()
                claims = await worker.drain()
                if warm > 1:  # every circuit open, and one round for the jobs then in flight
                    figures.append((claims, meter.statements - before, time.process_time() - cpu))
                elif warm or open_circuits(engine) == hosts:
                    warm += 1
        finally:
            await node.close_http()
            engine.dispose()
    return figures


def report(name: str, figures: list[tuple[int, int, float]]) -> tuple[float, float, float]:
    claims = sum(f[0] for f in figures) / len(figures)
    statements = sum(f[1] for f in figures) / len(figures)
    cpu = sum(f[2] for f in figures) / len(figures)
    print(f"  {name:<34} claims {claims:7.1f}  statements {statements:7.1f}  CPU {cpu:6.3f} s")
    print(f"  {'':<34} claims by round: {', '.join(str(f[0]) for f in figures)}")
    return claims, statements, cpu


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.hosts} dead hosts, retry rounds after the circuits opened, averaged over"
        f" {args.rounds} rounds; SQLite; production delivery policies",
        flush=True,
    )
    one = report("backlog 1 activity per host", await rounds(args.hosts, 1, args.rounds))
    many = report(
        f"backlog {args.backlog} activities per host",
        await rounds(args.hosts, args.backlog, args.rounds),
    )
    ratios = "  ".join(f"{m / o:5.2f}x" if o else "n/a" for m, o in zip(many, one, strict=True))
    print(f"  backlog {args.backlog} / backlog 1 (claims, statements, CPU): {ratios}   (aim: ~1x)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=300.0, help="give up after (s)")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    run_bounded(partial(main, arguments), arguments.deadline)
