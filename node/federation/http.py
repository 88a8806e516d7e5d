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

A caller that needs the verdict on a URL before it spends work on the request (a delivery
signs its POST first) asks :meth:`HttpClient.vet` and passes the :class:`VettedURL` it gets to
``post``/``get``: the first hop is then not checked twice, and the verdict is the client's own,
reached with the parser that connects (a URL another parser judged could name another host).
Redirect targets are vetted as always.

One transport carries every request: ``node.federation.http_transport``, a lean HTTP/1.1
client that costs a fraction of aiohttp's CPU per new connection (``docs/benchmarks.md``,
fan-out), parses answers strictly (head size and header count capped) and decodes a GET's gzip
under the body cap. This module follows a GET's redirects hop by hop, each vetted and
re-signed. The keep-alive pool is created lazily inside the running loop; whoever builds the
client from settings closes it. (aiohttp carried the GETs until 2026-12-07; the node no
longer imports it, which an idle node's memory shows: ``docs/benchmarks.md``, memory.)
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType

from multidict import CIMultiDict
from yarl import URL

from node.federation import http_transport
from node.federation.address_guard import (
    AddressVerdicts,
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
    "VettedURL",
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


@dataclass(frozen=True, eq=False)
class VettedURL:
    """A URL that :meth:`HttpClient.vet` parsed and found acceptable: http(s), no credentials,
    its host neither a refused address nor refused by the federation policy (the address a
    name resolves to is still checked when connecting). Only the client that made it takes
    it as vetted (``seal`` is that client's private token); any other vets it again."""

    url: URL
    seal: object

    def __str__(self) -> str:
        return str(self.url)


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
    every hop (the first URL, or when :meth:`vet` made it, and each redirect) before
    connecting. ``resolver`` replaces the system DNS lookup (tests fake answers with it).
    ``tls_context`` replaces the system's trust store for https (certificate chain and host
    name are still checked with it: tests trust their own authority, an operator could pin
    a private one); it must verify. Use the client from one event loop only.
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
        self._transport: http_transport.Transport | None = None
        self._tls_context = tls_context
        self._closed = False
        # host_refusal, remembered: a fan-out asks it once per delivery
        self._addresses = AddressVerdicts(self._allow_hosts)
        self._seal = object()  # what makes a VettedURL this client's own (vet)

    def _get_transport(self) -> http_transport.Transport:
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        if self._transport is None:
            self._transport = http_transport.Transport(
                resolve=functools.partial(resolve_vetted, self._resolver, self._allow_hosts),
                tls=self._tls_context,
                connect_timeout=self._connect_timeout,
                max_body=self._max_body,
                connection_limit=self._connection_limit,
                per_host_limit=self._per_host_limit,
            )
        return self._transport

    def vet(self, url: str) -> VettedURL:
        """``url`` checked now, as the first hop of a request is (scheme, credentials, address
        of an IP literal, the federation policy on its canonical host); ``FetchError`` with the
        reason if it is refused. Pass the result to ``post`` or ``get`` soon after: the policy
        is not asked again for it."""
        return VettedURL(self._vet_url(url, url), self._seal)

    async def get(
        self,
        url: str | VettedURL,
        *,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
    ) -> HttpResponse:
        """GET ``url``, following up to ``max_redirects`` redirects (each hop vetted, re-signed)."""
        return await self._request("GET", url, None, headers, signer, follow=True)

    async def post(
        self,
        url: str | VettedURL,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
    ) -> HttpResponse:
        """POST ``body`` to ``url``; redirects are not followed (a 3xx is returned as-is).

        A header name that is not a token, or CR, LF or NUL in any header, raises ``ValueError``
        before anything is sent.
        """
        return await self._request("POST", url, body, headers, signer, follow=False)

    async def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._closed = True
        if self._transport is not None:
            self._transport.close()
            self._transport = None

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
        url: str | VettedURL,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        signer: Signer | None,
        *,
        follow: bool,
    ) -> HttpResponse:
        if isinstance(url, VettedURL) and url.seal is self._seal:
            current = url.url
        else:
            current = self._vet_url(str(url), str(url))
        transport = self._get_transport()
        base: CIMultiDict[str] = CIMultiDict({"User-Agent": self._user_agent})
        base.update(headers or {})
        try:
            async with asyncio.timeout(self._timeout):
                for _hop in range(self._max_redirects + 1):
                    sent = CIMultiDict(base)
                    if signer is not None:
                        sent.update(signer(method, str(current), dict(sent), body))
                    try:
                        answer = await transport.request(method, current, sent, body)
                    except http_transport.TransportError as exc:
                        raise FetchError(exc.reason, str(current), exc.detail) from exc
                    location = answer.headers.get("Location", "")
                    if not (follow and answer.status in _REDIRECT_STATUSES and location):
                        return HttpResponse(
                            status=answer.status,
                            headers=answer.headers,
                            body=answer.body,
                            url=str(current),
                        )
                    following = self._vet_url(location, str(current), base=current)
                    if following.origin() != current.origin():
                        for name in _ORIGIN_BOUND_HEADERS:
                            base.popall(name, None)
                    current = following
        except TimeoutError as exc:
            # Only the overall deadline lands here: the transport's own became FetchError above.
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
