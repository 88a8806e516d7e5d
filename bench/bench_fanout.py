"""Benchmark: an organization with 10,000 followers on 1,000 servers publishes; against the RSA floor.

Run: ``.venv/bin/python bench/bench_fanout.py [--followers 10000] [--servers 1000] [--repeat 3]``

A child process serves ``--servers`` loopback servers (bench/inbox_servers.py: a lean
httptools server on uvloop, each on its own port, answering 202 on any path) so the server
side does not share our event loop; it does share the machine's cores, so every timed run also
reports the CPU the node and the child spent in its window. For every run the parent builds a
fresh SQLite database in a temp dir with one organization and ``--followers`` followers
spread evenly over the servers, each server with its shared inbox, so the fan-out finds one
inbox per server. It starts the worker's pipeline (``Worker.run``, on uvloop as `solnode
serve` runs it; ``--loop asyncio`` for the standard loop), then times two things from the
same start:

* the publish request's share of delivery: ``delivery.send()`` and its commit (it stores the
  activity and enqueues one fan-out job, whatever the follower count; with no worker running,
  it is also measured with 10 followers, for the ratio);
* until every server has received the activity: the fan-out job, the 1,000 deliver jobs (load,
  sign at send time, POST, complete).

It checks that every job ended ``done`` and that the servers received exactly one POST each.

The baseline is the signing floor measured in the same run: one RSA-2048 PKCS#1 v1.5 SHA-256
signature per inbox, one after the other on one core, no I/O. Deliveries sign in threads (one
per CPU, cryptography releases the GIL), and with ``sign_threads=0`` on the event loop, for
comparison. ``--profile DIR`` then runs ``--profile-runs`` more fan-outs, untimed, under py-spy
(bench/profiles.py; ``--gil`` for the thread holding the GIL only). Everything is bounded: the
run is abandoned after ``--deadline`` seconds and the child exits on its own when the parent
goes away.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.inbox_servers import Servers, event_activity, run_bounded
from bench.profiles import Recording
from bench.scratch_node import BASE, scratch_node
from node.activitypub.keys import generate_rsa, load_private_key
from node.activitypub.signatures.cavage import sign_cavage
from node.db import session_scope, write_connection
from node.federation import jobs
from node.federation import outbox as delivery
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.http import HttpClient
from node.federation.outbox import Audience, DeliveryConfig
from node.federation.worker import Done, Registry, Worker
from node.models import Follower, LocalActor

# ---------------------------------------------------------------------------- one fan-out


def bench_node(tmp: str, servers: Servers, followers: int) -> tuple[NodeContext, LocalActor]:
    """A fresh SQLite node whose organization has ``followers`` followers spread evenly over
    the servers, each server with its shared inbox (as Mastodon accounts have)."""
    settings, engine = scratch_node(tmp)
    with session_scope(engine) as session:
        actor = create_actor(session, "coop", kind="organization", name="Bench Co-op")
        assert actor.id is not None
        for i in range(followers):
            port = servers.ports[i % len(servers.ports)]
            session.add(
                Follower(
                    actor_id=actor.id,
                    remote_id=f"http://127.0.0.1:{port}/users/u{i}",
                    inbox=f"http://127.0.0.1:{port}/users/u{i}/inbox",
                    shared_inbox=f"http://127.0.0.1:{port}/inbox",
                )
            )
    return NodeContext.build(settings, engine), actor


def publish(node: NodeContext, actor: LocalActor, run: int) -> float:
    """Seconds the publish request spends on delivery: send() and its commit."""
    started = time.perf_counter()
    with session_scope(node.engine) as session:
        delivery.send(session, actor, event_activity(run, BASE), Audience(followers=True))
    node.notify_work()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Timed:
    """One timed run: wall-clock seconds, and the CPU seconds the node (this process, all its
    threads) and the receivers (the child) used in that same window."""

    wall: float
    node_cpu: float
    receiver_cpu: float


class Meter:
    """Wall clock and both processes' CPU from one start; ``stop()`` gives a :class:`Timed`."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.cpu = time.process_time()
        self.receiver = servers.cpu_seconds()
        self.started = time.perf_counter()

    def stop(self) -> Timed:
        wall = time.perf_counter() - self.started
        return Timed(
            wall, time.process_time() - self.cpu, self.servers.cpu_seconds() - self.receiver
        )


