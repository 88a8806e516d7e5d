"""The node's edge over real HTTP: forwarded client addresses, read deadlines, small leaks.

Issue 15, items 5, 13 and 21. Each test runs a real `solnode serve` on a loopback port; clients
bind other 127.0.0.x source addresses to play a reverse proxy and a direct visitor.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tests.harness.nodes import NodeFactory, NodeProcess, wait_until

pytestmark = [pytest.mark.integration]

PROXY, STRANGER = "127.0.0.2", "127.0.0.3"


def _client(source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(transport=transport, timeout=10)


def _api_status(client: httpx.Client, node: NodeProcess, forwarded_for: str) -> int:
    # No token: the per-address API limit is taken before the token is looked at (401 or 429).
    answer = client.get(
        f"{node.base_url}/api/v1/followers", headers={"X-Forwarded-For": forwarded_for}
    )
    return answer.status_code


def test_trusted_proxies_give_each_real_client_its_own_bucket(node_factory: NodeFactory) -> None:
    node = node_factory(SOLNODE_TRUSTED_PROXIES=f"{PROXY}/32, ::1", SOLNODE_RATE_LIMIT_API="2/3600")
    node.start()
    with _client(PROXY) as proxy, _client(STRANGER) as stranger:
        # Behind the trusted proxy, each forwarded client has its own bucket.
        assert [_api_status(proxy, node, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
        assert _api_status(proxy, node, "203.0.113.2") == 401
        # From an address that is not a proxy the header is ignored: changing it does not help.
        assert [_api_status(stranger, node, f"198.51.100.{i}") for i in range(3)] == [
            401,
            401,
            429,
        ]


HEADER_TIMEOUT, BODY_TIMEOUT = 2, 2
TRICKLERS = 60


async def _trickle(port: int, source: str, head: bytes, gap: float, limit: float) -> str:
    """Open a connection and send ``head`` then one byte per ``gap`` s; how it ended."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    try:
        writer.write(head)
        await writer.drain()
        while loop.time() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=gap)
            except TimeoutError:
                writer.write(b"x")
                await writer.drain()
                continue
            if not data:
                return "closed"
            return "answered:" + data.split(b"\r\n", 1)[0].decode("latin1")
        return "still open"
    except (ConnectionError, OSError):
        return "closed"
    finally:
        writer.close()


async def _slow_loris(node: NodeProcess) -> tuple[list[str], int]:
    header_head = b"GET / HTTP/1.1\r\nHost: x\r\nX-a: "
    body_head = (
        b"POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/activity+json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    tasks = [
        asyncio.create_task(
            _trickle(node.port, "127.0.0.4", header_head if i % 2 else body_head, 0.5, 40)
        )
        for i in range(TRICKLERS)
    ]
    await asyncio.sleep(1)  # all of them are connected and trickling
    async with httpx.AsyncClient(timeout=10) as client:
        normal = (await client.get(f"{node.base_url}/.well-known/nodeinfo")).status_code
    return list(await asyncio.gather(*tasks)), normal


def test_trickling_connections_are_cut_off_by_the_read_deadlines(
    node_factory: NodeFactory,
) -> None:
    node = node_factory(
        SOLNODE_HEADER_TIMEOUT=str(HEADER_TIMEOUT), SOLNODE_BODY_TIMEOUT=str(BODY_TIMEOUT)
    )
    node.start()
    endings, normal = asyncio.run(_slow_loris(node))
    assert normal == 200
    # Every trickler was cut off (closed, or answered 408) well before the 40 s it would go on.
    assert "still open" not in endings, endings
    assert all(e == "closed" or e.startswith("answered:HTTP/1.1 408") for e in endings), endings
    assert node.proc is not None
    log = node.proc.log_text(current_run=True)
    assert "Traceback" not in log and "unhandled error" not in log


def test_a_client_gone_mid_body_is_a_quiet_log_line_not_a_500(node_factory: NodeFactory) -> None:
    node = node_factory()
    node.start()
    with socket.create_connection(("127.0.0.1", node.port)) as sock:
        sock.sendall(
            b"POST /inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/activity+json\r\n"
            b'Content-Length: 1000\r\n\r\n{"type":'
        )
    assert node.proc is not None
    proc = node.proc
    log = wait_until(
        lambda: (
            (t := proc.log_text(current_run=True))
            and ("client went away" in t or "Traceback" in t)
            and t
        ),
        timeout=15,
        what="the disconnect in the log",
    )
    assert "Traceback" not in log
    assert "unhandled error" not in log


def test_links_use_the_base_url_never_the_requests_host(node_factory: NodeFactory) -> None:
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    page = httpx.get(
        f"{node.base_url}/@riverside/events?lang=en",
        headers={"Host": "evil.example"},
        timeout=10,
    )
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert f"{node.base_url}/@riverside/events" in page.text


def test_every_answer_says_nosniff(node_factory: NodeFactory) -> None:
    node = node_factory()
    node.cli("org", "create", "riverside", "--name", "Riverside Food Co-op")
    node.start()
    for path in (
        "/.well-known/nodeinfo",
        "/api/openapi.json",
        "/@riverside/feed.json",
        "/@riverside/feed.rss",
        "/@riverside/calendar.ics",
        "/actors/riverside",
        "/no-such-page",
    ):
        answer = httpx.get(f"{node.base_url}{path}", timeout=10)
        assert answer.headers.get("x-content-type-options") == "nosniff", (path, answer.status_code)
