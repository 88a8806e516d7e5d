"""The outbound client's POST transport: a lean HTTP/1.1 client for deliveries.

A fan-out POSTs one activity to a thousand servers, most of them new connections, and aiohttp's
connector, request and response objects cost more CPU per POST than the RSA signature each one
carries (``docs/benchmarks.md``, fan-out). This transport does only what a delivery needs, on
an ``asyncio.Protocol`` with httptools (llhttp, the parser uvicorn uses) reading the answers.
It is used only through :class:`node.federation.http.HttpClient`, which vets the URL (scheme,
credentials, literal addresses, the federation policy) and bounds the whole call with its
total deadline before anything here runs; this module keeps the rest of the client's rules:

* the connection goes to an address vetted after resolution (``vet_addresses``, the same
  check as the GET path's resolver): no second DNS lookup, so no DNS rebinding; IP literals
  were judged before the call and are not resolved;
* connecting and the TLS handshake share the connect limit; TLS is verified with the client's
  context (certificate chain, host name, SNI) against the URL's host;
* no redirect is followed (a 3xx is returned as the response, as aiohttp's POST did);
* the answer is parsed strictly: status line, at most ``MAX_HEAD`` bytes and ``MAX_HEADERS``
  header lines, a body by Content-Length, chunked or read until close, never more than the
  body cap (an announced larger body is refused before it is read). Anything malformed, or a
  connection closed mid-answer, is a ``connect_error``;
* outgoing header names and values with CR, LF or NUL are refused (``ValueError``, as aiohttp
  refused them), so no header a remote party influenced can split the request;
* a connection is kept alive per (scheme, host, port) only after an answer read whole that
  allows keep-alive; a kept connection closed by the server before any byte of the answer is
  replaced by a new one once (receivers dedupe activities by id, so a repeat is harmless).

The body is returned as the server sent it: no ``Accept-Encoding`` is sent, nothing is
decompressed.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast

# The happy-eyeballs connect aiohttp uses too (its dependency): one way to open a socket.
import aiohappyeyeballs
import httptools
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from node.federation.address_guard import BlockedAddressError

__all__ = ["MAX_HEAD", "MAX_HEADERS", "PostTransport", "Posted", "TransportError", "VettedResolver"]

MAX_HEAD = 64 * 1024
"""Bytes a response may spend on its status line and headers."""
MAX_HEADERS = 100
"""Header lines a response may have."""

VettedResolver = Callable[[str, int], Awaitable[list[tuple[str, socket.AddressFamily]]]]
"""``(host, port) -> [(address, family)]``: resolution with every address already vetted."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class TransportError(Exception):
    """A POST failed without a complete answer; ``reason`` is a FetchReason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Posted:
    """A complete answer: status, read-only case-insensitive headers, the whole body."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


class _Malformed(Exception):
    """Raised inside parser callbacks: the answer breaks a rule (the text says which)."""


class _Surplus(Exception):
    """Bytes after a complete answer: the answer stands, the connection is not reused."""


