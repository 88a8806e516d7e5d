"""The transport (node/federation/http_transport.py) through HttpClient.post and .get, against
real servers.

Every server is a bare asyncio server on 127.0.0.1 (a harness port) that writes exactly the
bytes a story needs: well-behaved keep-alive inboxes, and hostile or broken ones. Each records
its connections and the requests it read whole, so a story can say how many connections a
series of POSTs used. Blocked destinations are names whose DNS answers are faked; the
``connects`` fixture records every connection attempt and fails the test if one targets
anything but 127.0.0.1. TLS stories use a certificate authority made here with cryptography.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import socket
import ssl
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from multidict import CIMultiDict
from yarl import URL

from node.federation import http_transport
from node.federation.http import FetchError, HttpClient
from node.federation.http_wire import MAX_HEAD, MAX_HEADERS
from tests.harness.ports import LOOPBACK, free_port
from tests.unit.http_client_support import UA, FakeDns, record_connects
from tests.unit.http_client_support import make_client as support_client

AS = "application/activity+json"
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
ACTIVITY = b'{"type":"Create","id":"https://node.test/activities/1"}'


@pytest.fixture(autouse=True)
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connection attempt of the test, any but to 127.0.0.1 refused."""
    return record_connects(monkeypatch)


def make_client(**kwargs: Any) -> HttpClient:
    kwargs.setdefault("timeout", 30)  # a hang shows as "timeout", never as the reason expected
    return support_client(**kwargs)


@dataclass
class Request:
    """One request as the server read it."""

    head: bytes
    body: bytes
    connection: int

    def header(self, name: bytes) -> bytes | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass
class Peer:
    """What a handler gets: the connection's number and the server's record."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    number: int
    requests: list[Request]

    async def read_request(self) -> Request | None:
        """The next whole request on this connection, or None when the client closed it."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        request = Request(head, b"", self.number)
        length = int(request.header(b"content-length") or 0)
        request.body = await self.reader.readexactly(length)
        self.requests.append(request)
        return request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


Handler = Callable[[Peer], Awaitable[None]]


@dataclass
class Server:
    base: str
    port: int
    connections: int = 0
    requests: list[Request] = field(default_factory=list)


@asynccontextmanager
async def serve(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    """Run ``handler`` for every connection to a bare server on 127.0.0.1."""
    port = free_port()
    record = Server(f"{'https' if tls else 'http'}://{LOOPBACK}:{port}", port)
    tasks: set[asyncio.Task[Any]] = set()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        record.connections += 1
        try:
            await handler(Peer(reader, writer, record.connections, record.requests))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connected, LOOPBACK, port, ssl=tls)
    try:
        yield record
    finally:
        server.close()
        for task in tasks:  # Python 3.11 has no Server.close_clients()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def keep_alive_inbox(peer: Peer) -> None:
    """A well-behaved inbox: 202 to every request, as long as the client keeps the connection."""
    while await peer.read_request() is not None:
        await peer.send(ACCEPTED)


async def expect_fetch_error(reason: str, call: Awaitable[Any]) -> FetchError:
    with pytest.raises(FetchError) as info:
        await call
    assert info.value.reason == reason, str(info.value)
    return info.value


async def post(client: HttpClient, server: Server, path: str = "/inbox") -> Any:
    return await client.post(
        f"{server.base}{path}", ACTIVITY, headers={"Content-Type": "application/activity+json"}
    )


# ---------------------------------------------------------------------------- keep-alive


async def keep_alive_story() -> None:
    async with serve(keep_alive_inbox) as server, make_client() as client:
        answers = [(await post(client, server, f"/users/{n}/inbox")).status for n in range(3)]
    assert answers == [202, 202, 202]
    assert server.connections == 1
    assert [r.head.split(b"\r\n")[0] for r in server.requests] == [
        f"POST /users/{n}/inbox HTTP/1.1".encode() for n in range(3)
    ]
    first = server.requests[0]
    assert first.body == ACTIVITY
    assert first.header(b"host") == f"{LOOPBACK}:{server.port}".encode()
    assert first.header(b"user-agent") == UA.encode()
    assert first.header(b"content-type") == b"application/activity+json"


async def test_three_deliveries_to_one_server_share_one_kept_alive_connection() -> None:
    await keep_alive_story()


def test_the_same_deliveries_on_uvloop_share_one_connection() -> None:
    # The worker runs on uvloop (`solnode serve`), whose transports differ from asyncio's.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(keep_alive_story())