async def one_fanout(
    servers: Servers, args: argparse.Namespace, sign_threads: int | None, run: int
) -> tuple[float, Timed]:
    """(publish seconds, the run from send() until every inbox has the activity), with the
    worker's pipeline (``Worker.run``, as `solnode serve` runs it) on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        node, actor = bench_node(tmp, servers, args.followers)
        node.open_http()
        registry = Registry()
        delivery.register(registry, config=DeliveryConfig(sign_threads=sign_threads))
        worker = Worker(node, registry, concurrency=args.concurrency, batch=args.batch)
        node.wake_worker = worker.wake
        before = await servers.received()
        running = asyncio.create_task(worker.run())
        try:
            await asyncio.sleep(0.05)  # the worker is idle, waiting for work
            meter = Meter(servers)
            publish_time = publish(node, actor, run)
            while await servers.received() - before < len(servers.ports):
                await asyncio.sleep(0.005)
            elapsed = meter.stop()
            while jobs.pending_count(node.engine):  # the last completions, not timed
                await asyncio.sleep(0.05)
        finally:
            worker.stop()
            await running
            await node.close_http()
        counts = jobs.counts(node.engine)
        node.engine.dispose()
    posts = await servers.received() - before
    if counts != {"done": len(servers.ports) + 1} or posts != len(servers.ports):
        raise SystemExit(f"run {run} incomplete: jobs {counts}, {posts} POSTs received")
    return publish_time, elapsed


def publish_alone(servers: Servers, followers: int, repeat: int) -> list[float]:
    """Publish-request times with ``followers`` followers and no worker running."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        node, actor = bench_node(tmp, servers, followers)
        times = [publish(node, actor, 1000 + n) for n in range(repeat)]
        node.engine.dispose()
    return times


async def worker_floor(args: argparse.Namespace) -> float:
    """Seconds for the same Worker to claim, run and complete ``--servers`` + 1 no-op jobs."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        settings, engine = scratch_node(tmp)
        with write_connection(engine) as conn:
            jobs.enqueue_many(conn, "noop", (({"i": i}, None) for i in range(args.servers + 1)))

        async def noop(_node: NodeContext, _job: jobs.ClaimedJob) -> Done:
            return Done()

        registry = Registry()
        registry.register("noop", noop)
        worker = Worker(
            NodeContext.build(settings, engine),
            registry,
            concurrency=args.concurrency,
            batch=args.batch,
        )
        started = time.perf_counter()
        await worker.drain()
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed


async def post_floor(servers: Servers, args: argparse.Namespace, key: rsa.RSAPrivateKey) -> Timed:
    """Seconds for the same POSTs, signed in threads, with no job queue and no database."""
    body = orjson.dumps(event_activity(-1, BASE))
    urls = [f"http://127.0.0.1:{port}/inbox" for port in servers.ports]
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(args.concurrency)
    with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as signers:
        async with HttpClient(user_agent="SolidarityNode/bench", allow_hosts={"127.0.0.1"}) as http:

            async def one(url: str) -> None:
                async with gate:
                    sign = partial(
                        sign_cavage,
                        "POST",
                        url,
                        {"Content-Type": "application/activity+json"},
                        body,
                        key_id=f"{BASE}/actors/coop#main-key",
                        private_key=key,
                        now=time.time(),
                    )
                    headers = await loop.run_in_executor(signers, sign)
                    response = await http.post(url, body, headers=headers)
                    if response.status != 202:
                        raise SystemExit(f"POST {url} answered {response.status}")

            meter = Meter(servers)
            await asyncio.gather(*(one(url) for url in urls))
            return meter.stop()


def signing_floor(key: rsa.RSAPrivateKey, count: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds for ``count`` RSA-2048 signatures of a delivery's signing
    string, one after the other on one core. On a loaded machine the wall clock grows with the
    load and the CPU time hardly does: the CPU comparisons below use the CPU time."""
    message = (
        b"(request-target): post /users/u1/inbox\nhost: 127.0.0.1:40001\n"
        b"date: Mon, 01 Jun 2026 16:00:00 GMT\ndigest: SHA-256=" + b"A" * 44 + b"\n"
        b"content-type: application/activity+json"
    )
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        key.sign(message, pkcs1, sha256)
    return time.perf_counter() - started, time.process_time() - cpu


# ---------------------------------------------------------------------------- reporting


def line(name: str, times: list[float], count: int) -> float:
    best = min(times)
    print(
        f"  {name:<44} best {best:6.3f} s  median {statistics.median(times):6.3f} s"
        f"  {count / best:6.0f} /s",
        flush=True,
    )
    return best


def timed_line(name: str, runs: list[Timed], count: int, floor_cpu: float) -> float:
    """The wall-clock line, then where the CPU went in the same runs (medians): the node's
    and the receivers' CPU per delivery, and their sum spread over the cores, as a multiple of
    the floor's CPU time: how fast the run could be if the cores did nothing else, never
    waited, and Python had no GIL (the share of the node's CPU that needs the GIL, everything
    but the RSA arithmetic, runs on one core at a time)."""
    best = line(name, [r.wall for r in runs], count)
    node = statistics.median(r.node_cpu for r in runs)
    receivers = statistics.median(r.receiver_cpu for r in runs)
    cores = len(_cpus())
    print(
        f"  {'':<44} CPU per delivery: node {node / count * 1e3:.3f} ms,"
        f" receivers {receivers / count * 1e3:.3f} ms;"
        f" (node + receivers) / {cores} cores = {(node + receivers) / cores / floor_cpu:4.2f}x"
        " floor CPU",
        flush=True,
    )
    return best


