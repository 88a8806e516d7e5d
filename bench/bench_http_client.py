"""Benchmark: fan-out POSTs through node.federation.http.HttpClient (its transport) against httpx, and the RSA floor.

Run: ``.venv/bin/python bench/bench_http_client.py [--inboxes 50] [--posts 1000]``

A child process serves N loopback inboxes (bench/inbox_servers.py: a lean httptools server,
each on its own port, answering 202), so server work does not share the client's event loop. The parent then times, for each client,
``--posts`` POSTs of a ~2 KB JSON activity spread round-robin over the inboxes with
``--concurrency`` requests in flight; every repetition starts from a fresh client (cold pool, as
a fan-out to many hosts is). It also times the RSA-2048 signing floor (one signature per
delivery) and the realistic case: our client with a draft-cavage signer on every POST.
Everything is bounded: the run is abandoned after ``--deadline`` seconds and the child exits by
itself if the parent disappears.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from yarl import URL

from bench.inbox_servers import Servers, event_activity, run_bounded
from node.activitypub.keys import generate_rsa, load_private_key
from node.federation.http import HttpClient

UA = "SolidarityNode/0.1.0 (+https://bench.invalid/)"


# ---------------------------------------------------------------------------- the workload


def make_activity() -> bytes:
    """A ~2 KB Create{Event}, about what a delivery carries."""
    return json.dumps(event_activity(), ensure_ascii=False).encode()


def make_signer(key: rsa.RSAPrivateKey) -> Callable[..., dict[str, str]]:
    """A draft-cavage signer like Mastodon's deliveries: (request-target) host date digest."""

    def sign(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        u = URL(url)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body or b"").digest()).decode()
        date = formatdate(usegmt=True)
        host = u.raw_authority
        target = f"{method.lower()} {u.raw_path_qs}"
        text = f"(request-target): {target}\nhost: {host}\ndate: {date}\ndigest: {digest}"
        signature = base64.b64encode(
            key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        ).decode()
        return {
            "Date": date,
            "Digest": digest,
            "Signature": (
                'keyId="https://org.example/actors/coop#main-key",algorithm="rsa-sha256",'
                f'headers="(request-target) host date digest",signature="{signature}"'
            ),
        }

    return sign


async def run_posts(
    post: Callable[[str], Awaitable[int]], urls: list[str], posts: int, concurrency: int
) -> tuple[float, int]:
    """Time ``posts`` POSTs round-robin over ``urls``; return (seconds, failures)."""
    gate = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(i: int) -> None:
        nonlocal failures
        async with gate:
            try:
                status = await post(urls[i % len(urls)])
            except Exception:
                failures += 1
                return
            if status != 202:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(posts)))
    return time.perf_counter() - started, failures


async def bench_ours(
    urls: list[str], body: bytes, args: argparse.Namespace, signer: Any = None
) -> tuple[float, int]:
    headers = {"Content-Type": "application/activity+json"}
    async with HttpClient(
        user_agent=UA,
        allow_hosts={"127.0.0.1"},
        connection_limit=max(100, args.concurrency),
    ) as client:

        async def post(url: str) -> int:
            return (await client.post(url, body, headers=headers, signer=signer)).status

        return await run_posts(post, urls, args.posts, args.concurrency)


async def bench_httpx(urls: list[str], body: bytes, args: argparse.Namespace) -> tuple[float, int]:
    import httpx

    headers = {"Content-Type": "application/activity+json", "User-Agent": UA}
    limits = httpx.Limits(max_connections=max(100, args.concurrency), max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def post(url: str) -> int:
            return (await client.post(url, content=body, headers=headers)).status_code

        return await run_posts(post, urls, args.posts, args.concurrency)


def signing_floor(key: rsa.RSAPrivateKey, count: int) -> float:
    """Seconds for ``count`` RSA-2048 PKCS#1 v1.5 SHA-256 signatures of a signing string."""
    text = (
        b"(request-target): post /inbox\nhost: example.org\n"
        b"date: Mon, 01 Jun 2026 16:00:00 GMT\ndigest: SHA-256=" + b"A" * 44
    )
    started = time.perf_counter()
    for _ in range(count):
        key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- reporting


def report(name: str, runs: list[tuple[float, int]], posts: int) -> float:
    times = [t for t, _ in runs]
    best = min(times)
    failures = sum(f for _, f in runs)
    print(
        f"  {name:<34} best {best:6.3f} s  median {statistics.median(times):6.3f} s"
        f"  {posts / best:7.0f} req/s  failures {failures}",
        flush=True,
    )
    return best


async def main(args: argparse.Namespace) -> None:
    servers = Servers(args.inboxes, lifetime=args.deadline + 30)
    try:
        await servers.start()
        urls = servers.urls()
        body = make_activity()
        pem = generate_rsa(2048).private_pem
        key = load_private_key(pem)
        assert isinstance(key, rsa.RSAPrivateKey)
        print(
            f"{args.posts} POSTs of {len(body)} B to {len(urls)} loopback inboxes, "
            f"concurrency {args.concurrency}, {args.repeat} runs each (fresh client per run), "
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
            flush=True,
        )
        # Each figure is printed as soon as it is measured, so a run cut by --deadline still
        # reports what it got.
        t_ours = report(
            "node.federation.http.HttpClient (http_transport)",
            [await bench_ours(urls, body, args) for _ in range(args.repeat)],
            args.posts,
        )
        t_httpx = report(
            "httpx.AsyncClient",
            [await bench_httpx(urls, body, args) for _ in range(args.repeat)],
            args.posts,
        )
        print(f"  httpx / ours (unsigned):          {t_httpx / t_ours:5.2f}x", flush=True)
        t_floor = report(
            "RSA-2048 signing floor (no I/O)",
            [(signing_floor(key, args.posts), 0) for _ in range(args.repeat)],
            args.posts,
        )
        t_signed = report(
            "HttpClient + RSA signer per POST",
            [
                await bench_ours(urls, body, args, signer=make_signer(key))
                for _ in range(args.repeat)
            ],
            args.posts,
        )
        print(f"  signed / unsigned (ours):         {t_signed / t_ours:5.2f}x")
        print(f"  signing floor / signed total:     {t_floor / t_signed:5.2f}")
    finally:
        servers.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inboxes", type=int, default=50)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=55.0, help="give up after (s)")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    run_bounded(partial(main, arguments), arguments.deadline)
