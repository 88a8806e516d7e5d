"""THE outbound HTTP client: SSRF guard, timeouts, size caps, User-Agent, signing hook.

Every request the node makes to another server (deliveries, actor and key fetches, WebFinger,
NodeInfo) goes through :class:`HttpClient`, so the rules for talking to hostile servers live in
one place:

* only ``http``/``https`` URLs without credentials;
* no private, loopback, link-local, multicast, reserved or otherwise non-public destination,
  checked on the *resolved* address of every hop (``node.federation.address_guard``), except hosts
  the operator named in ``allow_hosts``;
* the connection goes to the vetted address itself: the check lives in the resolver the
  transports connect through, so there is no second DNS lookup an attacker could answer
  differently (DNS rebinding);
* TLS verified against the URL's host (certificate chain, host name, SNI) with one context:
  the system's trust store, or ``tls_context``;
* a total time limit per call (all hops and the body included), a connect limit, a body cap,
  a redirect limit (GET only; a POST returns a 3xx as it is) and a re-signature on every hop.

Two transports, one set of rules. GETs go through aiohttp (chosen over httpx by measurement,
``bench/bench_http_client.py``): redirects, gzip. POSTs - deliveries, a thousand servers per
fan-out - go through ``node.federation.http_post``, a lean HTTP/1.1 client that costs a
fraction of aiohttp's CPU per new connection (``docs/benchmarks.md``, fan-out) and parses
answers strictly (head size and header count capped). Each keeps its own keep-alive pool,
created lazily inside the running loop; whoever builds the client from settings closes it.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from node.activitypub.errors import find_cause
from node.federation import http_post
from node.federation.address_guard import (
    AddressVerdicts,
    BlockedAddressError,
    HostPolicy,
    Resolver,
    allow_key,
    is_blocked_address,
    policy_refusal,
    resolve_vetted,
    system_resolver,
)
from node.federation.http_results import FetchError, FetchReason, HttpResponse

__all__ = [
    "FetchError",
    "FetchReason",
    "HostPolicy",
    "HttpClient",
    "HttpResponse",
    "Resolver",
    "Signer",
    "is_blocked_address",
    "system_resolver",
]

Signer = Callable[[str, str, dict[str, str], bytes | None], dict[str, str]]
"""``(method, url, headers, body) -> headers``: called once per hop, just before sending.

The returned headers are merged over ``headers`` (case-insensitively), so a signer may return
either the complete set or only what it adds (``Date``, ``Digest``, ``Signature``...).
"""

_HOP_REASONS: dict[str, FetchReason] = {
    "blocked_address": "blocked_address",
    "blocked_domain": "blocked_domain",
}

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers a caller may set for one origin that must not follow a redirect to another one.
_ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "proxy-authorization")


class _GuardedResolver(AbstractResolver):
    """aiohttp resolver that resolves, then keeps only addresses the node may connect to.

    aiohttp connects only to what its resolver returns, so vetting here closes the DNS
    rebinding window a separate check-then-connect would leave open.
    """

    def __init__(self, resolve: Resolver, allow_hosts: frozenset[str]) -> None:
        self._resolve = resolve
        self._allow_hosts = allow_hosts

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and return only the vetted addresses (all of them if allow-listed)."""
        vetted = await resolve_vetted(self._resolve, self._allow_hosts, host, port, family)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=ip_family,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address, ip_family in vetted
        ]

    async def close(self) -> None:
        """Nothing to release: the injected resolver owns no resources here."""


def _classify(exc: Exception, url: str) -> FetchError:
    """Map an aiohttp/OS exception to a FetchError with a stable reason."""
    blocked = find_cause(exc, BlockedAddressError)
    if blocked is not None:
        return FetchError("blocked_address", url, str(blocked))
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError("dns_error", url, str(exc.os_error))
    if isinstance(exc, aiohttp.ClientSSLError) or find_cause(exc, ssl.SSLError) is not None:
        return FetchError("tls_error", url, str(exc))
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError("bad_url", url, str(exc))
    if isinstance(exc, TimeoutError):
        return FetchError("timeout", url, str(exc) or type(exc).__name__)
    return FetchError("connect_error", url, str(exc) or type(exc).__name__)


