"""Loopback inboxes for the delivery benchmarks, in a child process of their own.

The child (``python bench/inbox_servers.py COUNT LIFETIME``) listens on COUNT ports of
127.0.0.1, answers every POST 202 after reading its whole body, prints its ports as one JSON
line, then answers each line on stdin with how many POSTs it has received; it exits when stdin
closes or LIFETIME seconds have passed. Running it apart keeps the servers' event loop off the
process being measured, as a remote server's would be; but on a small machine it runs on the
same cores, so it is a lean server (:class:`InboxProtocol`: httptools on uvloop, about a quarter
of the CPU per delivery that an aiohttp.web application took, measured) and the parent can
read its CPU time (:meth:`Servers.cpu_seconds`). :class:`Servers` is the parent's handle.
bench_fanout.py, bench_http_client.py and bench_deadhosts.py share it, and
:func:`event_activity`, the ~2 KB Create(Event) a delivery carries.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import cast

import httptools

MAX_BODY = 1_000_000
_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
_CLOSING = {
    202: b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    400: b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    405: b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n",
    413: b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
}


class Receipts:
    """How many POSTs the servers have received, whole."""

    def __init__(self) -> None:
        self.count = 0


class InboxProtocol(asyncio.Protocol):
    """One connection to a loopback inbox: HTTP/1.1 read by httptools (llhttp, the parser
    uvicorn uses), so bodies with Content-Length or chunked, keep-alive and pipelining are
    read as a real server reads them. Each POST read to its end is counted and answered 202;
    any other method 405, a body over MAX_BODY 413, a malformed request 400 (those three close
    the connection). The servers' CPU is on the machine the benchmarks measure, so this is
    deliberately lean: no routing, no request objects, the body counted and dropped."""

    def __init__(self, receipts: Receipts) -> None:
        self.receipts = receipts
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.body_size = 0
        self.refused: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.refused is not None:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._refuse(400)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body_size = 0

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.body_size > MAX_BODY and self.refused is None:
            self._refuse(413)

    def on_message_complete(self) -> None:
        if self.refused is not None or self.transport is None:
            return
        if self.parser.get_method() != b"POST":
            self._refuse(405)
            return
        self.receipts.count += 1
        if self.parser.should_keep_alive():
            self.transport.write(_ACCEPTED)
        else:
            self.transport.write(_CLOSING[202])
            self.transport.close()

    def _refuse(self, status: int) -> None:
        self.refused = status
        if self.transport is not None:
            self.transport.write(_CLOSING[status])
            self.transport.close()


async def serve_inboxes(count: int, lifetime: float) -> None:
    """Child: serve ``count`` inboxes, print their ports; answer "count" lines; exit on EOF."""
    receipts = Receipts()
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(lambda: InboxProtocol(receipts), "127.0.0.1", 0, backlog=1024)
        for _ in range(count)
    ]
    print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
    deadline = loop.time() + lifetime
    try:
        while loop.time() < deadline:
            line = await asyncio.wait_for(
                loop.run_in_executor(None, sys.stdin.readline), timeout=deadline - loop.time()
            )
            if not line:
                break
            print(receipts.count, flush=True)
    except TimeoutError:
        pass
    finally:
        for server in servers:
            server.close()


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

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the child has used so far, from /proc (Linux)."""
        with open(f"/proc/{self.proc.pid}/stat", "rb") as stat:
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
        if self.proc.stdout is not None:
            self.proc.stdout.close()


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


def run_bounded(
    main: Callable[[], Awaitable[None]], deadline: float, *, loop: str = "asyncio"
) -> None:
    """Run a benchmark's ``main`` under ``deadline`` seconds; past it, exit with a message
    (a benchmark never hangs ``make bench``). ``loop`` is "asyncio" or "uvloop" (the loop
    `solnode serve` runs the web app and its worker on)."""

    async def bounded() -> None:
        async with asyncio.timeout(deadline):
            await main()

    try:
        if loop == "uvloop":
            import uvloop

            uvloop.run(bounded())
        else:
            asyncio.run(bounded())
    except TimeoutError:
        sys.exit(f"benchmark abandoned after {deadline:g} s")


if __name__ == "__main__":
    # uvloop, as `solnode serve` runs: the servers stand for other machines, so the less of
    # the shared cores they take, the more the figures are the node's own.
    import uvloop

    uvloop.run(serve_inboxes(int(sys.argv[1]), lifetime=float(sys.argv[2])))
