"""The outbound HTTP client: what a hostile or broken remote server can and cannot make it do.

Every server here listens on 127.0.0.1 (ephemeral port) and only "127.0.0.1" or a faked name is
allow-listed. Blocked destinations are other loopback addresses (127.0.0.2, ::1) or names whose
DNS answers are faked by the injected resolver; the autouse ``connects`` fixture records every
connection attempt and fails the test if one ever targets anything but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from node.federation.address_guard import resolve_vetted
from node.federation.http import FetchError, HttpClient, is_blocked_address
from tests.unit.http_client_support import LOOPBACK, UA, FakeDns, make_client, record_connects

# ---------------------------------------------------------------------------- fixtures, helpers


@pytest.fixture(autouse=True)
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connection attempt of the test, any but to 127.0.0.1 refused."""
    return record_connects(monkeypatch)


@asynccontextmanager
async def serve(routes: list[web.RouteDef]) -> AsyncIterator[str]:
    """Run an aiohttp.web app on 127.0.0.1 and yield its base URL (no trailing slash)."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        await runner.cleanup()


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_serve(handler: RawHandler) -> AsyncIterator[str]:
    """Run a bare asyncio TCP server on 127.0.0.1, for answers aiohttp.web will not produce."""

    tasks: set[asyncio.Task[Any]] = set()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, LOOPBACK, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.close()
        for task in tasks:  # Python 3.11 has no Server.close_clients()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def expect_fetch_error(reason: str, call: Awaitable[Any]) -> FetchError:
    with pytest.raises(FetchError) as info:
        await call
    assert info.value.reason == reason, str(info.value)
    assert str(info.value)  # a message a human can read in the logs
    return info.value


# ---------------------------------------------------------------------------- ordinary traffic


async def test_get_returns_status_case_insensitive_headers_body_and_json() -> None:
    async def actor(request: web.Request) -> web.Response:
        return web.json_response(
            {"id": "https://org.test/actor"},
            content_type="application/activity+json",
            headers={"X-Thing": "1"},
        )

    async with serve([web.get("/actor", actor)]) as base, make_client() as client:
        response = await client.get(f"{base}/actor")

    assert response.status == 200
    assert response.url == f"{base}/actor"
    assert response.headers["content-type"].startswith("application/activity+json")
    assert response.headers["X-THING"] == "1"
    assert response.json() == {"id": "https://org.test/actor"}


async def test_user_agent_and_caller_headers_are_sent() -> None:
    seen: dict[str, str] = {}

    async def echo(request: web.Request) -> web.Response:
        seen.update(request.headers)
        return web.Response(text="ok")

    async with serve([web.get("/", echo)]) as base, make_client() as client:
        await client.get(f"{base}/", headers={"Accept": "application/activity+json"})

    assert seen["User-Agent"] == UA
    assert seen["Accept"] == "application/activity+json"


async def test_post_delivers_the_body_byte_for_byte() -> None:
    body = os.urandom(2048) + "é\u2028".encode()
    received: list[tuple[bytes, str]] = []

    async def inbox(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers["Content-Type"]))
        return web.Response(status=202)

    async with serve([web.post("/inbox", inbox)]) as base, make_client() as client:
        response = await client.post(
            f"{base}/inbox", body, headers={"Content-Type": "application/activity+json"}
        )

    assert response.status == 202
    assert received == [(body, "application/activity+json")]


async def test_post_returns_a_redirect_as_is_without_following_it() -> None:
    hits: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        hits.append("moved")
        raise web.HTTPPermanentRedirect("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        hits.append("elsewhere")
        return web.Response(status=202)

    routes = [web.post("/inbox", moved), web.post("/elsewhere", elsewhere)]
    async with serve(routes) as base, make_client() as client:
        response = await client.post(f"{base}/inbox", b"{}")

    assert response.status == 308
    assert response.headers["Location"] == "/elsewhere"
    assert hits == ["moved"]


async def test_error_statuses_are_responses_not_exceptions() -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410, text="gone")

    async with serve([web.get("/", gone)]) as base, make_client() as client:
        response = await client.get(f"{base}/")

    assert (response.status, response.body) == (410, b"gone")


async def test_gzip_body_is_decompressed() -> None:
    async def zipped(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(b'{"a": 1}'), headers={"Content-Encoding": "gzip"})

    async with serve([web.get("/", zipped)]) as base, make_client() as client:
        assert (await client.get(f"{base}/")).json() == {"a": 1}


async def test_invalid_json_raises_bad_json() -> None:
    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>not json</html>")

    async with serve([web.get("/", html)]) as base, make_client() as client:
        response = await client.get(f"{base}/")
    with pytest.raises(FetchError) as info:
        response.json()
    assert (info.value.reason, info.value.url) == ("bad_json", f"{base}/")


# ---------------------------------------------------------------------------- redirects, signing


async def test_get_follows_a_relative_redirect_and_signs_each_hop_for_its_url() -> None:
    signed_at_server: dict[str, str] = {}
    signer_calls: list[tuple[str, str, bytes | None]] = []

    def signer(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        signer_calls.append((method, url, body))
        assert headers["User-Agent"] == UA
        return {**headers, "Signature": f"signed {url}"}

    async def old(request: web.Request) -> web.Response:
        signed_at_server[request.path] = request.headers["Signature"]
        raise web.HTTPFound("../users/new?x=1")

    async def new(request: web.Request) -> web.Response:
        signed_at_server[request.path] = request.headers["Signature"]
        return web.json_response({"ok": True})

    routes = [web.get("/old/actor", old), web.get("/users/new", new)]
    async with serve(routes) as base, make_client() as client:
        response = await client.get(f"{base}/old/actor", signer=signer)

    assert response.url == f"{base}/users/new?x=1"
    assert signer_calls == [
        ("GET", f"{base}/old/actor", None),
        ("GET", f"{base}/users/new?x=1", None),
    ]
    assert signed_at_server == {
        "/old/actor": f"signed {base}/old/actor",
        "/users/new": f"signed {base}/users/new?x=1",
    }


async def test_post_signer_sees_the_body_and_may_return_only_added_headers() -> None:
    seen: dict[str, str] = {}

    def signer(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        assert (method, body) == ("POST", b'{"type":"Follow"}')
        return {"Digest": "SHA-256=x"}

    async def inbox(request: web.Request) -> web.Response:
        seen.update(request.headers)
        return web.Response(status=202)

    async with serve([web.post("/inbox", inbox)]) as base, make_client() as client:
        await client.post(f"{base}/inbox", b'{"type":"Follow"}', signer=signer)

    assert seen["Digest"] == "SHA-256=x"
    assert seen["User-Agent"] == UA


async def test_max_redirects_are_followed_and_one_more_is_refused() -> None:
    hits: list[str] = []

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        hits.append(str(n))
        if n == 0:
            return web.Response(text="arrived")
        raise web.HTTPMovedPermanently(f"/hop/{n - 1}")

    async with serve([web.get("/hop/{n}", hop)]) as base, make_client(max_redirects=3) as client:
        assert (await client.get(f"{base}/hop/3")).body == b"arrived"
        hits.clear()
        await expect_fetch_error("too_many_redirects", client.get(f"{base}/hop/4"))
    assert hits == ["4", "3", "2", "1"]  # stopped before the fourth redirect


async def test_a_redirect_loop_ends_in_too_many_redirects() -> None:
    hits: list[str] = []

    async def loop(request: web.Request) -> web.Response:
        hits.append(request.path)
        raise web.HTTPFound("/loop")

    async with serve([web.get("/loop", loop)]) as base, make_client(max_redirects=3) as client:
        error = await expect_fetch_error("too_many_redirects", client.get(f"{base}/loop"))
    assert len(hits) == 4
    assert error.url == f"{base}/loop"


@pytest.mark.parametrize(
    ("target", "answers", "reason"),
    [
        ("http://127.0.0.2:{port}/steal", {}, "blocked_address"),
        ("http://[::1]:{port}/steal", {}, "blocked_address"),
        (
            "http://metadata.evil.example/latest",
            {"metadata.evil.example": ["169.254.169.254"]},
            "blocked_address",
        ),
        ("http://evil.example:{port}/", {"evil.example": ["127.0.0.1"]}, "blocked_address"),
        ("file:///etc/passwd", {}, "bad_scheme"),
        ("gopher://127.0.0.1:{port}/", {}, "bad_scheme"),
        ("http://admin:secret@127.0.0.1:{port}/", {}, "bad_url"),
    ],
)
async def test_redirect_to_a_forbidden_destination_is_refused_before_connecting(
    target: str, answers: dict[str, list[str]], reason: str, connects: list[str]
) -> None:
    hits: list[str] = []

    async def trap(request: web.Request) -> web.Response:
        hits.append(request.path)
        port = request.url.port
        raise web.HTTPFound(target.format(port=port))

    async def steal(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="secret")

    dns = FakeDns(answers)
    routes = [web.get("/trap", trap), web.get("/steal", steal), web.get("/", steal)]
    async with serve(routes) as base, make_client(resolver=dns) as client:
        error = await expect_fetch_error(reason, client.get(f"{base}/trap"))

    assert hits == ["/trap"]
    assert connects == [LOOPBACK]  # only the first hop ever connected
    assert "secret" not in str(error)
    assert dns.asked == list(answers)  # names were resolved, then refused


async def test_cross_origin_redirect_drops_credentials_but_keeps_other_headers() -> None:
    seen: list[dict[str, str]] = []

    async def first(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        raise web.HTTPFound(f"http://mirror.example:{request.url.port}/second")

    async def second(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(text="ok")

    dns = FakeDns({"mirror.example": [LOOPBACK]})
    client = make_client(allow_hosts={LOOPBACK, "mirror.example"}, resolver=dns)
    routes = [web.get("/first", first), web.get("/second", second)]
    async with serve(routes) as base, client:
        await client.get(f"{base}/first", headers={"Authorization": "Bearer t", "Accept": "x/y"})

    assert seen[0]["Authorization"] == "Bearer t"
    assert "Authorization" not in seen[1]
    assert seen[1]["Accept"] == "x/y"
    assert seen[1]["Host"].startswith("mirror.example:")


# ---------------------------------------------------------------------------- the address guard


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:{port}/",
        "http://[::1]:{port}/",
        "http://0.0.0.0:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:a00:1]/",
        "http://[fe80::1]/",
        "http://[2002:a00:1::1]/",  # 6to4 wrapping 10.0.0.1
        "http://224.0.0.1/",
    ],
)
async def test_literal_non_public_addresses_are_refused_without_connecting(
    url: str, connects: list[str]
) -> None:
    hits: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response()

    dns = FakeDns({})
    async with serve([web.get("/", anything)]) as base, make_client(resolver=dns) as client:
        port = base.rsplit(":", 1)[1]
        await expect_fetch_error("blocked_address", client.get(url.format(port=port)))
        await expect_fetch_error("blocked_address", client.post(url.format(port=port), b"x"))

    assert (connects, hits, dns.asked) == ([], [], [])


@pytest.mark.parametrize(
    "answer",
    [
        ["10.0.0.1"],
        ["169.254.169.254"],
        ["192.168.1.1"],
        ["::ffff:10.0.0.1"],
        ["100.64.0.1"],
        ["fd00::1"],
        ["127.0.0.1"],  # a server IS listening there: it must still not be reached
        ["10.0.0.1", "127.0.0.1", "::1"],
        ["not-an-ip"],
    ],
)
async def test_a_name_resolving_to_non_public_addresses_is_refused_after_dns(
    answer: list[str], connects: list[str]
) -> None:
    hits: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response()

    dns = FakeDns({"evil.example": answer})
    async with serve([web.get("/", anything)]) as base, make_client(resolver=dns) as client:
        port = base.rsplit(":", 1)[1]
        error = await expect_fetch_error(
            "blocked_address", client.get(f"http://evil.example:{port}/")
        )

    assert dns.asked == ["evil.example"]
    assert (connects, hits) == ([], [])
    assert "evil.example" in str(error)


async def test_an_allow_listed_name_reaches_its_loopback_server() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=request.host)

    dns = FakeDns({"good.example": [LOOPBACK]})
    client = make_client(allow_hosts={" GOOD.Example. "}, resolver=dns)
    async with serve([web.get("/", hello)]) as base, client:
        port = base.rsplit(":", 1)[1]
        response = await client.get(f"http://good.example:{port}/")
    assert response.body == f"good.example:{port}".encode()


async def test_address_verdicts_are_remembered_per_port_and_the_policy_is_asked_every_time(
    connects: list[str],
) -> None:
    """The client remembers its address check per (host, port), not the federation policy:
    a block added between two deliveries applies to the second, and an exemption for one port
    never spreads to another, however often it was used."""
    blocked: set[str] = set()

    async def ok(request: web.Request) -> web.Response:
        return web.Response(status=202)

    async with serve([web.post("/inbox", ok)]) as base:
        port = int(base.rsplit(":", 1)[1])
        client = make_client(
            allow_hosts={f"{LOOPBACK}:{port}"},
            host_policy=lambda hostport: "blocked here" if hostport in blocked else None,
        )
        async with client:
            assert (await client.post(f"{base}/inbox", b"{}")).status == 202
            blocked.add(f"{LOOPBACK}:{port}")
            await expect_fetch_error("blocked_domain", client.post(f"{base}/inbox", b"{}"))
            blocked.clear()
            assert (await client.post(f"{base}/inbox", b"{}")).status == 202
            for _ in range(2):
                await expect_fetch_error(
                    "blocked_address", client.post(f"http://{LOOPBACK}:{port + 1}/inbox", b"{}")
                )
    # One connection, kept alive for both allowed POSTs; the refused ones never connected.
    assert connects == [LOOPBACK]


async def test_a_vetted_url_is_judged_once_and_every_redirect_hop_again(
    connects: list[str],
) -> None:
    """A delivery vets its inbox URL first (``vet``) and posts to what it got: the policy is not
    asked twice for that hop, a redirect target still is (a blocked server behind another's
    redirect is never reached), and a URL another client vetted gets this client's verdict."""
    hits: list[str] = []

    async def steal(request: web.Request) -> web.Response:
        hits.append(f"blocked {request.method}")
        return web.Response(text="secret")

    async with serve([web.get("/{tail:.*}", steal), web.post("/{tail:.*}", steal)]) as blocked:

        async def moved(request: web.Request) -> web.Response:
            hits.append(f"moved {request.method}")
            raise web.HTTPTemporaryRedirect(f"{blocked}/elsewhere")

        async with serve([web.get("/actor", moved), web.post("/inbox", moved)]) as base:
            open_host, blocked_host = base.split("/")[2], blocked.split("/")[2]
            asked: list[str] = []

            def policy(hostport: str) -> str | None:
                asked.append(hostport)
                return "blocked here" if hostport == blocked_host else None

            client = make_client(host_policy=policy)
            async with client, make_client(host_policy=policy) as other:
                actor = client.vet(f"{base}/actor")
                inbox = client.vet(f"{base}/inbox")
                assert asked == [open_host, open_host] and hits == []  # judged, nothing sent
                assert (await client.post(inbox, b"{}")).status == 307  # POST: not followed
                assert asked == [open_host, open_host]  # not asked again for the vetted hop
                error = await expect_fetch_error("blocked_domain", client.get(actor))
                assert asked[2:] == [blocked_host] and "secret" not in str(error)
                await expect_fetch_error("blocked_domain", client.post(f"{blocked}/inbox", b"{}"))
                with pytest.raises(FetchError) as refused:
                    client.vet(f"{blocked}/inbox")
                assert refused.value.reason == "blocked_domain"
                theirs = other.vet(f"{base}/inbox")
                del asked[:]
                assert (await client.post(theirs, b"{}")).status == 307
                assert asked == [open_host]  # another client's verdict is not this one's
    assert hits == ["moved POST", "moved GET", "moved POST"]  # the blocked server: never
    assert set(connects) == {LOOPBACK}