class HttpClient:
    """The node's one outbound HTTP client (see the module docstring for the rules it enforces).

        Build one per process from settings, share it, and ``await close()`` it (or use it as an
        async context manager). The underlying session is created on first use, inside the loop.
        ``timeout`` bounds a whole call: waiting for a pooled connection, every hop and the body.

        ``allow_hosts`` (``SOLNODE_ALLOW_HOSTS``) lists host names or IP literals exempt from the
        address check, matched against the URL's host only: allowing ``127.0.0.1`` lets
        ``http://127.0.0.1:8001/`` through but not a name that merely resolves to 127.0.0.1, so a
        hostile DNS record cannot borrow an exemption; an entry with a port (``node.example:8443``)
        exempts that port only. ``host_policy`` is asked about the canonical ``host[:port]`` of
        every hop (the first URL and each redirect) before connecting. ``resolver`` replaces the system DNS lookup
        (tests fake answers with it). ``tls_context`` replaces the system's trust store for https
    (certificate chain and host name are still checked with it: tests trust their own authority,
    an operator could pin a private one); it must verify. Use the client from one event loop only.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        allow_hosts: Iterable[str] = (),
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_body: int = 1_000_000,
        max_redirects: int = 3,
        resolver: Resolver | None = None,
        connection_limit: int = 100,
        per_host_limit: int = 10,
        host_policy: HostPolicy | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if not user_agent:
            raise ValueError("user_agent is required (servers block anonymous clients)")
        self._user_agent = user_agent
        self._allow_hosts = frozenset(allow_key(h) for h in allow_hosts if h.strip())
        self._host_policy = host_policy
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._max_body = max_body
        self._max_redirects = max_redirects
        self._resolver: Resolver = resolver or system_resolver
        self._connection_limit = connection_limit
        self._per_host_limit = per_host_limit
        self._session: aiohttp.ClientSession | None = None
        self._poster: http_post.PostTransport | None = None
        self._tls_context = tls_context
        self._closed = False
        # host_refusal, remembered: a fan-out asks it once per delivery
        self._addresses = AddressVerdicts(self._allow_hosts)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=_GuardedResolver(self._resolver, self._allow_hosts),
                limit=self._connection_limit,
                limit_per_host=self._per_host_limit,
                ssl=True if self._tls_context is None else self._tls_context,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Server-to-server: a cookie set by one remote must never reach another.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Proxies from the environment would bypass the address guard.
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                headers={"User-Agent": self._user_agent},
            )
        return self._session

    def _get_poster(self) -> http_post.PostTransport:
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        if self._poster is None:
            self._poster = http_post.PostTransport(
                resolve=functools.partial(resolve_vetted, self._resolver, self._allow_hosts),
                tls=self._tls_context,
                connect_timeout=self._connect_timeout,
                max_body=self._max_body,
                connection_limit=self._connection_limit,
                per_host_limit=self._per_host_limit,
            )
        return self._poster

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
    ) -> HttpResponse:
        """GET ``url``, following up to ``max_redirects`` redirects (each hop vetted, re-signed)."""
        return await self._request("GET", url, None, headers, signer, follow=True)

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
    ) -> HttpResponse:
        """POST ``body`` to ``url``; redirects are not followed (a 3xx is returned as-is).

        A header name that is not a token, or CR, LF or NUL in any header, raises ``ValueError``
        before anything is sent. The transport is ``node.federation.http_post`` (not aiohttp).
        """
        current = self._vet_url(url, url)
        poster = self._get_poster()
        sent: CIMultiDict[str] = CIMultiDict({"User-Agent": self._user_agent})
        sent.update(headers or {})
        if signer is not None:
            sent.update(signer("POST", str(current), dict(sent), body))
        try:
            async with asyncio.timeout(self._timeout):
                posted = await poster.post(current, sent, body)
        except http_post.TransportError as exc:
            raise FetchError(exc.reason, str(current), exc.detail) from exc
        except TimeoutError as exc:
            raise FetchError(
                "timeout", str(current), f"no complete answer within {self._timeout:g} s"
            ) from exc
        return HttpResponse(
            status=posted.status, headers=posted.headers, body=posted.body, url=str(current)
        )

    async def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._closed = True
        if self._poster is not None:
            self._poster.close()
            self._poster = None
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        signer: Signer | None,
        *,
        follow: bool,
    ) -> HttpResponse:
        current = self._vet_url(url, url)
        session = self._get_session()
        base: CIMultiDict[str] = CIMultiDict({"User-Agent": self._user_agent})
        base.update(headers or {})
        try:
            async with asyncio.timeout(self._timeout):
                for _hop in range(self._max_redirects + 1):
                    sent = CIMultiDict(base)
                    if signer is not None:
                        sent.update(signer(method, str(current), dict(sent), body))
                    try:
                        async with session.request(
                            method, current, data=body, headers=sent, allow_redirects=False
                        ) as resp:
                            location = resp.headers.get("Location", "")
                            if not (follow and resp.status in _REDIRECT_STATUSES and location):
                                return await self._read(resp)
                    except aiohttp.ClientError as exc:
                        raise _classify(exc, str(current)) from exc
                    except OSError as exc:  # includes aiohttp's own timeouts
                        raise _classify(exc, str(current)) from exc
                    following = self._vet_url(location, str(current), base=current)
                    if following.origin() != current.origin():
                        for name in _ORIGIN_BOUND_HEADERS:
                            base.popall(name, None)
                    current = following
        except TimeoutError as exc:
            # Only the overall deadline lands here: inner timeouts became FetchError above.
            raise FetchError(
                "timeout", str(current), f"no complete answer within {self._timeout:g} s"
            ) from exc
        raise FetchError(
            "too_many_redirects", str(current), f"more than {self._max_redirects} redirects"
        )

    def _vet_url(self, raw: str, context: str, base: URL | None = None) -> URL:
        """Parse and check a URL (or a redirect target relative to ``base``) before any I/O."""
        try:
            url = URL(raw)
            if base is not None:
                url = base.join(url)
        except (ValueError, TypeError) as exc:
            raise FetchError("bad_url", context, f"cannot parse {raw!r}: {exc}") from exc
        text = str(url)
        if url.scheme not in ("http", "https"):
            raise FetchError("bad_scheme", text, f"scheme {url.scheme!r}")
        if url.raw_user is not None or url.raw_password is not None:
            # Report the URL without the secret: this message ends up in logs.
            shown = str(url.with_user(None))
            raise FetchError("bad_url", shown, "credentials in URLs are not allowed")
        host = url.raw_host
        if not host:
            raise FetchError("bad_url", text, "no host")
        # The address check is remembered per (host, port); the federation policy can change
        # at any time and is asked every time.
        refusal = self._addresses.refusal(host, url.port) or policy_refusal(
            url.scheme, host, url.port, self._host_policy
        )
        if refusal is not None:
            reason, detail = refusal
            raise FetchError(_HOP_REASONS.get(reason, "bad_url"), text, detail)
        return url

    async def _read(self, resp: aiohttp.ClientResponse) -> HttpResponse:
        """Read the whole body; refuse it early (Content-Length) or once it passes the cap."""
        final = str(resp.url)
        if resp.content_length is not None and resp.content_length > self._max_body:
            raise FetchError(
                "too_large",
                final,
                f"Content-Length {resp.content_length} > {self._max_body} bytes",
            )
        body = bytearray()
        # Never ask for more than one byte past the cap: that byte is the proof of "too large".
        while chunk := await resp.content.read(self._max_body + 1 - len(body)):
            body += chunk
            if len(body) > self._max_body:
                raise FetchError("too_large", final, f"body > {self._max_body} bytes")
        return HttpResponse(
            status=resp.status,
            # Already a read-only view of the parsed headers, and it outlives the connection.
            headers=resp.headers,
            body=bytes(body),
            url=final,
        )
