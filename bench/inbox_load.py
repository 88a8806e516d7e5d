"""Helpers of bench/bench_inbox.py: pre-signed requests, servers on loopback, `wrk` runs.

Not a benchmark itself (``make bench`` runs ``bench/bench_*.py`` only).

The load comes from Debian's ``wrk`` in its own process. Every request is pre-signed
(draft-cavage, RSA-2048, 20 sender keys the node already knows, ~2 KB bodies, unique activity
ids) and written to a file as raw HTTP; a Lua script loads the file and sends each request once.
A thread that runs out of requests starts again from its first one: those repeats would be
answered early as duplicates and flatter the node, so the script reports it and the bench
refuses the figure.

Pacing (p50/p99 at a fixed rate): wrk 4.1 has no ``-R`` (that is wrk2), so the Lua ``delay()``
hook spaces the requests of each wrk thread on a fixed schedule read from a monotonic clock
(LuaJIT ffi). wrk measures each latency from the moment the request is written, so when the
server falls behind the schedule the wait before writing is not counted: the bench prints the
achieved rate next to the percentiles, and a rate below the offered one means the percentiles
flatter the server.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SENDERS = 20
BODY_SIZE = 2048
INBOX_PATH = "/actors/bench/inbox"
# Signed with this Host; every server in the run accepts it (the node verifies the Host header
# it receives), so one pool of requests serves every port.
SIGNED_HOST = "127.0.0.1:8999"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def inbox(request):
    await request.body()
    return JSONResponse({"status": "accepted"}, status_code=202)

app = Starlette(routes=[Route("/actors/bench/inbox", inbox, methods=["POST"])])
"""

LUA_COMMON = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local file_path = os.getenv("BENCH_REQUESTS")
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  local f = assert(io.open(file_path, "rb"))
  local i = 0
  while true do
    local line = f:read("*l")
    if not line then break end
    local r = f:read(tonumber(line))
    if i % nthreads == tid then table.insert(reqs, r) end
    i = i + 1
  end
  f:close()
  idx = 0
  ran_out = 0
  interval = 0
  if rate > 0 then interval = 1000.0 * nthreads / rate end
  next_slot = 0
end

function request()
  idx = idx + 1
  if idx > #reqs then
    ran_out = 1
    idx = 1
  end
  return reqs[idx]
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  if next_slot == 0 then next_slot = now end
  local slot = next_slot
  next_slot = next_slot + interval
  if slot <= now then return 0 end
  return math.floor(slot - now)
end

function done(summary, latency, requests)
  local out = 0
  for _, t in ipairs(threads) do
    if t:get("ran_out") == 1 then out = 1 end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect":%d,' ..
    '"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"ran_out":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, out))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_answering(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until something answers at ``url`` (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        subprocess.run(["sh", str(ROOT / "tools/ensure-system-packages.sh"), "wrk:wrk"], check=True)
        wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed (Debian package wrk)")
    return wrk


def sender_actor(i: int) -> str:
    return f"http://127.0.0.1:9/users/sender{i}"


def add_known_senders(env: dict[str, str], public_pems: list[str]) -> None:
    """Cache the senders' actors and keys in the node's database (as after a first fetch), so
    a signed POST is verified without fetching a key from 127.0.0.1:9, where nothing listens."""
    from node.db import make_engine, session_scope
    from node.models import RemoteActor
    from node.settings import load_settings

    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
    engine = make_engine(settings)
    with session_scope(engine) as session:
        for i, pem in enumerate(public_pems):
            actor = sender_actor(i)
            session.add(
                RemoteActor(
                    ap_id=actor,
                    type="Person",
                    preferred_username=f"sender{i}",
                    domain="127.0.0.1:9",
                    inbox=actor + "/inbox",
                    public_key_id=actor + "#main-key",
                    public_key_pem=pem,
                    document={"id": actor},
                )
            )
    engine.dispose()