async def test_an_allow_listed_ip_does_not_let_names_that_resolve_to_it_through() -> None:
    dns = FakeDns({"rebind.example": [LOOPBACK]})
    async with make_client(allow_hosts={LOOPBACK}, resolver=dns) as client:
        await expect_fetch_error("blocked_address", client.get("http://rebind.example:9/"))


async def test_guarded_resolver_keeps_only_public_addresses_of_a_mixed_answer() -> None:
    # what the transport connects to: resolution with every address vetted (no second lookup)
    dns = FakeDns({"mixed.example": ["10.0.0.1", "93.184.215.14", "::1", "2606:2800:21f::1"]})
    vetted = await resolve_vetted(dns, frozenset(), "mixed.example", 443)
    assert vetted == [("93.184.215.14", socket.AF_INET), ("2606:2800:21f::1", socket.AF_INET6)]
    only_v4 = await resolve_vetted(dns, frozenset(), "mixed.example", 443, socket.AF_INET)
    assert only_v4 == [("93.184.215.14", socket.AF_INET)]


# ---------------------------------------------------------------------------- refused URLs


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/_x", "data:,x", "ws://h/"],
)
async def test_only_http_and_https_are_fetched(url: str, connects: list[str]) -> None:
    async with make_client() as client:
        await expect_fetch_error("bad_scheme", client.get(url))
    assert connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@127.0.0.1:9/",
        "http://user@127.0.0.1:9/",
        "http:///no-host",
        "http://[zz/",
        "http://2130706433/",  # 127.0.0.1 in legacy decimal form
        "http://127.1/",
        "http://0x7f.0.0.1/",
    ],
)
async def test_malformed_or_credential_urls_are_refused(url: str, connects: list[str]) -> None:
    async with make_client() as client:
        error = await expect_fetch_error("bad_url", client.get(url))
    assert "pass" not in str(error)
    assert connects == []


