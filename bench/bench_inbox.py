"""Inbox throughput: signed POSTs verified, stored and answered 202, driven by `wrk`.

Every server runs on loopback in its own process; `wrk` (Debian's, installed when missing)
drives it from another process, 64 connections. The baseline is a bare Starlette POST endpoint
served by uvicorn the same way (uvloop, httptools, one process), measured in the same run:

1. throughput of the bare endpoint and of `solnode serve --no-worker` on SQLite and on
   PostgreSQL (rate limits off), and the ratio;
2. p50/p99 at a fixed 1,000 requests/s offered (paced by the wrk Lua script, see
   bench/inbox_load.py), on both databases;
3. scale-out on PostgreSQL: 2 web processes (`solnode serve --no-worker`) alone (the receive
   path), then with 2 `solnode worker` processing what arrives on the same two cores; each web
   process driven by its own wrk (32 connections each), against the single bare process and
   against 2 bare processes.

Requests are pre-signed before any clock starts (draft-cavage, 20 sender keys the node already
knows, ~2 KB, unique ids; see bench/inbox_load.py), enough that no inbox run (warm-up included)
sends an id twice up to ``--max-rate``; a run that would is refused. Every 2xx is checked against
the stored rows, and each web process's /metrics must count no duplicate and no refusal.

Each run also prints the CPU time its server processes spent a request (from /proc: the web
processes, the workers, and PostgreSQL's backends of that node), the figure to compare on a
shared machine, and how much of the web processes' was their event loop's thread (the rest is
their threads: PostgreSQL's group commit, key fetches); with workers, their CPU per inbox job
processed during the run.

With ``--profile DIR`` each saturated run of the node (and of the bare endpoint) is also
sampled by py-spy from outside its processes (bench/profiles.py): the summary is printed after
the run's figures, the collapsed stacks kept in DIR.

    python bench/bench_inbox.py [--seconds 5] [--max-rate 8000] [--no-postgres] [--only-scaleout]
                                [--profile DIR [--gil]]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox_load as load  # noqa: E402
from profiles import Recording  # noqa: E402

PG_URL = os.environ.get("SOLNODE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SOLNODE = str(Path(sys.executable).with_name("solnode"))
METRICS_TOKEN = "bench-" + uuid.uuid4().hex
WARM_SECONDS = 1
# the server process listening on each port, for its CPU time (/proc) around a measured run
PIDS: dict[int, int] = {}
WORKER_PIDS: list[int] = []  # the `solnode worker` processes of the current case
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each live process in ``pids`` (from /proc/<pid>/stat)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return found


def loop_thread_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time of each process's main thread, where its event loop runs (the ceiling of one
    web process, whatever its other threads do)."""
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def pg_backends(application: str) -> list[int]:
    """The PostgreSQL backend processes serving connections named ``application``."""
    from sqlalchemy import create_engine, text

    from node.settings import normalize_database_url

    engine = create_engine(normalize_database_url(PG_URL))
    with engine.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
        pids = [int(pid) for pid in conn.execute(query, {"name": application}).scalars()]
    engine.dispose()
    return pids


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_bare(stack: ExitStack, tmp: Path) -> int:
    (tmp / "bare_app.py").write_text(load.BARE_APP)
    port = load.free_port()
    cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port)]
    cmd += ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(_stop, proc)
    load.wait_answering(f"http://127.0.0.1:{port}{load.INBOX_PATH}", proc)
    PIDS[port] = proc.pid
    return port


def node_env(tmp: Path, name: str, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "SOLNODE_BASE_URL": f"http://{load.SIGNED_HOST}",
        "SOLNODE_DATA_DIR": str(tmp / name),
        "SOLNODE_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "SOLNODE_ALLOW_HOSTS": "127.0.0.1",
        "SOLNODE_LOG_LEVEL": "warning",
        # thousands of POSTs a second from 20 senders is what rate limits are for; here it is
        # the measurement, so they are off
        "SOLNODE_RATE_LIMIT_INBOX_HOST": "off",
        "SOLNODE_RATE_LIMIT_INBOX_IP": "off",
        # to read each web process's inbox answers by outcome after the run (duplicates = 0)
        "SOLNODE_METRICS_TOKEN": METRICS_TOKEN,
    }
    if database_url is not None:
        env["SOLNODE_DATABASE_URL"] = database_url
    return env