async def test_a_connection_the_server_closed_after_answering_is_replaced() -> None:
    async def one_answer(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(ACCEPTED)

    async with serve(one_answer) as server, make_client() as client:
        assert (await post(client, server)).status == 202
        assert (await post(client, server)).status == 202
    assert (server.connections, len(server.requests)) == (2, 2)


async def test_a_kept_connection_closed_as_the_next_request_arrives_is_retried_on_a_new_one() -> (
    None
):
    async def close_on_the_second_request(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(ACCEPTED)
        if peer.number == 1:
            await peer.read_request()  # read, then hang up without a byte of answer

    async with serve(close_on_the_second_request) as server, make_client() as client:
        assert (await post(client, server)).status == 202
        assert (await post(client, server)).status == 202
    assert [r.connection for r in server.requests] == [1, 1, 2]


async def test_connection_close_from_the_server_is_honoured() -> None:
    async def closing(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(
                b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )

    async with serve(closing) as server, make_client() as client:
        assert (await post(client, server)).status == 202
        assert (await post(client, server)).status == 202
    # the server kept its end open: only the client's reading of the header closed it
    assert [r.connection for r in server.requests] == [1, 2]


async def test_a_chunked_answer_is_read_whole_and_the_connection_kept() -> None:
    async def chunked(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n")
            await peer.send(b"6\r\nbad si\r\n")
            await peer.send(b"8\r\ngnature.\r\n0\r\n\r\n")

    async with serve(chunked) as server, make_client() as client:
        first = await post(client, server)
        second = await post(client, server)
    assert (first.status, first.body, second.body) == (400, b"bad signature.", b"bad signature.")
    assert server.connections == 1


async def test_a_body_delimited_by_the_close_is_read_whole() -> None:
    async def until_close(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n\r\nbusy, ")
        await peer.send(b"come back later")

    async with serve(until_close) as server, make_client() as client:
        response = await post(client, server)
    assert (response.status, response.body) == (503, b"busy, come back later")
    assert response.headers["retry-after"] == "120"


async def test_an_interim_100_continue_is_skipped_and_trailing_bytes_stop_reuse() -> None:
    async def chatty(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(b"HTTP/1.1 100 Continue\r\n\r\n" + ACCEPTED + b"HTTP/1.1 200 OK\r\n")

    async with serve(chatty) as server, make_client() as client:
        assert (await post(client, server)).status == 202
        assert (await post(client, server)).status == 202
    assert server.connections == 2  # bytes nobody asked for: that connection is not reused


# ---------------------------------------------------------------------------- hostile answers


async def test_headers_that_never_end_are_cut_off_at_the_head_cap() -> None:
    async def endless_headers(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 202 Accepted\r\n")
        for n in range(10 * MAX_HEAD // 4000):  # far fewer lines than MAX_HEADERS
            await peer.send(f"X-Filler-{n}: {'a' * 3990}\r\n".encode())
        await asyncio.sleep(60)

    async with serve(endless_headers) as server, make_client() as client:
        error = await expect_fetch_error("connect_error", post(client, server))
    assert "head larger than" in str(error)


async def test_one_header_line_that_never_ends_is_cut_off_at_the_head_cap() -> None:
    async def endless_line(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 202 Accepted\r\nX-Endless: ")
        for _ in range(10 * MAX_HEAD // 4096):
            await peer.send(b"b" * 4096)
        await asyncio.sleep(60)

    async with serve(endless_line) as server, make_client() as client:
        error = await expect_fetch_error("connect_error", post(client, server))
    assert "head larger than" in str(error)


async def test_too_many_header_lines_are_refused() -> None:
    async def many(peer: Peer) -> None:
        await peer.read_request()
        lines = b"".join(b"X-%d: 1\r\n" % n for n in range(MAX_HEADERS + 1))
        await peer.send(b"HTTP/1.1 202 Accepted\r\n" + lines + b"Content-Length: 0\r\n\r\n")

    async with serve(many) as server, make_client() as client:
        error = await expect_fetch_error("connect_error", post(client, server))
    assert f"more than {MAX_HEADERS} header lines" in str(error)


async def test_an_announced_huge_body_is_refused_without_reading_it() -> None:
    async def huge(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n")
        await asyncio.sleep(60)  # never sends the body: refusing must not wait for it

    async with serve(huge) as server, make_client(max_body=1000) as client:
        error = await expect_fetch_error("too_large", post(client, server))
    assert "Content-Length 50000000" in str(error)


async def test_a_chunked_body_over_the_cap_is_cut_off() -> None:
    async def flood(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(1000):
            await peer.send(b"1000\r\n" + b"x" * 4096 + b"\r\n")
        await asyncio.sleep(60)

    async with serve(flood) as server, make_client(max_body=10_000) as client:
        await expect_fetch_error("too_large", post(client, server))


@pytest.mark.parametrize(
    "status_line",
    [
        b"HTTP/1.1 2OO OK\r\n",
        b"HTTP/1.1 20 OK\r\n",
        b"220 mail.example ESMTP ready\r\n",
        b"HTTP/1.1 202 Accepted\nContent-Length: 0\n\n",  # bare LF
        b"HTTP/1.1 202 Accepted\r\nContent-Length: 12x\r\n\r\n",
        b"HTTP/1.1 202 Accepted\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
)
async def test_a_malformed_answer_is_a_connect_error(status_line: bytes) -> None:
    async def broken(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(status_line)
        await asyncio.sleep(60)

    async with serve(broken) as server, make_client() as client:
        error = await expect_fetch_error("connect_error", post(client, server))
    assert "malformed response" in str(error)


@pytest.mark.parametrize(
    "partial",
    [b"", b"HTTP/1.1 202 Acc", b"HTTP/1.1 202 Accepted\r\nContent-Length: 100\r\n\r\nonly ten.."],
)
async def test_a_server_closing_mid_answer_is_a_connect_error(partial: bytes) -> None:
    async def hang_up(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(partial)

    async with serve(hang_up) as server, make_client() as client:
        await expect_fetch_error("connect_error", post(client, server))
    assert len(server.requests) == 1  # a fresh connection is not tried again


async def test_a_server_that_never_answers_times_out_and_the_next_post_still_works() -> None:
    async def first_silent(peer: Peer) -> None:
        if peer.number == 1:
            await peer.read_request()
            await asyncio.sleep(60)
        await keep_alive_inbox(peer)

    async with serve(first_silent) as server, make_client(timeout=0.5) as client:
        error = await expect_fetch_error("timeout", post(client, server))
        assert error.url == f"{server.base}/inbox"
        assert (await post(client, server)).status == 202
    assert server.connections == 2


# ---------------------------------------------------------------------------- what is sent


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nX-Injected: 1"},
        {"X-Note": "a\nb"},
        {"X-Note": "a\0b"},
        {"X-Bad Name": "a"},
        {"X-Bad:Name": "a"},
    ],
)
async def test_header_text_that_could_split_the_request_is_refused_before_sending(
    headers: dict[str, str], connects: list[str]
) -> None:
    async with serve(keep_alive_inbox) as server, make_client() as client:
        with pytest.raises(ValueError):
            await client.post(f"{server.base}/inbox", ACTIVITY, headers=headers)
    assert (connects, server.connections) == ([], 0)


# ---------------------------------------------------------------------------- addresses


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["10.0.0.1", "::1"], ["169.254.169.254"]])
async def test_a_delivery_to_a_name_resolving_to_a_blocked_address_never_connects(
    answer: list[str], connects: list[str]
) -> None:
    dns = FakeDns({"evil.example": answer})
    async with serve(keep_alive_inbox) as server, make_client(resolver=dns) as client:
        error = await expect_fetch_error(
            "blocked_address", client.post(f"http://evil.example:{server.port}/inbox", ACTIVITY)
        )
    assert dns.asked == ["evil.example"]
    assert (connects, server.connections) == ([], 0)
    assert "evil.example" in str(error)


async def test_an_allow_listed_name_is_reached_at_its_vetted_address_with_its_host_header(
    connects: list[str],
) -> None:
    dns = FakeDns({"inbox.example": [LOOPBACK]})
    client = make_client(allow_hosts={"inbox.example"}, resolver=dns)
    async with serve(keep_alive_inbox) as server, client:
        url = f"http://inbox.example:{server.port}/inbox"
        assert (await client.post(url, ACTIVITY)).status == 202
        assert (await client.post(url, ACTIVITY)).status == 202
    assert dns.asked == ["inbox.example"]  # the kept connection needs no second lookup
    assert connects == [LOOPBACK]
    assert server.requests[0].header(b"host") == f"inbox.example:{server.port}".encode()


# ---------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class Authority:
    """A certificate authority of this test run and a server certificate it issued."""

    ca_pem: bytes
    cert_file: Path
    key_file: Path


def _issue(tmp: Path, server_name: str) -> Authority:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Solidarity Node test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "server.pem", tmp / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Authority(ca_cert.public_bytes(serialization.Encoding.PEM), cert_file, key_file)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return _issue(tmp_path_factory.mktemp("tls"), "inbox.example")


def _server_tls(ca: Authority) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(ca.cert_file, ca.key_file)
    return context


def _tls_client(host: str, ca: Authority | None) -> HttpClient:
    trusted = ssl.create_default_context(cadata=ca.ca_pem.decode()) if ca is not None else None
    return make_client(
        allow_hosts={host}, resolver=FakeDns({host: [LOOPBACK]}), tls_context=trusted
    )


async def test_tls_to_a_server_whose_ca_the_client_trusts_delivers(authority: Authority) -> None:
    server_tls = _server_tls(authority)
    async with (
        serve(keep_alive_inbox, tls=server_tls) as server,
        _tls_client("inbox.example", authority) as client,
    ):
        url = f"https://inbox.example:{server.port}/inbox"
        assert (await client.post(url, ACTIVITY)).status == 202
        assert (await client.post(url, ACTIVITY)).status == 202
    assert server.connections == 1
    assert server.requests[0].body == ACTIVITY


async def test_tls_with_a_certificate_from_an_untrusted_ca_is_refused(authority: Authority) -> None:
    server_tls = _server_tls(authority)
    async with (
        serve(keep_alive_inbox, tls=server_tls) as server,
        _tls_client("inbox.example", None) as client,
    ):
        url = f"https://inbox.example:{server.port}/inbox"
        await expect_fetch_error("tls_error", client.post(url, ACTIVITY))
    assert server.requests == []


async def test_tls_with_a_certificate_for_another_host_is_refused(authority: Authority) -> None:
    server_tls = _server_tls(authority)
    async with (
        serve(keep_alive_inbox, tls=server_tls) as server,
        _tls_client("other.example", authority) as client,
    ):
        url = f"https://other.example:{server.port}/inbox"
        error = await expect_fetch_error("tls_error", client.post(url, ACTIVITY))
    assert server.requests == []
    assert "other.example" in str(error) or "hostname" in str(error).lower()


async def test_https_to_a_server_that_speaks_plain_http_is_a_tls_error() -> None:
    async def plain(peer: Peer) -> None:
        await peer.reader.read(100)  # a TLS hello, not HTTP: what web servers answer
        await peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    async with serve(plain) as server, make_client() as client:
        url = f"https://{LOOPBACK}:{server.port}/inbox"
        await expect_fetch_error("tls_error", client.post(url, ACTIVITY))


async def test_a_name_with_several_vetted_addresses_is_reached_through_happy_eyeballs(
    connects: list[str],
) -> None:
    dns = FakeDns({"twice.example": [LOOPBACK, LOOPBACK]})
    client = make_client(allow_hosts={"twice.example"}, resolver=dns)
    async with serve(keep_alive_inbox) as server, client:
        url = f"http://twice.example:{server.port}/inbox"
        assert (await client.post(url, ACTIVITY)).status == 202
    assert connects and set(connects) == {LOOPBACK}  # only vetted addresses were offered
    assert server.connections == 1


async def test_deliveries_queued_for_one_busy_host_do_not_hold_up_another_host() -> None:
    release = asyncio.Event()

    async def slow(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await release.wait()
            await peer.send(ACCEPTED)

    client = make_client(connection_limit=2, per_host_limit=1, timeout=5)
    async with serve(slow) as busy, serve(keep_alive_inbox) as other, client:
        queued = [asyncio.create_task(post(client, busy)) for _ in range(3)]
        await asyncio.sleep(0)
        # two requests in flight at most: the busy host holds one, its queue none
        assert (await post(client, other)).status == 202
        release.set()
        assert [(await task).status for task in queued] == [202, 202, 202]
    assert busy.connections == 1


async def test_an_idle_kept_connection_is_closed_after_the_keepalive() -> None:
    hung_up = asyncio.Event()

    async def inbox_noting_the_close(peer: Peer) -> None:
        await keep_alive_inbox(peer)
        hung_up.set()  # the client closed its end; this server never would

    async def loopback(host: str, port: int) -> list[tuple[str, socket.AddressFamily]]:
        return [(host, socket.AF_INET)]

    transport = http_transport.Transport(
        resolve=loopback, tls=None, connect_timeout=5, max_body=1000, keepalive=0.2
    )
    async with serve(inbox_noting_the_close) as server:
        url = URL(f"{server.base}/inbox")
        posted = await transport.request("POST", url, CIMultiDict({"User-Agent": UA}), ACTIVITY)
        assert posted.status == 202
        await asyncio.wait_for(hung_up.wait(), 10)  # a bound against a hang, not a timing
        transport.close()
    assert server.connections == 1


# ---------------------------------------------------------------------------- GETs (fetches)

ACTOR = b'{"id":"https://remote.test/users/ana","type":"Person"}'


def answer_with(body: bytes, **headers: str) -> Handler:
    """A server answering every request 200 with ``body`` and ``headers`` (keep-alive)."""
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    head = f"HTTP/1.1 200 OK\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode()

    async def handler(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(head + body)

    return handler


async def test_an_actor_fetch_asks_for_gzip_and_reuses_its_connection() -> None:
    async with (
        serve(answer_with(gzip.compress(ACTOR), Content_Encoding="gzip")) as server,
        make_client() as client,
    ):
        first = await client.get(f"{server.base}/users/ana", headers={"Accept": AS})
        again = await client.get(f"{server.base}/users/ana#main-key")
    assert first.body == again.body == ACTOR and first.json()["type"] == "Person"
    assert server.connections == 1  # the second fetch rode the kept connection
    sent = server.requests[0]
    assert sent.head.startswith(b"GET /users/ana HTTP/1.1\r\n")
    assert sent.header(b"accept-encoding") == b"gzip, deflate"
    assert sent.header(b"accept") == AS.encode()
    assert sent.header(b"content-length") is None and sent.body == b""


@pytest.mark.parametrize(
    "encoded",
    [zlib.compress(ACTOR), zlib.compress(ACTOR)[2:-4]],  # as RFC 9110 says, and raw deflate
    ids=["zlib", "raw"],
)
async def test_deflate_is_read_with_or_without_its_zlib_header(encoded: bytes) -> None:
    async with (
        serve(answer_with(encoded, Content_Encoding="deflate")) as server,
        make_client() as client,
    ):
        assert (await client.get(f"{server.base}/users/ana")).body == ACTOR


@pytest.mark.parametrize(
    ("body", "coding", "says"),
    [
        (gzip.compress(ACTOR)[:-12], "gzip", "ends before its end"),
        (b"not gzip at all", "gzip", "undecodable gzip body"),
        (ACTOR, "br", "unsupported Content-Encoding 'br'"),
    ],
    ids=["truncated", "garbage", "unasked-for"],
)
async def test_a_body_that_cannot_be_decoded_is_a_connect_error(
    body: bytes, coding: str, says: str
) -> None:
    async with serve(answer_with(body, Content_Encoding=coding)) as server, make_client() as client:
        error = await expect_fetch_error("connect_error", client.get(f"{server.base}/x"))
    assert says in str(error)


async def test_a_post_answer_is_returned_as_sent_even_if_compressed() -> None:
    packed = gzip.compress(b'{"ok":true}')
    async with (
        serve(answer_with(packed, Content_Encoding="gzip")) as server,
        make_client() as client,
    ):
        answer = await client.post(f"{server.base}/inbox", ACTIVITY)
    assert answer.body == packed  # a delivery never asked for gzip: nothing is decoded
    assert server.requests[0].header(b"accept-encoding") is None


async def test_an_empty_answer_naming_an_encoding_is_not_decoded() -> None:
    # a redirect, a 204 or 304 may carry the header with no body: nothing to decode (aiohttp
    # took these too)
    async def answers(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.head.startswith(b"GET /old "):
                head = "HTTP/1.1 301 Moved\r\nLocation: /new\r\nContent-Encoding: gzip\r\n"
                await peer.send(f"{head}Content-Length: 0\r\n\r\n".encode())
            elif request.head.startswith(b"GET /gone-quiet "):
                await peer.send(b"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n")
            else:
                body = gzip.compress(ACTOR)
                head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, identity\r\n"
                await peer.send(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)

    async with serve(answers) as server, make_client() as client:
        moved = await client.get(f"{server.base}/old")
        quiet = await client.get(f"{server.base}/gone-quiet")
    assert moved.status == 200 and moved.body == ACTOR and moved.url.endswith("/new")
    assert quiet.status == 204 and quiet.body == b""


async def test_a_body_delimited_by_the_close_cut_by_a_reset_is_a_connect_error() -> None:
    async def resets_mid_body(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"id":')
        sock = peer.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.writer.transport.abort()  # SO_LINGER 0: a reset, not a close

    async with serve(resets_mid_body) as server, make_client() as client:
        await expect_fetch_error("connect_error", client.get(f"{server.base}/users/ana"))