# ---------------------------------------------------------------------------- size and time caps


async def test_an_announced_oversized_body_is_refused_without_reading_it() -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(10)  # never sends the body: refusing must not wait for it

    async with raw_serve(huge) as base, make_client(max_body=1000, timeout=5) as client:
        started = time.monotonic()
        await expect_fetch_error("too_large", client.get(f"{base}/"))
    assert time.monotonic() - started < 2


async def test_a_chunked_body_over_the_cap_is_cut_off() -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"x" * 1000)
        await response.write_eof()
        return response

    async with serve([web.get("/", stream)]) as base, make_client(max_body=5000) as client:
        await expect_fetch_error("too_large", client.get(f"{base}/"))


async def test_a_body_read_until_close_over_the_cap_is_cut_off() -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(1000):
            writer.write(b"y" * 4096)
            await writer.drain()

    async with raw_serve(endless) as base, make_client(max_body=10_000) as client:
        await expect_fetch_error("too_large", client.get(f"{base}/"))


async def test_a_gzip_bomb_is_capped_on_its_decompressed_size() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)

    async def zipped(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    async with serve([web.get("/", zipped)]) as base, make_client(max_body=100_000) as client:
        await expect_fetch_error("too_large", client.get(f"{base}/"))


async def test_a_body_of_exactly_the_cap_is_accepted() -> None:
    async def exact(request: web.Request) -> web.Response:
        return web.Response(body=b"z" * 4096)

    async with serve([web.get("/", exact)]) as base, make_client(max_body=4096) as client:
        assert len((await client.get(f"{base}/")).body) == 4096


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)

    async with raw_serve(silent) as base, make_client(timeout=0.5) as client:
        started = time.monotonic()
        error = await expect_fetch_error("timeout", client.get(f"{base}/"))
    assert time.monotonic() - started < 2
    assert error.url == f"{base}/"