def _cpus() -> set[int]:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else {0}


async def main(args: argparse.Namespace) -> None:
    servers = Servers(args.servers, lifetime=args.deadline + 30)
    try:
        await servers.start()
        key = load_private_key(generate_rsa(2048).private_pem)
        assert isinstance(key, rsa.RSAPrivateKey)
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        inboxes = len(servers.ports)
        print(
            f"fan-out of one ~2 KB activity to {args.followers} followers on {inboxes} loopback "
            f"servers (child process); SQLite; worker concurrency {args.concurrency}, batch "
            f"{args.batch}; {args.loop}; {args.repeat} runs each; python {sys.version.split()[0]}, {cpus} CPUs;"
            f" load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        few = publish_alone(servers, 10, args.repeat * 5)
        many = publish_alone(servers, args.followers, args.repeat * 5)
        # Interleaved, so load from elsewhere on the machine hits every variant alike.
        floors: list[tuple[float, float]] = []
        workers: list[float] = []
        posts: list[Timed] = []
        threaded: list[tuple[float, Timed]] = []
        inline: list[tuple[float, Timed]] = []
        for run in range(args.repeat):
            floors.append(signing_floor(key, inboxes))
            workers.append(await worker_floor(args))
            posts.append(await post_floor(servers, args, key))
            threaded.append(await one_fanout(servers, args, None, run))
            if not args.skip_inline:
                inline.append(await one_fanout(servers, args, 0, run))
        floor = line("RSA-2048 signing floor (1 core, no I/O)", [w for w, _ in floors], inboxes)
        floor_cpu = min(c for _, c in floors)
        print(f"  {'':<44} CPU {floor_cpu:.3f} s ({floor_cpu / inboxes * 1e3:.3f} ms a signature)")
        queue = line("Worker alone: the same jobs as no-ops", workers, inboxes)
        raw = timed_line("signed POSTs alone (threads, no queue)", posts, inboxes, floor_cpu)
        best = timed_line(
            "fan-out + deliver, signing in threads", [t for _, t in threaded], inboxes, floor_cpu
        )
        if inline:
            best_inline = timed_line(
                "fan-out + deliver, signing on the loop",
                [t for _, t in inline],
                inboxes,
                floor_cpu,
            )
        print(f"  threads / floor:   {best / floor:5.2f}x   (aim: <= 1.00x)")
        print(f"  no-op Worker / floor: {queue / floor:5.2f}x   (the job queue's own share)")
        print(f"  signed POSTs / floor: {raw / floor:5.2f}x   (signing + HTTP, no queue)")
        if inline:
            print(f"  loop / floor:      {best_inline / floor:5.2f}x")
            print(f"  threads / loop:    {best / best_inline:5.2f}x")
        during = [p for p, _ in threaded + inline]
        print(
            f"  publish request (send + commit): {args.followers} followers"
            f" median {statistics.median(many) * 1000:.1f} ms, max {max(many) * 1000:.1f} ms;"
            f" 10 followers median {statistics.median(few) * 1000:.1f} ms"
            f" ({statistics.median(many) / statistics.median(few):.2f}x);"
            f" while fan-outs run: max {max(during) * 1000:.1f} ms   (aim: <= 50 ms)"
        )
        if args.profile:
            await profiled(servers, args)
    finally:
        servers.stop()


async def profiled(servers: Servers, args: argparse.Namespace) -> None:
    """``--profile-runs`` more fan-outs (signing in threads), untimed, under py-spy: this
    process (the node's worker, its signing and database threads), then the summary of the
    samples in the node's federation code (each run's set-up, the followers written through
    the ORM, is left out)."""
    print(f"profiling {args.profile_runs} more fan-outs with py-spy (not timed) ...", flush=True)
    recording = Recording(
        args.profile, "fanout", [os.getpid()], None, gil=args.gil, rate=500, only="node/federation/"
    )
    done = False
    try:
        await asyncio.sleep(1.0)  # py-spy attaches
        for run in range(args.profile_runs):
            await one_fanout(servers, args, None, 1000 + run)
        done = True
    finally:
        recording.finish(show=done)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--skip-inline", action="store_true", help="only the threaded variant")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of the node (default: uvloop, as `solnode serve` runs its worker)",
    )
    parser.add_argument("--deadline", type=float, default=300.0, help="give up after (s)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the timed runs, profile more fan-outs with py-spy (bench/profiles.py): "
        "collapsed stacks into DIR, a summary printed",
    )
    parser.add_argument("--profile-runs", type=int, default=10)
    parser.add_argument(
        "--gil", action="store_true", help="with --profile: only the thread holding the GIL"
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    run_bounded(partial(main, arguments), arguments.deadline, loop=arguments.loop)
