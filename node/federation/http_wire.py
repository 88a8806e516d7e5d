"""One HTTP/1.1 client connection of the outbound transport (``node.federation.http_transport``):
the request's bytes out, its answer in, parsed strictly.

The answer is read by httptools (llhttp, the parser uvicorn uses) with this module's limits on
top: at most ``MAX_HEAD`` bytes of status line and headers and ``MAX_HEADERS`` header lines,
the body capped (an announced larger one refused before it is read), interim 1xx answers
skipped, a body delimited by the close accepted only when the answer has no other framing.
Anything malformed, or a close mid-answer, fails the exchange as ``connect_error``; bytes after
a complete answer make the connection unfit for reuse. Outgoing header names must be tokens
and no header may carry CR, LF or NUL. A body sent gzip- or deflate-encoded is decoded
(:func:`decoded`) with the same cap on what it decodes to, so a small bomb is refused as soon
as it passes the cap.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from dataclasses import dataclass, field
from typing import cast

import httptools
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from node.federation.http_results import FetchReason

__all__ = [
    "MAX_HEAD",
    "MAX_HEADERS",
    "Answer",
    "Connection",
    "TransportError",
    "decoded",
    "request_bytes",
]

MAX_HEAD = 64 * 1024
"""Bytes a response may spend on its status line and headers."""
MAX_HEADERS = 100
"""Header lines a response may have."""


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field names
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class TransportError(Exception):
    """A request failed without a complete answer; ``reason`` is a FetchReason."""

    def __init__(self, reason: FetchReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: FetchReason = reason
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    """A complete answer: status, read-only case-insensitive headers, the whole body."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


class _Malformed(Exception):
    """Raised inside parser callbacks: the answer breaks a rule (the text says which)."""


class _Surplus(Exception):
    """Bytes after a complete answer: the answer stands, the connection is not reused."""


@dataclass
class _Reading:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    framed: bool = False  # Content-Length or Transfer-Encoding: its end is not the close
    length: bytes | None = None
    headers_done: bool = False
    done: bool = False


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: sends one request at a time and parses its answer."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._answer = _Reading()
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
        self._ended("the server closed the connection mid-response", clean=True)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        # a reset (exc) cuts a body delimited by the close short: it is no end of the answer
        self._ended(f"connection lost mid-response: {exc}" if exc else "", clean=exc is None)

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
            self._answer = _Reading()
            self._head_bytes = 0
            return
        answer.done = True
        self.reusable = self._parser.should_keep_alive() and answer.status != 101

    # ------------------------------------------------------------------ requests

    async def exchange(self, request: bytes) -> Answer:
        """Send one request and wait for its whole answer."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._answer = _Reading()
        self._head_bytes = self._received = 0
        self.reusable = False
        self.transport.write(request)
        await self._waiter
        if self._failure is not None:
            raise self._failure
        answer = self._answer
        self._waiter = None
        return Answer(
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

    def _ended(self, detail: str, *, clean: bool) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        answer = self._answer
        if clean and answer.headers_done and not answer.framed and not answer.done:
            answer.done = True  # a body delimited by the close: complete now
            waiter.set_result(None)
            return
        self._fail("connect_error", detail or "the server closed the connection mid-response")

    def _fail(self, reason: FetchReason, detail: str) -> None:
        self.reusable = False
        if self._failure is None:
            self._failure = TransportError(reason, detail)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.abort()


def request_bytes(method: str, url: URL, headers: CIMultiDict[str], body: bytes | None) -> bytes:
    """The request head and body (``None``: a request without one, a GET), refusing header
    text that could split the request."""
    lines = [
        f"{method} {url.raw_path_qs} HTTP/1.1",
        f"Host: {headers.get('Host') or url.host_port_subcomponent}",
    ]
    # aiohttp's defaults, kept so that servers see the same requests as when it sent them
    if "Accept" not in headers:
        lines.append("Accept: */*")
    if body is None:
        if "Accept-Encoding" not in headers:
            lines.append("Accept-Encoding: gzip, deflate")
    elif "Content-Type" not in headers:
        lines.append("Content-Type: application/octet-stream")
    for name, value in headers.items():
        if name.lower() in _OWN_HEADERS:
            continue
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"not a valid HTTP header name: {name[:100]!r}")
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines)
    breaks = len(lines) - 1  # the only CR and LF allowed: those between the lines
    if head.count("\r") != breaks or head.count("\n") != breaks or "\0" in head:
        raise ValueError("CR, LF or NUL in an outgoing HTTP header")
    return head.encode("utf-8") + b"\r\n\r\n" + (body or b"")


# zlib's window bits: 47 = a gzip or zlib header, detected; -15 = raw deflate (some servers send
# "deflate" without the zlib header RFC 9110 asks for)
_GZIP_OR_ZLIB = zlib.MAX_WBITS | 32
_RAW_DEFLATE = -zlib.MAX_WBITS


def decoded(answer: Answer, max_body: int) -> Answer:
    """The answer with its body decoded when it came gzip- or deflate-encoded (what a GET asks
    for), never more than ``max_body`` bytes decoded; other answers as they are. An empty body
    (a redirect, a 204 or 304 that names an encoding) has nothing to decode."""
    codings = [
        c.strip()
        for c in answer.headers.get("Content-Encoding", "").lower().split(",")
        if c.strip() not in ("", "identity")
    ]
    if not codings or not answer.body:
        return answer
    coding = codings[0] if len(codings) == 1 else ", ".join(codings)
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise TransportError("connect_error", f"unsupported Content-Encoding {coding[:40]!r}")
    try:
        try:
            body = _inflate(answer.body, _GZIP_OR_ZLIB, max_body)
        except zlib.error:
            if coding != "deflate":
                raise
            body = _inflate(answer.body, _RAW_DEFLATE, max_body)
    except zlib.error as exc:
        raise TransportError("connect_error", f"undecodable {coding} body: {exc}") from exc
    return Answer(answer.status, answer.headers, body)


def _inflate(data: bytes, wbits: int, max_body: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    body = inflater.decompress(data, max_body + 1)  # one byte past the cap is the proof
    if len(body) > max_body:
        raise TransportError("too_large", f"body > {max_body} bytes once decompressed")
    if not inflater.eof:
        raise zlib.error("the compressed body ends before its end")
    return body