async def test_a_trickling_body_times_out_on_the_total_deadline() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            writer.write(b".")
            await writer.drain()
            await asyncio.sleep(0.1)

    async with raw_serve(trickle) as base, make_client(timeout=0.5) as client:
        started = time.monotonic()
        await expect_fetch_error("timeout", client.post(f"{base}/", b"{}"))
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------------------- network failures


async def test_an_unresolvable_name_is_a_dns_error(connects: list[str]) -> None:
    async with make_client(resolver=FakeDns({"empty.example": []})) as client:
        await expect_fetch_error("dns_error", client.get("http://nowhere.example/"))
        await expect_fetch_error("dns_error", client.get("http://empty.example/"))
    assert connects == []


async def test_a_closed_port_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    async with make_client() as client:
        await expect_fetch_error("connect_error", client.get(f"http://{LOOPBACK}:{port}/"))


async def test_https_to_a_server_that_does_not_speak_tls_is_a_tls_error() -> None:
    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="plain http")

    async with serve([web.get("/", plain)]) as base, make_client() as client:
        https = base.replace("http://", "https://")
        await expect_fetch_error("tls_error", client.get(f"{https}/"))


# ---------------------------------------------------------------------------- lifecycle


def test_constructing_a_client_needs_no_event_loop_and_opens_nothing() -> None:
    client = HttpClient(user_agent=UA)
    assert client._transport is None