def prepare_node(env: dict[str, str], public_pems: list[str]) -> None:
    for cmd in (["init"], ["org", "create", "bench", "--name", "Bench Co-op"]):
        subprocess.run([SOLNODE, *cmd], env=env, check=True, capture_output=True)
    load.add_known_senders(env, public_pems)


def stored_rows(env: dict[str, str]) -> int:
    from sqlalchemy import text

    from node.db import make_engine
    from node.settings import load_settings

    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
    engine = make_engine(settings)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM inbox_activity")).scalar_one())
    engine.dispose()
    return n


def processed_jobs(env: dict[str, str]) -> tuple[int, int]:
    """(done, still waiting) inbox jobs."""
    from sqlalchemy import text

    from node.db import make_engine
    from node.settings import load_settings

    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
    engine = make_engine(settings)
    with engine.connect() as conn:
        query = text("SELECT state, count(*) FROM job WHERE kind = 'inbox' GROUP BY state")
        counts = {state: n for state, n in conn.execute(query)}
    engine.dispose()
    return int(counts.get("done", 0)), int(counts.get("ready", 0))


def inbox_outcomes(ports: list[int]) -> dict[str, float]:
    """The inbox answers of the web processes on ``ports`` by outcome (accepted, duplicate,
    refused...), summed, as their /metrics count them."""
    import urllib.request

    totals: dict[str, float] = {}
    pattern = re.compile(
        r'^solnode_inbox_activities_total\{outcome="([^"]*)",reason="([^"]*)"\} (\S+)$'
    )
    for port in ports:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            for line in resp.read().decode().splitlines():
                found = pattern.match(line)
                if found:
                    name = found[1] + (f" ({found[2]})" if found[2] else "")
                    totals[name] = totals.get(name, 0.0) + float(found[3])
    return totals