def _activity(actor: str) -> bytes:
    ident = f"{actor}/activities/{uuid.uuid4().hex}"
    doc = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": ident,
        "type": "Create",
        "actor": actor,
        "object": {
            "id": ident + "/note",
            "type": "Note",
            "attributedTo": actor,
            "content": "",
            "to": [PUBLIC],
        },
        "to": [PUBLIC],
    }
    pad = BODY_SIZE - len(json.dumps(doc)) - len("<p></p>")
    text = "Group purchasing of energy: who is in? " * (pad // 39 + 1)
    doc["object"]["content"] = f"<p>{text[: max(0, pad)]}</p>"  # type: ignore[index]
    return json.dumps(doc).encode()


def _sign_chunk(args: tuple[list[str], int, float, str]) -> list[bytes]:
    from node.activitypub import keys
    from node.activitypub.signatures.cavage import sign_cavage

    pems, count, now, host = args
    loaded = [keys.load_private_key(p) for p in pems]
    out = []
    for n in range(count):
        i = n % len(loaded)
        actor = sender_actor(i)
        body = _activity(actor)
        headers = sign_cavage(
            "POST",
            f"http://{host}{INBOX_PATH}",
            {"Content-Type": "application/activity+json"},
            body,
            key_id=actor + "#main-key",
            private_key=loaded[i],
            now=now,
        )
        head = f"POST {INBOX_PATH} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        out.append(head.encode() + body)
    return out


def sign_pool(private_pems: list[str], count: int, host: str = SIGNED_HOST) -> list[bytes]:
    """``count`` raw signed requests for ``host``, unique ids, spread over the senders."""
    now = time.time()
    chunks = 8
    per = [count // chunks + (1 if c < count % chunks else 0) for c in range(chunks)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        parts = pool.map(_sign_chunk, [(private_pems, n, now, host) for n in per])
        return [r for part in parts for r in part]


def send_raw(port: int, raw: bytes, timeout: float = 30) -> int:
    """Send one raw HTTP request to loopback ``port`` on its own connection; its status."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def write_requests(path: Path, requests: list[bytes]) -> Path:
    with path.open("wb") as f:
        for r in requests:
            f.write(b"%d\n" % len(r))
            f.write(r)
    return path


def start_wrk(
    wrk: str,
    tmp: Path,
    port: int,
    requests: Path,
    *,
    connections: int,
    threads: int,
    seconds: float,
    rate: float = 0,
) -> subprocess.Popen[str]:
    script = tmp / "inbox.lua"
    if not script.exists():
        script.write_text(LUA_COMMON)
    env = {
        **os.environ,
        "BENCH_REQUESTS": str(requests),
        "BENCH_THREADS": str(threads),
        "BENCH_RATE": str(rate),
    }
    cmd = [wrk, "-c", str(connections), "-t", str(threads), "-d", f"{seconds:g}s"]
    cmd += ["--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}{INBOX_PATH}"]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wrk_result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = proc.communicate()
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            res: dict[str, float] = json.loads(line.split(" ", 1)[1])
            res["rate"] = res["requests"] / (res["duration_us"] / 1e6)
            res["errors"] = sum(
                res[k] for k in ("status_errors", "connect", "read", "write", "timeout")
            )
            return res
    raise SystemExit(f"wrk gave no result:\n{out}")


def run_wrk(
    wrk: str, tmp: Path, ports: list[int], files: list[Path], **kw: float
) -> dict[str, float]:
    """One wrk process per port at once (each its own file); the figures summed/merged."""
    procs = [
        start_wrk(wrk, tmp, p, f, **kw)  # type: ignore[arg-type]
        for p, f in zip(ports, files, strict=True)
    ]
    results = [wrk_result(p) for p in procs]
    total = {k: sum(r[k] for r in results) for k in ("requests", "rate", "errors", "ran_out")}
    total["p50_us"] = max(r["p50_us"] for r in results)
    total["p99_us"] = max(r["p99_us"] for r in results)
    return total