async def test_a_closed_client_refuses_further_requests() -> None:
    client = make_client()
    await client.close()
    with pytest.raises(RuntimeError):
        await client.get(f"http://{LOOPBACK}:9/")


def test_an_empty_user_agent_is_refused() -> None:
    with pytest.raises(ValueError):
        HttpClient(user_agent="")


# ---------------------------------------------------------------------------- the classifier


IPV4 = st.ip_addresses(v=4)
IPV6 = st.ip_addresses(v=6)


def stdlib_says_non_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    flags = [
        not ip.is_global,
        ip.is_private,
        ip.is_loopback,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    ]
    if isinstance(ip, ipaddress.IPv6Address):
        flags.append(ip.is_site_local)
    return any(flags)


@given(IPV4)
def test_ipv4_is_blocked_exactly_when_the_stdlib_says_it_is_not_public(
    ip: ipaddress.IPv4Address,
) -> None:
    assert is_blocked_address(ip) is stdlib_says_non_public(ip)
    assert is_blocked_address(str(ip)) is is_blocked_address(ip)


@given(IPV6)
def test_ipv6_flagged_by_the_stdlib_is_blocked(ip: ipaddress.IPv6Address) -> None:
    # IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry instead.
    embeds_v4 = ip.ipv4_mapped is not None or ip in ipaddress.ip_network("64:ff9b::/96")
    if stdlib_says_non_public(ip) and not embeds_v4:
        assert is_blocked_address(ip)
    if not is_blocked_address(ip):
        assert ip.is_global


