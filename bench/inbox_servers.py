"""Loopback inboxes for the delivery benchmarks, in a child process of their own.

The child (``python bench/inbox_servers.py COUNT LIFETIME``) listens on COUNT ports of
127.0.0.1, answers every POST 202 after reading its body, prints its ports as one JSON line,
then answers each line on stdin with how many POSTs it has received; it exits when stdin
closes or LIFETIME seconds have passed. Running it apart keeps the servers' CPU off the
process being measured, as a remote server's would be. :class:`Servers` is the parent's
handle. bench_fanout.py, bench_http_client.py and bench_deadhosts.py share it, and
:func:`event_activity`, the ~2 KB Create(Event) a delivery carries.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable


async def serve_inboxes(count: int, lifetime: float) -> None:
    """Child: serve ``count`` inboxes, print their ports; answer "count" lines; exit on EOF."""
    from aiohttp import web

    received = 0

    async def inbox(request: web.Request) -> web.Response:
        nonlocal received
        await request.read()
        received += 1
        return web.Response(status=202)

    app = web.Application(client_max_size=1_000_000)
    app.router.add_post("/{tail:.*}", inbox)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    for _ in range(count):
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    print(json.dumps([addr[1] for addr in runner.addresses]), flush=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    try:
        while loop.time() < deadline:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, sys.stdin.readline), timeout=deadline - loop.time()
            )
            if not line:
                break
            print(received, flush=True)
    except TimeoutError:
        pass
    finally:
        await runner.cleanup()


class Servers:
    """The parent's handle on the child process: its ports, and how many POSTs it received."""

    def __init__(self, count: int, lifetime: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(count), str(lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ports: list[int] = []

    async def start(self) -> None:
        self.ports = json.loads(await asyncio.wait_for(self._readline(), timeout=20))

    def urls(self, path: str = "/inbox") -> list[str]:
        return [f"http://127.0.0.1:{port}{path}" for port in self.ports]

    async def received(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(await asyncio.wait_for(self._readline(), timeout=10))

    async def _readline(self) -> str:
        assert self.proc.stdout is not None
        return await asyncio.to_thread(self.proc.stdout.readline)

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def event_activity(n: int = 0, origin: str = "https://org.example") -> dict[str, object]:
    """A ~2 KB Create(Event) by ``origin``'s co-op, about what a delivery carries; ``n`` makes
    its ids unique."""
    summary = "Assemblée générale de la coopérative, ordre du jour et inscription. " * 20
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"timezone": "schema:timezone"}],
        "id": f"{origin}/activities/bench-{n}",
        "type": "Create",
        "actor": f"{origin}/actors/coop",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{origin}/actors/coop/followers"],
        "object": {
            "id": f"{origin}/items/bench-{n}",
            "type": "Event",
            "name": "Assemblée générale",
            "summary": summary,
            "startTime": "2026-06-01T18:00:00+02:00",
            "endTime": "2026-06-01T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "location": {"type": "Place", "name": "Maison des associations"},
        },
    }


def run_bounded(main: Callable[[], Awaitable[None]], deadline: float) -> None:
    """Run a benchmark's ``main`` under ``deadline`` seconds; past it, exit with a message
    (a benchmark never hangs ``make bench``)."""

    async def bounded() -> None:
        async with asyncio.timeout(deadline):
            await main()

    try:
        asyncio.run(bounded())
    except TimeoutError:
        sys.exit(f"benchmark abandoned after {deadline:g} s")


if __name__ == "__main__":
    asyncio.run(serve_inboxes(int(sys.argv[1]), lifetime=float(sys.argv[2])))
