"""The outbound client's transport: a lean HTTP/1.1 client for every request the node makes.

A fan-out POSTs one activity to a thousand servers, most of them new connections, and aiohttp's
connector, request and response objects cost more CPU per POST than the RSA signature each one
carries (``docs/benchmarks.md``, fan-out); the GETs (actor and key fetches, WebFinger, NodeInfo)
went through aiohttp too, which alone held ~8 MiB of an idle node's memory (``bench_memory``).
This transport does only what the node needs, on an ``asyncio.Protocol`` with httptools (llhttp,
the parser uvicorn uses) reading the answers. It is used only through
:class:`node.federation.http.HttpClient`, which vets every URL (scheme, credentials, literal
addresses, the federation policy), follows a GET's redirects hop by hop and bounds the whole
call with its total deadline before anything here runs; this module keeps the rest of the
client's rules:

* the connection goes to an address vetted after resolution (``resolve_vetted``): no second
  DNS lookup, so no DNS rebinding; IP literals were judged before the call and are not
  resolved;
* connecting and the TLS handshake share the connect limit; TLS is verified with the client's
  context (certificate chain, host name, SNI) against the URL's host;
* one request, one answer: a 3xx is returned as the answer (the client decides whether to
  follow it);
* the answer is parsed strictly: status line, at most ``MAX_HEAD`` bytes and ``MAX_HEADERS``
  header lines, a body by Content-Length, chunked or read until close, never more than the
  body cap (an announced larger body is refused before it is read). Anything malformed, or a
  connection closed mid-answer, is a ``connect_error``;
* a GET asks for gzip or deflate and its body is decoded under the same cap (a decompression
  bomb is ``too_large``); a POST sends no ``Accept-Encoding`` and its answer is returned as
  sent;
* outgoing header names and values with CR, LF or NUL are refused (``ValueError``, as aiohttp
  refused them), so no header a remote party influenced can split the request;
* a connection is kept alive per (scheme, host, port) only after an answer read whole that
  allows keep-alive; a kept connection closed by the server before any byte of the answer is
  replaced by a new one once (a GET is safe to repeat; receivers dedupe activities by id, so a
  repeated POST is harmless).
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable

# The happy-eyeballs connect aiohttp uses too (its dependency): one way to open a socket.
import aiohappyeyeballs
from multidict import CIMultiDict
from yarl import URL

from node.federation.address_guard import BlockedAddressError
from node.federation.http_wire import Answer, Connection, TransportError, decoded, request_bytes

__all__ = ["Answer", "Transport", "TransportError", "VettedResolver"]

VettedResolver = Callable[[str, int], Awaitable[list[tuple[str, socket.AddressFamily]]]]
"""``(host, port) -> [(address, family)]``: resolution with every address already vetted."""


async def connect_to(
    addresses: list[tuple[str, socket.AddressFamily]],
    port: int,
    protocol: asyncio.Protocol,
    tls: ssl.SSLContext | None,
    server_hostname: str,
) -> None:
    """Connect ``protocol`` to one of the vetted ``addresses`` (the only way this transport
    opens a connection), with TLS for ``server_hostname`` when ``tls`` is given."""
    loop = asyncio.get_running_loop()
    hostname = server_hostname if tls is not None else None
    if len(addresses) == 1:
        # The common case, connected by the loop itself (uvloop: in C, ~0.1 ms of CPU less
        # than the happy-eyeballs path). AI_NUMERICHOST: the address is taken as it is,
        # never looked up.
        address, family = addresses[0]
        await loop.create_connection(
            lambda: protocol,
            host=address,
            port=port,
            family=family,
            flags=socket.AI_NUMERICHOST,
            ssl=tls,
            server_hostname=hostname,
        )
        return
    infos = [
        (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
        for address, family in addresses
    ]
    sock = await aiohappyeyeballs.start_connection(infos, happy_eyeballs_delay=0.25, loop=loop)
    try:
        await loop.create_connection(lambda: protocol, sock=sock, ssl=tls, server_hostname=hostname)
    except BaseException:
        sock.close()
        raise


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    """The system's trust store, host names checked, as aiohttp verifies (made once: it reads
    the certificates from disk)."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _literal_family(host: str) -> socket.AddressFamily | None:
    """The family of an IP literal host (as yarl gives it: no brackets), None for a name."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return family
    return None


class Transport:
    """Keep-alive connections per (scheme, host, port) and requests over them (module docstring).

    ``connection_limit`` bounds the requests in flight, ``per_host_limit`` those to one
    (scheme, host, port); at most ``max_idle`` connections wait for reuse, none longer than
    ``keepalive`` seconds. Use from one event loop; ``close()`` aborts every idle connection.
    """

    def __init__(
        self,
        *,
        resolve: VettedResolver,
        tls: ssl.SSLContext | None,
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
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._idle_count = 0
        self._sweeper: asyncio.TimerHandle | None = None
        self._busy: dict[tuple[str, str, int], int] = {}
        self._host_waiters: dict[tuple[str, str, int], list[asyncio.Future[None]]] = {}

    async def request(
        self, method: str, url: URL, headers: CIMultiDict[str], body: bytes | None
    ) -> Answer:
        """Send ``method`` to the (already vetted) ``url`` with ``headers`` and ``body`` (None:
        none, as for a GET); the whole answer, its body decoded if a GET's came compressed."""
        host = url.raw_host
        port = url.port
        assert host is not None and port is not None
        key = (url.scheme, host, port)
        request = request_bytes(method, url, headers, body)
        # The host's slot first: requests queued for one busy host hold none of the others'.
        await self._take_slot(key)
        try:
            async with self._in_flight:
                answer = await self._exchange(key, request)
        finally:
            self._give_slot(key)
        return decoded(answer, self._max_body) if body is None else answer

    def close(self) -> None:
        """Abort every idle connection (requests in flight end with their callers)."""
        for connections in self._idle.values():
            for connection in connections:
                connection.abort()
        self._idle.clear()
        self._idle_count = 0
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def _exchange(self, key: tuple[str, str, int], request: bytes) -> Answer:
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
        self, key: tuple[str, str, int], connection: Connection, request: bytes
    ) -> Answer:
        try:
            answer = await connection.exchange(request)
        except BaseException:
            connection.abort()
            raise
        if connection.reusable and not connection.closed:
            self._keep(key, connection)
        else:
            connection.abort()
        return answer

    async def _connect(self, key: tuple[str, str, int]) -> Connection:
        scheme, host, port = key
        try:
            literal = _literal_family(host)
            if literal is not None:  # judged with the URL, before any I/O (host_refusal)
                vetted = [(host, literal)]
            else:
                vetted = await self._resolve(host, port)
        except BlockedAddressError as exc:
            raise TransportError("blocked_address", str(exc)) from exc
        except OSError as exc:
            raise TransportError("dns_error", str(exc) or type(exc).__name__) from exc
        connection = Connection(self._max_body)
        tls = (self._tls or _default_tls_context()) if scheme == "https" else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                await connect_to(vetted, port, connection, tls, host.rstrip("."))
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

    def _reuse(self, key: tuple[str, str, int]) -> Connection | None:
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

    def _keep(self, key: tuple[str, str, int], connection: Connection) -> None:
        if self._idle_count >= self._max_idle:
            self._drop_oldest()
        connection.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(connection)
        self._idle_count += 1
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(self._keepalive, self._sweep)

    def _sweep(self) -> None:
        """Close the connections idle longer than ``keepalive`` (a server that never closes
        its end must not keep our sockets), and come back while any is left."""
        self._sweeper = None
        expired = time.monotonic() - self._keepalive
        for key, connections in list(self._idle.items()):
            fresh = [c for c in connections if not c.closed and c.idle_since > expired]
            for connection in connections:
                if connection not in fresh:
                    connection.abort()
            self._idle_count -= len(connections) - len(fresh)
            if fresh:
                self._idle[key] = fresh
            else:
                del self._idle[key]
        if self._idle:
            self._sweeper = asyncio.get_running_loop().call_later(self._keepalive, self._sweep)

    def _drop_oldest(self) -> None:
        # dicts keep insertion order: the first key is (about) the one idle longest
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
