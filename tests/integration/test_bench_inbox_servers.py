"""The delivery benchmarks' loopback inboxes (bench/inbox_servers.py) are a lean HTTP server of
their own, so that they take little of the cores the benchmarks measure. Their figures mean
something only if they still behave as an inbox: every POST read to its end (Content-Length,
chunked, several on one kept-alive connection) answered 202 and counted once; nothing else
counted. Here the child process is started for real and spoken to over real sockets, and by
the node's own HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bench.inbox_servers import MAX_BODY, Servers
from node.federation.http import HttpClient


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    running = Servers(2, lifetime=120)
    try:
        await running.start()
        yield running
    finally:
        running.stop()


async def _exchange(port: int, data: bytes, answers: int) -> list[bytes]:
    """Write ``data`` on one connection and read ``answers`` response heads (bodies are empty)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        heads = []
        for _ in range(answers):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            heads.append(head)
        return heads
    finally:
        writer.close()


def _post(port: int, body: bytes, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return (
        b"POST /inbox HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/activity+json\r\n"
        b"%sContent-Length: %d\r\n\r\n" % (port, connection, len(body))
    ) + body


async def test_every_whole_post_is_answered_202_and_counted_once(servers: Servers) -> None:
    port, other = servers.ports
    body = b'{"type": "Create", "id": "https://org.example/activities/1"}' * 40
    assert await servers.received() == 0

    # Two requests written at once on one kept-alive connection (pipelined): two answers.
    heads = await _exchange(port, _post(port, body) + _post(port, body), 2)
    assert all(h.startswith(b"HTTP/1.1 202 ") for h in heads)
    assert b"connection: close" not in heads[0].lower()

    # A chunked body, split over several chunks.
    chunked = (
        b"POST /users/u1/inbox HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10\r\n"
        + body[:16]
        + b"\r\n"
        + b"%x\r\n" % (len(body) - 16)
        + body[16:]
        + b"\r\n0\r\n\r\n"
    )
    assert (await _exchange(other, chunked, 1))[0].startswith(b"HTTP/1.1 202 ")

    # Asking to close: answered, then closed.
    head = (await _exchange(other, _post(other, body, close=True), 1))[0]
    assert head.startswith(b"HTTP/1.1 202 ") and b"connection: close" in head.lower()

    # The node's own client (aiohttp, as deliveries send) gets 202 too.
    async with HttpClient(user_agent="test", allow_hosts={"127.0.0.1"}) as http:
        response = await http.post(f"http://127.0.0.1:{port}/inbox", body)
    assert response.status == 202

    assert await servers.received() == 5


async def test_what_is_not_a_whole_post_is_refused_and_not_counted(servers: Servers) -> None:
    port = servers.ports[0]
    get = b"GET /inbox HTTP/1.1\r\nHost: x\r\n\r\n"
    assert (await _exchange(port, get, 1))[0].startswith(b"HTTP/1.1 405 ")
    assert (await _exchange(port, b"NOT HTTP AT ALL\r\n\r\n", 1))[0].startswith(b"HTTP/1.1 400 ")
    too_big = _post(port, b"x" * (MAX_BODY + 1))
    assert (await _exchange(port, too_big, 1))[0].startswith(b"HTTP/1.1 413 ")

    # A body cut short is not a receipt: the server is still waiting for the rest.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(port, b"x" * 100)[:-10])
    await writer.drain()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=0.3)
    writer.close()

    assert await servers.received() == 0
    assert servers.cpu_seconds() > 0