@given(IPV4)
def test_ipv4_mapped_and_nat64_addresses_are_judged_by_their_ipv4_address(
    v4: ipaddress.IPv4Address,
) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(v4))
    assert is_blocked_address(mapped) is is_blocked_address(v4)
    assert is_blocked_address(nat64) is is_blocked_address(v4)
    assert is_blocked_address(f"[{mapped}]") is True  # brackets are not an address: refused


@given(IPV4, st.integers(min_value=0, max_value=2**80 - 1))
def test_6to4_wrapping_a_blocked_ipv4_address_is_blocked(
    v4: ipaddress.IPv4Address, low: int
) -> None:
    wrapped = ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | low)
    assert wrapped.sixtofour == v4
    if is_blocked_address(v4):
        assert is_blocked_address(wrapped)


@given(IPV4, IPV4, st.integers(min_value=0, max_value=2**32 - 1))
def test_teredo_carrying_a_blocked_ipv4_address_is_blocked(
    server: ipaddress.IPv4Address, client: ipaddress.IPv4Address, middle: int
) -> None:
    teredo = ipaddress.IPv6Address(
        (0x20010000 << 96) | (int(server) << 64) | (middle << 32) | (int(client) ^ 0xFFFFFFFF)
    )
    assert teredo.teredo == (server, client)
    if is_blocked_address(server) or is_blocked_address(client):
        assert is_blocked_address(teredo)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.0.1", True),
        ("100.64.0.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("255.255.255.255", True),
        ("224.0.1.1", True),
        ("240.0.0.1", True),
        ("192.0.2.1", True),
        ("::", True),
        ("::1", True),
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("fec0::1", True),
        ("ff0e::1", True),
        ("::ffff:127.0.0.1", True),
        ("64:ff9b::a00:1", True),
        ("2002:c0a8:101::1", True),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", True),  # Teredo, client 10.0.0.1
        ("example.org", True),
        ("", True),
    ],
)
def test_known_addresses(address: str, blocked: bool) -> None:
    assert is_blocked_address(address) is blocked
