"""What the outbound client (``node.federation.http``) returns and raises: a complete
response, or a FetchError with a stable reason. Its own module so that both transports (aiohttp
for GETs, ``http_post`` for POSTs) speak the same results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

__all__ = ["FetchError", "FetchReason", "HttpResponse"]

FetchReason = Literal[
    "blocked_address",
    "blocked_domain",
    "bad_scheme",
    "bad_url",
    "too_large",
    "timeout",
    "connect_error",
    "too_many_redirects",
    "dns_error",
    "bad_json",
    "tls_error",
]

_REASON_TEXT: dict[str, str] = {
    "blocked_address": "refused to connect to a non-public address",
    "blocked_domain": "refused to connect to a server this node does not federate with",
    "bad_scheme": "only http and https URLs can be fetched",
    "bad_url": "malformed or unsupported URL",
    "too_large": "response body exceeds the size limit",
    "timeout": "the remote server did not answer in time",
    "connect_error": "could not talk to the remote server",
    "too_many_redirects": "too many redirects",
    "dns_error": "the host name could not be resolved",
    "bad_json": "the response body is not valid JSON",
    "tls_error": "TLS handshake or certificate verification failed",
}


class FetchError(Exception):
    """An outbound request failed before a complete HTTP response was obtained.

    ``reason`` is a stable machine-readable code (see :data:`FetchReason`) that the retry policy
    classifies; ``url`` is the URL of the hop that failed; ``str(error)`` reads well in logs.
    A response with an error *status* (404, 500...) is not a FetchError: it is returned.
    """

    def __init__(self, reason: FetchReason, url: str, detail: str = "") -> None:
        self.reason: FetchReason = reason
        self.url = url
        self.detail = detail
        text = _REASON_TEXT[reason]
        super().__init__(f"{text}: {detail} ({url})" if detail else f"{text} ({url})")


@dataclass(frozen=True)
class HttpResponse:
    """A complete response: status, case-insensitive headers, the whole (capped) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    """The final URL, after redirects."""

    def json(self) -> Any:
        """Parse the body as JSON; raise ``FetchError(reason="bad_json")`` if it is not."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise FetchError("bad_json", self.url, str(exc)) from exc