def start_node(stack: ExitStack, env: dict[str, str], webs: int, workers: int) -> list[int]:
    ports = []
    for _ in range(webs):
        port = load.free_port()
        cmd = [SOLNODE, "serve", "--no-worker", "--port", str(port)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(_stop, proc)
        load.wait_answering(f"http://127.0.0.1:{port}/.well-known/nodeinfo", proc)
        PIDS[port] = proc.pid
        ports.append(port)
    for i in range(workers):
        log = Path(env["SOLNODE_DATA_DIR"]) / f"worker-{i}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([SOLNODE, "worker"], env=env, stdout=out, stderr=out)
        stack.callback(_stop, proc)
        wait_running(proc, log)
        WORKER_PIDS.append(proc.pid)
    return ports


def wait_running(proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Wait until a `solnode worker` says it is running: on a loaded machine its start-up (a
    second or more of imports) otherwise fell inside the measured run and competed with it."""
    deadline = time.monotonic() + timeout
    while b"running" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"solnode worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


class Run:
    """The figures of one run, printed as they come."""

    def __init__(self, wrk: str, tmp: Path, seconds: float, slices: dict[str, list[bytes]]):
        self.wrk, self.tmp, self.seconds, self.slices = wrk, tmp, seconds, slices
        self.rows: list[tuple[str, dict[str, float]]] = []
        self.sent = 0.0  # requests answered 2xx by the node of the current case
        self.pg_application = ""  # application_name of the current case's database connections
        self.profile: Path | None = None  # --profile: py-spy profiles of the saturated runs
        self.gil = False

    def files(self, name: str, parts: int) -> list[Path]:
        reqs = self.slices[name]
        return [
            load.write_requests(self.tmp / f"{name}-{parts}-{i}.req", reqs[i::parts])
            for i in range(parts)
        ]

    def warm_up(self, label: str, ports: list[int]) -> None:
        """A 1 s run before the measured ones: imports, the 20 keys into the key cache (a cold
        burst from one address may get 429s from the key-fetch gate), connections."""
        n = len(ports)
        if label.startswith("inbox"):
            # Each sender's key into each process's key cache, one request at a time: a cold
            # burst from one address meets the key-fetch gate (4 lookups at once), and on a
            # loaded machine a 1 s warm-up did not always get past it (429s in the measured run)
            for i, port in enumerate(ports):
                for raw in self.slices["prime"][i * load.SENDERS : (i + 1) * load.SENDERS]:
                    status = load.send_raw(port, raw)
                    if status != 202:
                        raise SystemExit(f"{label}: priming the key cache got {status}")
        first = load.run_wrk(
            self.wrk,
            self.tmp,
            ports,
            self.files("warm", n),
            connections=64 // n,
            threads=1,
            seconds=WARM_SECONDS,
        )
        self.sent += first["requests"] - first["errors"]
        # a warm-up that wraps round re-sends ids: answered 202 as duplicates, never stored
        if first["ran_out"] and label.startswith("inbox"):
            raise SystemExit(f"{label}: the warm-up ran out of requests; raise --max-rate")

    def measure(
        self, label: str, ports: list[int], *, paced: float = 0, warm: bool = True
    ) -> dict[str, float]:
        """One wrk run (after a warm-up unless ``warm`` is False); its figures."""
        n = len(ports)
        if warm:
            self.warm_up(label, ports)
        name = "paced" if paced else "load"
        webs = [PIDS[p] for p in ports]
        backends = pg_backends(self.pg_application) if self.pg_application else []
        before = cpu_seconds(webs + WORKER_PIDS + backends)
        loop_before = loop_thread_seconds(webs)
        recording = None
        if self.profile is not None and not paced:
            recording = Recording(
                self.profile, label, webs + WORKER_PIDS, self.seconds - 0.5, gil=self.gil
            )
        try:
            res = load.run_wrk(
                self.wrk,
                self.tmp,
                ports,
                self.files(name, n),
                connections=64 // n,
                threads=1,
                seconds=self.seconds,
                rate=paced / n,
            )
        finally:
            if recording is not None:
                recording.finish()
        self.sent += res["requests"] - res["errors"]
        if res["ran_out"] and label.startswith("inbox"):
            raise SystemExit(f"{label}: the pre-signed requests ran out; raise --max-rate")
        if self.pg_application:
            backends = sorted(set(backends) | set(pg_backends(self.pg_application)))
        after = cpu_seconds(webs + WORKER_PIDS + backends)
        loop_after = loop_thread_seconds(webs)
        self.rows.append((label, res))
        print(
            f"{label:<46} {res['rate']:>8,.0f}/s  p50 {res['p50_us'] / 1000:7.1f} ms"
            f"  p99 {res['p99_us'] / 1000:7.1f} ms  errors {int(res['errors'])}",
            flush=True,
        )
        n_requests = max(res["requests"], 1)

        def per_request(pids: list[int]) -> float:
            used = sum(after[p] - before.get(p, 0.0) for p in pids if p in after)
            return used / n_requests * 1e6

        loop_used = sum(loop_after[p] - loop_before.get(p, 0.0) for p in webs if p in loop_after)
        cpu = f"  CPU a request: server {per_request(webs):,.0f} us"
        cpu += f" (its event loop's thread {loop_used / n_requests * 1e6:,.0f} us)"
        if WORKER_PIDS:
            cpu += f", workers {per_request(WORKER_PIDS):,.0f} us"
        if backends:
            cpu += f", postgres backends {per_request(backends):,.0f} us"
        print(cpu, flush=True)
        res["cpu_us"] = per_request(webs)
        return res


def pg_schema(stack: ExitStack) -> str:
    from sqlalchemy import create_engine, text

    from node.settings import normalize_database_url

    admin = create_engine(normalize_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    schema = "bench_" + uuid.uuid4().hex[:10]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    stack.callback(drop)
    base = normalize_database_url(PG_URL)
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def node_case(
    run: Run,
    tmp: Path,
    name: str,
    db: str | None,
    pems: list[str],
    *,
    webs: int = 1,
    workers: int = 0,
    paced: bool = True,
) -> float:
    with ExitStack() as stack:
        if db is not None:
            run.pg_application = "bench-" + uuid.uuid4().hex[:10]
            db += f"&application_name={run.pg_application}"
        env = node_env(tmp, name, db)
        prepare_node(env, pems)
        ports = start_node(stack, env, webs, workers)
        shape = f"{webs} web + {workers} worker" if workers else f"{webs} process"
        shape += "es" if webs > 1 and not workers else ""
        run.sent = 0
        label = f"inbox, {name} ({shape}), 64 conn"
        run.warm_up(label, ports)
        warmed = inbox_outcomes(ports)
        if workers:
            done_before = processed_jobs(env)[0]
            cpu_before = cpu_seconds(WORKER_PIDS)
        rate = run.measure(label, ports, warm=False)["rate"]
        if workers:
            done = processed_jobs(env)[0] - done_before
            used = sum(cpu_seconds(WORKER_PIDS).values()) - sum(cpu_before.values())
            print(f"  workers: {done:,} inbox jobs in the run, {used / max(done, 1) * 1e6:,.0f} us"
                  " CPU a job (their processes)")  # fmt: skip
        if paced:
            run.measure(f"inbox, {name}, 1,000/s offered", ports, paced=1000, warm=False)
        outcomes = inbox_outcomes(ports)
        rows = stored_rows(env)
        answers = ", ".join(f"{int(v):,} {k}" for k, v in sorted(outcomes.items()))
        print(f"  {rows:,} activities stored, {int(run.sent):,} answered 2xx ({answers})")
        if workers:
            done, waiting = processed_jobs(env)
            print(f"  the workers processed {done:,} of them meanwhile ({waiting:,} waiting)")
        run.pg_application = ""
        WORKER_PIDS.clear()
        if rows < run.sent:  # more is fine: requests in flight when wrk stopped
            run.rows.append((f"{name}: stored rows differ from answers", {"errors": 1}))
        # every id is sent once, so a duplicate means the pool wrapped round; a refusal after
        # the warm-up means the figure is not the receive path's
        measured = {k: v - warmed.get(k, 0.0) for k, v in outcomes.items()}
        if outcomes.get("duplicate") or any(
            v for k, v in measured.items() if not k.startswith("accepted")
        ):
            run.rows.append((f"{name}: duplicates or refusals answered", {"errors": 1}))
    return rate


def _store_row() -> dict[str, object]:
    from node.db import now_utc

    activity = f"{load.sender_actor(0)}/activities/{uuid.uuid4().hex}"
    return {
        "activity_id": activity,
        "type": "Create",
        "actor": load.sender_actor(0),
        "recipient": "bench",
        "raw": "x" * load.BODY_SIZE,
        "signer": load.sender_actor(0) + "#main-key",
        "verified_by": "http-signature:cavage",
        "received_at": now_utc(),
        "result": "",
    }


def store_step(label: str, database_url: str, tmp: Path, n: int = 2000, group: int = 64) -> None:
    """CPU time of the store step alone, in process: one transaction per row (``store``) against
    the group commit (``InboxBatch``, ``group`` rows arriving together). CPU time, not wall time:
    less at the mercy of a loaded machine, and the window's wait is not work."""
    import asyncio

    from node import migrations
    from node.db import make_engine
    from node.federation.context import NodeContext
    from node.federation.inbox.batch import InboxBatch, Row
    from node.federation.inbox.receive import store
    from node.settings import load_settings

    env = {"SOLNODE_DATABASE_URL": database_url, "SOLNODE_DATA_DIR": str(tmp / "store-step")}
    settings = load_settings(env=env)
    engine = make_engine(settings)
    migrations.upgrade(engine)
    node = NodeContext.build(settings, engine)
    batch = InboxBatch(engine, lambda one: store(node, one.values, one.created_object))

    async def batched(rows: list[Row]) -> None:
        for k in range(0, len(rows), group):
            await asyncio.gather(*(batch.store(r) for r in rows[k : k + group]))
        await batch.close()

    single = [_store_row() for _ in range(n)]
    start = time.process_time()
    for r in single:
        store(node, r, f"{r['activity_id']}/note")
    one_by_one = (time.process_time() - start) / n
    rows = [Row(r, f"{r['activity_id']}/note") for r in (_store_row() for _ in range(n))]
    start = time.process_time()
    asyncio.run(batched(rows))
    grouped = (time.process_time() - start) / n
    engine.dispose()
    print(
        f"store step, {label}: {one_by_one * 1e6:.0f} us CPU a row alone, "
        f"{grouped * 1e6:.0f} us in a group commit of {group} ({grouped / one_by_one:.2f}x)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    parser.add_argument(
        "--max-rate",
        type=float,
        default=8000,
        help="the fastest inbox rate the pre-signed pool must cover without repeating an id "
        "(requests/s; the pool is this times the warm-up and the load run, plus the paced run)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--only-scaleout",
        action="store_true",
        help="of the node runs, only 2 web + 2 worker on PostgreSQL (and the 1-process bare run)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile each saturated run's server processes with py-spy (bench/profiles.py): "
        "collapsed stacks into DIR, a summary printed; the profiler's CPU lowers those runs' rates",
    )
    parser.add_argument(
        "--gil", action="store_true", help="with --profile: only the thread holding the GIL"
    )
    args = parser.parse_args()
    wrk = load.ensure_wrk()
    from node.activitypub import keys

    pairs = [keys.generate_rsa() for _ in range(load.SENDERS)]
    # Every id once: a request sent twice is answered early as a duplicate and flatters the
    # node. Each slice covers the fastest node expected (the bare endpoint may wrap: its
    # answers do not depend on the body).
    warm = int(args.max_rate * WARM_SECONDS)
    paced = int(1000 * args.seconds * 1.2)
    size = warm + paced + int(args.max_rate * args.seconds)
    print(f"signing {size:,} requests (not timed) ...", flush=True)
    pool = load.sign_pool([p.private_pem for p in pairs], size)
    prime = load.SENDERS * 2  # one request per sender for each of (at most) two web processes
    slices = {
        "prime": pool[:prime],
        "warm": pool[prime:warm],
        "paced": pool[warm : warm + paced],
        "load": pool[warm + paced :],
    }
    pems = [p.public_pem for p in pairs]
    print("machine load (1/5/15 min):", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        run = Run(wrk, tmp, args.seconds, slices)
        run.profile, run.gil = args.profile, args.gil
        (tmp / "store-step").mkdir()
        store_step("SQLite", f"sqlite:///{tmp / 'store-step' / 'node.db'}", tmp)
        if not args.no_postgres:
            store_step("PostgreSQL", pg_schema(stack), tmp)
        bare_port = start_bare(stack, tmp)
        bare = run.measure("bare Starlette POST (1 process), 64 conn", [bare_port])["rate"]
        if not args.only_scaleout:
            sqlite = node_case(run, tmp, "sqlite", None, pems)
            print(f"ratio inbox SQLite / bare: {sqlite / bare:.2f}x   (aim >= 0.35x)")
        bare2 = 0.0
        if not args.no_postgres and not args.only_scaleout:
            pg = node_case(run, tmp, "postgresql", pg_schema(stack), pems)
            print(f"ratio inbox PostgreSQL / bare: {pg / bare:.2f}x")
            bare2 = run.measure(
                "bare Starlette POST (2 processes), 2x32 conn", [bare_port, start_bare(stack, tmp)]
            )["rate"]
            # the receive path alone on two processes, then with the processing of what is
            # received competing for the same two cores (what a deployment does)
            receive2 = node_case(
                run, tmp, "postgresql-2web", pg_schema(stack), pems, webs=2, paced=False
            )
            print(
                f"ratio 2 web (no worker) PostgreSQL / bare (1 process): {receive2 / bare:.2f}x"
                f"; / bare (2 processes): {receive2 / bare2:.2f}x"
            )
        if not args.no_postgres:
            scale = node_case(
                run,
                tmp,
                "postgresql-scaleout",
                pg_schema(stack),
                pems,
                webs=2,
                workers=2,
                paced=False,
            )
            two = f"; / bare (2 processes): {scale / bare2:.2f}x" if bare2 else ""
            print(
                f"ratio 2 web + 2 worker PostgreSQL / bare (1 process): {scale / bare:.2f}x"
                f"   (aim >= 0.40x){two}"
            )
    print("machine load (1/5/15 min):", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    bad = [label for label, res in run.rows if res["errors"]]
    if bad:
        raise SystemExit(f"errors in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
