"""Memory of `solnode serve`: idle with the demo loaded, and after minutes of mixed load.

1. `solnode init` + `solnode demo` (+ one organization, ``bench``, that knows 20 sender keys)
   in a temporary data dir (SQLite), then `solnode serve` (web + in-process worker) in its own
   process on a free loopback port. Once `/readyz` answers 200 and 5 s have passed, the idle
   figures: RSS (``VmRSS`` of /proc/PID/status), PSS (``Pss`` of /proc/PID/smaps_rollup,
   shared library pages split between the processes mapping them) and anonymous memory (the
   heaps, Python's arenas, thread stacks: RSS less the mapped files), in MiB; again 30 s
   after `/readyz` ("settled": the start-up deliveries' idle threads have ended and the node
   has returned freed heap, node/heap.py).
2. The modules `import node.app` loads, counted in a separate interpreter of the same
   environment (nothing is exposed by the node for it), and where their memory goes: the RSS
   each of the heavy libraries adds, imported one after the other in the order the node
   loads them, then the node's own modules (``IMPORT_STEPS``).
3. The floor, measured in the same run: a bare Starlette app under uvicorn (uvloop, httptools,
   one process, the app of bench/inbox_load.py) after one request; the node's ratio to it.
4. Mixed load from separate processes for ``--minutes`` (default 10): a Python client (4
   threads) requesting every page, feed, calendar and ActivityStreams document reachable from
   the front page (a crawl of the node's own links, done once before the clock starts), and
   Debian's `wrk` sending pre-signed inbox POSTs (draft-cavage, 20 senders, unique ids, see
   bench/inbox_load.py) at ``--inbox-rate`` a second, which the in-process worker then
   processes. RSS is sampled every 15 s; the figures after the load (and its peak) are printed.
   ``--minutes 0`` stops after the idle figures (a minute instead of eleven).

``--arena-max N`` starts the node with ``MALLOC_ARENA_MAX=N`` (glibc), to compare.

    python bench/bench_memory.py [--minutes 10 | --minutes 0] [--inbox-rate 20] [--arena-max N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox_load as load  # noqa: E402

SOLNODE = str(Path(sys.executable).with_name("solnode"))
CRAWL_LIMIT = 400
SKIP = ("/workspace", "/static/", "/media/", "/search", "/register", "/login", "/logout")
HREF = re.compile(r"""href="([^"#]+)""")


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and anonymous memory of a process in MiB, and its thread count."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1]) / 1024
        elif line.startswith("Threads:"):
            out["threads"] = int(line.split()[1])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            out["pss"] = int(line.split()[1]) / 1024
        elif line.startswith("Anonymous:"):
            out["anon"] = int(line.split()[1]) / 1024
    return out


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _env(tmp: Path, port: int, arena_max: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLNODE_")}
    env.update(
        # the code of this checkout, whichever checkout the environment was installed from
        PYTHONPATH=str(ROOT),
        SOLNODE_BASE_URL=f"http://127.0.0.1:{port}",
        SOLNODE_DATA_DIR=str(tmp / "node"),
        SOLNODE_SECRET_KEY="bench-" + uuid.uuid4().hex,
        SOLNODE_ALLOW_HOSTS="127.0.0.1",
        SOLNODE_LOG_LEVEL="warning",
        SOLNODE_RATE_LIMIT_INBOX_HOST="off",
        SOLNODE_RATE_LIMIT_INBOX_IP="off",
    )
    if arena_max:
        env["MALLOC_ARENA_MAX"] = str(arena_max)
    return env


def prepare(env: dict[str, str], public_pems: list[str]) -> None:
    for cmd in (["init"], ["demo"], ["org", "create", "bench", "--name", "Bench Co-op"]):
        subprocess.run([SOLNODE, *cmd], env=env, check=True, capture_output=True)
    load.add_known_senders(env, public_pems)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} never answered 200")


def modules_loaded(env: dict[str, str]) -> int:
    probe = "import sys, node.app; print(len(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