@dataclass
class _Answer:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    framed: bool = False  # Content-Length or Transfer-Encoding: its end is not the close
    length: bytes | None = None
    headers_done: bool = False
    done: bool = False


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: sends one request at a time and parses its answer."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._answer = _Answer()
        self._parser = httptools.HttpResponseParser(self)
        self._head_bytes = 0
        self._received = 0
        self._failure: TransportError | None = None
        self.reusable = False

    # ------------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but they are one
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.abort()  # bytes nobody asked for: this connection cannot be trusted again
            return
        self._received += len(data)
        try:
            try:
                self._parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                raise exc.__context__ or exc from None  # what the callback raised
            if not self._answer.headers_done:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD:
                    raise _Malformed(f"response head larger than {MAX_HEAD} bytes")
        except _Surplus:
            self.abort()
        except TransportError as exc:
            self._fail(exc.reason, exc.detail)
        except (_Malformed, httptools.HttpParserError) as exc:
            self._fail("connect_error", f"malformed response: {exc}")
        except Exception as exc:  # anything else a hostile answer provokes
            self._fail("connect_error", f"malformed response: {type(exc).__name__}: {exc}")
        if self._answer.done and not self._waiter.done():
            self._waiter.set_result(None)

    def eof_received(self) -> bool:
        self._ended("the server closed the connection mid-response")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._ended(f"connection lost mid-response: {exc}" if exc else "")

    # ------------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        if self._answer.done:
            raise _Surplus

    def on_header(self, name: bytes, value: bytes) -> None:
        answer = self._answer
        if len(answer.headers) >= MAX_HEADERS:
            raise _Malformed(f"more than {MAX_HEADERS} header lines")
        lower = name.lower()
        if lower in (b"content-length", b"transfer-encoding"):
            answer.framed = True
            if lower == b"content-length":
                answer.length = value
        answer.headers.append(
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        )

    def on_headers_complete(self) -> None:
        answer = self._answer
        answer.status = self._parser.get_status_code()
        answer.headers_done = True
        # llhttp has checked the value (digits only, one length); refuse before reading it
        length = answer.length
        if length is not None and int(length) > self.max_body:
            raise TransportError(
                "too_large", f"Content-Length {int(length)} > {self.max_body} bytes"
            )

    def on_body(self, chunk: bytes) -> None:
        body = self._answer.body
        body += chunk
        if len(body) > self.max_body:
            raise TransportError("too_large", f"body > {self.max_body} bytes")

    def on_message_complete(self) -> None:
        answer = self._answer
        if 100 <= answer.status < 200 and answer.status != 101:
            # An interim answer (100 Continue, 103 Early Hints): the real one follows.
            self._answer = _Answer()
            self._head_bytes = 0
            return
        answer.done = True
        self.reusable = self._parser.should_keep_alive() and answer.status != 101

    # ------------------------------------------------------------------ requests

    async def exchange(self, request: bytes) -> Posted:
        """Send one request and wait for its whole answer."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._answer = _Answer()
        self._head_bytes = self._received = 0
        self.reusable = False
        self.transport.write(request)
        await self._waiter
        if self._failure is not None:
            raise self._failure
        answer = self._answer
        self._waiter = None
        return Posted(
            answer.status, CIMultiDictProxy(CIMultiDict(answer.headers)), bytes(answer.body)
        )

    @property
    def answered_nothing(self) -> bool:
        """Whether the last exchange failed before a single byte of answer arrived."""
        return self._received == 0

    def abort(self) -> None:
        self.closed = True
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()

    def _ended(self, detail: str) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        answer = self._answer
        if answer.headers_done and not answer.framed and not answer.done:
            answer.done = True  # a body delimited by the close: complete now
            waiter.set_result(None)
            return
        self._fail("connect_error", detail or "the server closed the connection mid-response")

    def _fail(self, reason: str, detail: str) -> None:
        self.reusable = False
        if self._failure is None:
            self._failure = TransportError(reason, detail)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.abort()


class PostTransport:
    """Keep-alive connections per (scheme, host, port) and POSTs over them (module docstring).

    ``connection_limit`` bounds the requests in flight, ``per_host_limit`` those to one
    (scheme, host, port); at most ``max_idle`` connections wait for reuse, none longer than
    ``keepalive`` seconds. Use from one event loop; ``close()`` aborts every idle connection.
    """

    def __init__(
        self,
        *,
        resolve: VettedResolver,
        tls: Callable[[], ssl.SSLContext],
        connect_timeout: float,
        max_body: int,
        connection_limit: int = 100,
        per_host_limit: int = 10,
        max_idle: int = 256,
        keepalive: float = 15.0,
    ) -> None:
        self._resolve = resolve
        self._tls = tls
        self._connect_timeout = connect_timeout
        self._max_body = max_body
        self._per_host_limit = per_host_limit
        self._max_idle = max_idle
        self._keepalive = keepalive
        self._in_flight = asyncio.Semaphore(connection_limit)
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._idle_count = 0
        self._busy: dict[tuple[str, str, int], int] = {}
        self._host_waiters: dict[tuple[str, str, int], list[asyncio.Future[None]]] = {}

    async def post(self, url: URL, headers: CIMultiDict[str], body: bytes) -> Posted:
        """POST ``body`` to the (already vetted) ``url`` with ``headers``; the whole answer."""
        host = url.raw_host
        port = url.port
        assert host is not None and port is not None
        key = (url.scheme, host, port)
        request = _request_bytes(url, headers, body)
        async with self._in_flight:
            await self._take_slot(key)
            try:
                return await self._exchange(key, request)
            finally:
                self._give_slot(key)

    def close(self) -> None:
        """Abort every idle connection (requests in flight end with their callers)."""
        for connections in self._idle.values():
            for connection in connections:
                connection.abort()
        self._idle.clear()
        self._idle_count = 0

    async def _exchange(self, key: tuple[str, str, int], request: bytes) -> Posted:
        connection = self._reuse(key)
        if connection is not None:
            try:
                return await self._run(key, connection, request)
            except TransportError:
                if not connection.answered_nothing:
                    raise
                connection.abort()
                # The server closed the kept connection as we sent: a new one, once.
        connection = await self._connect(key)
        return await self._run(key, connection, request)

    async def _run(
        self, key: tuple[str, str, int], connection: _Connection, request: bytes
    ) -> Posted:
        try:
            posted = await connection.exchange(request)
        except BaseException:
            connection.abort()
            raise
        if connection.reusable and not connection.closed:
            self._keep(key, connection)
        else:
            connection.abort()
        return posted

    async def _connect(self, key: tuple[str, str, int]) -> _Connection:
        scheme, host, port = key
        try:
            vetted = await self._resolve(host, port)
        except BlockedAddressError as exc:
            raise TransportError("blocked_address", str(exc)) from exc
        except OSError as exc:
            raise TransportError("dns_error", str(exc) or type(exc).__name__) from exc
        infos = [
            (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address, family in vetted
        ]
        loop = asyncio.get_running_loop()
        connection = _Connection(self._max_body)
        tls = self._tls() if scheme == "https" else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                sock = await aiohappyeyeballs.start_connection(
                    infos, happy_eyeballs_delay=0.25, loop=loop
                )
                try:
                    await loop.create_connection(
                        lambda: connection,
                        sock=sock,
                        ssl=tls,
                        server_hostname=host.rstrip(".") if tls is not None else None,
                    )
                except BaseException:
                    sock.close()
                    raise
        except TimeoutError as exc:
            raise TransportError(
                "timeout", f"no connection within {self._connect_timeout:g} s"
            ) from exc
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise TransportError("tls_error", str(exc)) from exc
        except OSError as exc:
            raise TransportError("connect_error", str(exc) or type(exc).__name__) from exc
        return connection

    # ------------------------------------------------------------------ the pool

    def _reuse(self, key: tuple[str, str, int]) -> _Connection | None:
        connections = self._idle.get(key)
        expired = time.monotonic() - self._keepalive
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            if not connection.closed and connection.idle_since > expired:
                if not connections:
                    del self._idle[key]
                return connection
            connection.abort()
        self._idle.pop(key, None)
        return None

    def _keep(self, key: tuple[str, str, int], connection: _Connection) -> None:
        if self._idle_count >= self._max_idle:
            self._drop_oldest()
        connection.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(connection)
        self._idle_count += 1

    def _drop_oldest(self) -> None:
        # dicts keep insertion order: the first key's connections have waited longest
        key = next(iter(self._idle))
        connections = self._idle[key]
        connections.pop(0).abort()
        self._idle_count -= 1
        if not connections:
            del self._idle[key]

    async def _take_slot(self, key: tuple[str, str, int]) -> None:
        while self._busy.get(key, 0) >= self._per_host_limit:
            waiter = asyncio.get_running_loop().create_future()
            self._host_waiters.setdefault(key, []).append(waiter)
            try:
                await waiter
            finally:
                waiters = self._host_waiters.get(key)
                if waiters is not None and waiter in waiters:
                    waiters.remove(waiter)
                    if not waiters:
                        del self._host_waiters[key]
        self._busy[key] = self._busy.get(key, 0) + 1

    def _give_slot(self, key: tuple[str, str, int]) -> None:
        left = self._busy[key] - 1
        if left:
            self._busy[key] = left
        else:
            del self._busy[key]
        # Every waiter looks again (a woken one may have been cancelled meanwhile).
        for waiter in self._host_waiters.get(key, ()):
            if not waiter.done():
                waiter.set_result(None)


def _request_bytes(url: URL, headers: CIMultiDict[str], body: bytes) -> bytes:
    """The request head and body, refusing header text that could split the request."""
    lines = [
        f"POST {url.raw_path_qs} HTTP/1.1",
        f"Host: {headers.get('Host') or url.host_port_subcomponent}",
    ]
    # aiohttp's defaults, kept so that servers see the same request as before
    if "Accept" not in headers:
        lines.append("Accept: */*")
    if "Content-Type" not in headers:
        lines.append("Content-Type: application/octet-stream")
    for name, value in headers.items():
        if name.lower() in _OWN_HEADERS:
            continue
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"not a valid HTTP header name: {name[:100]!r}")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines)
    breaks = len(lines) - 1  # the only CR and LF allowed: those between the lines
    if head.count("\r") != breaks or head.count("\n") != breaks or "\0" in head:
        raise ValueError("CR, LF or NUL in an outgoing HTTP header")
    return head.encode("utf-8") + b"\r\n\r\n" + body
