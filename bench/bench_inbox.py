"""Inbox throughput: signed POSTs verified + stored + 202, against a bare Starlette POST endpoint.

Both servers run as `uvicorn` processes with the same settings (one worker, uvloop, httptools);
the client is an aiohttp session with a fixed concurrency, in this process. Requests are signed
before the clock starts, so the figures are the server's. Prints both rates and the ratio.

    python bench/bench_inbox.py [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from node.activitypub import keys  # noqa: E402
from node.activitypub.signatures.cavage import sign_cavage  # noqa: E402

BARE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def inbox(request):
        await request.body()
        return JSONResponse({"status": "accepted"}, status_code=202)

    app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])
    """
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def wait_http_any(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until something answers at ``url`` (any status)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def start_node(tmp: Path, port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {
        **os.environ,
        "SOLNODE_BASE_URL": f"http://127.0.0.1:{port}",
        "SOLNODE_DATA_DIR": str(tmp / "data"),
        "SOLNODE_ALLOW_HOSTS": "127.0.0.1",
        "SOLNODE_LOG_LEVEL": "warning",
        # one sender posting thousands of times a second is what rate limits are for;
        # here it is the measurement, so they are off
        "SOLNODE_RATE_LIMIT_INBOX_HOST": "off",
        "SOLNODE_RATE_LIMIT_INBOX_IP": "off",
    }
    solnode = str(Path(sys.executable).with_name("solnode"))
    subprocess.run([solnode, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [solnode, "org", "create", "bench", "--name", "Bench Co-op"],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [solnode, "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, env


def seed_sender(env: dict[str, str], actor: str, public_pem: str) -> None:
    """Cache the sender's actor and key, as after a first fetch, so no request fetches."""
    from node.db import make_engine, session_scope
    from node.models import RemoteActor
    from node.settings import load_settings

    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
    engine = make_engine(settings)
    with session_scope(engine) as session:
        session.add(
            RemoteActor(
                ap_id=actor,
                type="Person",
                preferred_username="sender",
                domain="127.0.0.1:9",
                inbox=actor + "/inbox",
                public_key_id=actor + "#main-key",
                public_key_pem=public_pem,
                document={"id": actor},
            )
        )
    engine.dispose()


def signed_requests(
    n: int, url: str, actor: str, private_pem: str
) -> list[tuple[bytes, dict[str, str]]]:
    key = keys.load_private_key(private_pem)
    out = []
    now = time.time()
    for _ in range(n):
        ident = f"{actor}/activities/{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": ident,
                "type": "Create",
                "actor": actor,
                "object": {
                    "id": ident + "/note",
                    "type": "Note",
                    "attributedTo": actor,
                    "content": "<p>Group purchasing of energy: who is in?</p>",
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                },
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            }
        ).encode()
        headers = sign_cavage(
            "POST",
            url,
            {"Content-Type": "application/activity+json"},
            body,
            key_id=actor + "#main-key",
            private_key=key,
            now=now,
        )
        out.append((body, headers))
    return out


async def blast(
    url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int
) -> tuple[float, dict[int, int]]:
    statuses: dict[int, int] = {}
    queue = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while queue:
                body, headers = queue.pop()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        bare_port, node_port = free_port(), free_port()
        (tmp / "bare_app.py").write_text(BARE_APP)
        bare = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(bare_port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        node, env = start_node(tmp, node_port)
        try:
            pair = keys.generate_rsa()
            actor = "http://127.0.0.1:9/users/sender"
            seed_sender(env, actor, pair.public_pem)
            wait_http(f"http://127.0.0.1:{node_port}/.well-known/nodeinfo", node)
            time.sleep(1.0)  # the bare app answers GET with 405 only once it is up
            wait_http_any(f"http://127.0.0.1:{bare_port}/inbox", bare)
            inbox = f"http://127.0.0.1:{node_port}/actors/bench/inbox"
            print(f"signing {args.requests} requests (not timed) ...", flush=True)
            node_reqs = signed_requests(args.requests, inbox, actor, pair.private_pem)
            warm = signed_requests(200, inbox, actor, pair.private_pem)
            bare_reqs = [
                (b, h)
                for b, h in signed_requests(
                    args.requests, f"http://127.0.0.1:{bare_port}/inbox", actor, pair.private_pem
                )
            ]
            asyncio.run(blast(inbox, warm, args.concurrency))
            asyncio.run(
                blast(f"http://127.0.0.1:{bare_port}/inbox", bare_reqs[:200], args.concurrency)
            )
            bare_s, bare_status = asyncio.run(
                blast(f"http://127.0.0.1:{bare_port}/inbox", bare_reqs, args.concurrency)
            )
            node_s, node_status = asyncio.run(blast(inbox, node_reqs, args.concurrency))
        finally:
            for proc in (bare, node):
                proc.terminate()
                proc.wait(timeout=10)
    bare_rate = args.requests / bare_s
    node_rate = args.requests / node_s
    print(
        f"bare Starlette POST  : {args.requests} in {bare_s:.2f} s = {bare_rate:,.0f} req/s  {bare_status}"
    )
    print(
        f"inbox verify+store   : {args.requests} in {node_s:.2f} s = {node_rate:,.0f} req/s  {node_status}"
    )
    print(f"ratio inbox / bare   : {node_rate / bare_rate:.2f}x   (aim: >= 0.35x)")
    if node_status != {202: args.requests}:
        raise SystemExit("not every signed POST was accepted: the benchmark is invalid")


if __name__ == "__main__":
    main()