# What `solnode serve` loads, in the order it loads it: each step's RSS is what importing it adds
# in a fresh interpreter after the steps above it (a library shared by two steps counts in the
# first). The last step is the node's own modules and what only they import.
IMPORT_STEPS = (
    ("the interpreter", ""),
    ("uvloop + asyncio", "uvloop"),
    ("SQLAlchemy (Core + ORM)", "sqlalchemy.orm"),
    ("pydantic + SQLModel", "sqlmodel"),
    ("cryptography (RSA, Ed25519)", "cryptography.hazmat.primitives.asymmetric.rsa"),
    ("Starlette, Jinja2, uvicorn, httptools", "starlette.applications, jinja2, uvicorn"),
    ("Babel", "babel.dates"),
    ("prometheus_client", "prometheus_client"),
    ("the node's modules (node.app) and the rest", "node.app"),
)
_STEPS_PROBE = """
import importlib, json, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
out = []
for label, names in json.loads(sys.argv[1]):
    for name in filter(None, (n.strip() for n in names.split(","))):
        importlib.import_module(name)
    out.append((label, rss(), len(sys.modules)))
print(json.dumps(out))
"""


def import_steps(env: dict[str, str]) -> list[tuple[str, float, int]]:
    """(step, RSS in MiB after it, modules loaded) for IMPORT_STEPS, in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _STEPS_PROBE, json.dumps(IMPORT_STEPS)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [(label, rss, mods) for label, rss, mods in json.loads(out.stdout)]


def show_steps(steps: list[tuple[str, float, int]]) -> None:
    print("where `import node.app` puts its memory (RSS each step adds, fresh interpreter):")
    before_rss, before_mods = 0.0, 0
    for label, rss, mods in steps:
        print(f"  {label:<44} +{rss - before_rss:5.1f} MiB  (+{mods - before_mods:4d} modules)")
        before_rss, before_mods = rss, mods
    print(f"  {'total':<44}  {before_rss:5.1f} MiB   ({before_mods:4d} modules)", flush=True)


def bare_floor(stack: ExitStack, tmp: Path) -> dict[str, float]:
    (tmp / "bare_app.py").write_text(load.BARE_APP)
    port = load.free_port()
    cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port)]
    cmd += ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(_stop, proc)
    load.wait_answering(f"http://127.0.0.1:{port}{load.INBOX_PATH}", proc)
    time.sleep(2)
    return memory(proc.pid)


def crawl(port: int) -> list[str]:
    """Paths reachable from the front page (same host), the feeds and calendars they link."""
    base = f"http://127.0.0.1:{port}"
    seen: list[str] = []
    queue = ["/", "/.well-known/nodeinfo", "/actors/bench", "/actors/bench/outbox"]
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in seen or path.startswith(SKIP):
            continue
        try:
            with urllib.request.urlopen(base + path, timeout=10) as r:
                kind = r.headers.get("Content-Type", "")
                body = r.read().decode("utf-8", "replace")
        except OSError:  # HTTPError included: a link may need a sign-in
            continue
        seen.append(path)
        if "html" not in kind:
            continue
        for href in HREF.findall(body):
            url = urllib.parse.urlsplit(href.replace("&amp;", "&"))
            if url.netloc and url.netloc != f"127.0.0.1:{port}":
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target.startswith("/") and target not in seen:
                queue.append(target)
    return seen


DRIVER = """
import sys, threading, time, urllib.request, urllib.error
base, seconds, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
end = time.monotonic() + seconds
counts = {"ok": 0, "error": 0}
def run(offset):
    i = offset
    while time.monotonic() < end:
        path = paths[i % len(paths)]
        i += 1
        accept = "application/activity+json" if i % 5 == 0 else "text/html"
        req = urllib.request.Request(base + path, headers={"Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
            counts["ok"] += 1
        except urllib.error.HTTPError as e:
            counts["ok" if e.code < 500 else "error"] += 1
        except OSError:
            counts["error"] += 1
threads = [threading.Thread(target=run, args=(k * 7,)) for k in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(counts["ok"], counts["error"])
"""


def first_answer(port: int, raw: bytes) -> bytes:
    """Send one pre-signed request; the node's status line and body (a check before the load)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def mixed_load(
    port: int, pid: int, paths: list[str], seconds: float, inbox: Path | None, rate: float
) -> tuple[dict[str, float], dict[str, float], str]:
    """Drive the node; sample its memory every 15 s. Returns (after, peak, summary)."""
    base = f"http://127.0.0.1:{port}"
    pages = subprocess.Popen(
        [sys.executable, "-c", DRIVER, base, str(seconds), *paths],
        stdout=subprocess.PIPE,
        text=True,
    )
    wrk = None
    if inbox is not None:
        wrk = load.start_wrk(
            load.ensure_wrk(),
            inbox.parent,
            port,
            inbox,
            connections=2,
            threads=1,
            seconds=seconds,
            rate=rate,
        )
    peak = {"rss": 0.0, "pss": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(15):
            now = memory(pid)
            peak.update({k: max(peak[k], now[k]) for k in peak})

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = pages.communicate()
    ok, errors = (int(x) for x in out.split())
    summary = f"{ok:,} page/feed/document requests answered ({errors} errors)"
    if wrk is not None:
        res = load.wrk_result(wrk)
        summary += f", {int(res['requests']):,} inbox POSTs ({int(res['errors'])} errors)"
    stop.set()
    sampler.join()
    time.sleep(5)  # the worker finishes the inbox jobs it holds
    after = memory(pid)
    peak = {k: max(peak[k], after[k]) for k in peak}
    return after, peak, summary


def show(label: str, m: dict[str, float]) -> None:
    line = f"{label:<48} RSS {m['rss']:6.1f} MiB   PSS {m['pss']:6.1f} MiB"
    if "anon" in m:
        line += f"   anonymous {m['anon']:6.1f} MiB   {m['threads']:.0f} threads"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="length of the mixed load (0: idle only)"
    )
    parser.add_argument("--inbox-rate", type=float, default=20.0, help="inbox POSTs a second")
    parser.add_argument("--arena-max", type=int, help="MALLOC_ARENA_MAX for the node process")
    args = parser.parse_args()
    seconds = args.minutes * 60
    from node.activitypub import keys

    pairs = [keys.generate_rsa() for _ in range(load.SENDERS)]
    count = int(seconds * args.inbox_rate * 1.1) + 10
    if seconds:
        print(f"signing {count:,} inbox requests (not timed) ...", flush=True)
    port = load.free_port()
    host = f"127.0.0.1:{port}"
    signed = args.inbox_rate and seconds
    pool = load.sign_pool([p.private_pem for p in pairs], count, host) if signed else []
    with tempfile.TemporaryDirectory() as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        env = _env(tmp, port, args.arena_max)
        print(f"modules loaded by `import node.app`: {modules_loaded(env)}", flush=True)
        show_steps(import_steps(env))
        floor = bare_floor(stack, tmp)
        show("bare Starlette + uvicorn (the floor)", floor)
        prepare(env, [p.public_pem for p in pairs])
        proc = subprocess.Popen(
            [SOLNODE, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, proc)
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        ready = time.monotonic()
        time.sleep(5)
        idle = memory(proc.pid)
        arenas = f", MALLOC_ARENA_MAX={args.arena_max}" if args.arena_max else ""
        show(f"solnode serve, demo loaded, idle{arenas}", idle)
        time.sleep(max(0.0, ready + 30 - time.monotonic()))
        settled = memory(proc.pid)
        show("the same, settled (30 s after ready)", settled)
        ratios = f"{idle['rss'] / floor['rss']:.2f}x, settled {settled['rss'] / floor['rss']:.2f}x"
        print(f"ratio to the floor: RSS {ratios}", flush=True)
        if not seconds:
            print("machine load (1/5/15 min):", " ".join(f"{x:.1f}" for x in os.getloadavg()))
            return
        paths = crawl(port)
        print(f"crawled {len(paths)} paths; load for {args.minutes:g} min ...", flush=True)
        if pool:
            answer = first_answer(port, pool.pop())
            if not answer.startswith(b"HTTP/1.1 202"):
                raise SystemExit(f"a signed inbox POST was refused: {answer[:400]!r}")
        inbox = load.write_requests(tmp / "inbox.req", pool) if pool else None
        after, peak, summary = mixed_load(port, proc.pid, paths, seconds, inbox, args.inbox_rate)
        print(summary)
        show(f"after {args.minutes:g} min of mixed load", after)
        show("peak during the load (15 s samples)", peak)
        print(f"ratio to the floor after load: RSS {after['rss'] / floor['rss']:.2f}x")
    print("machine load (1/5/15 min):", " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
