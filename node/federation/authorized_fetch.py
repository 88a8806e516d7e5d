"""Authorized fetch (SOLNODE_AUTHORIZED_FETCH): objects and collections need a signed GET.

Actor documents, WebFinger and NodeInfo stay open, as in Mastodon's secure mode: a server
must be able to read our actors' keys to verify our own signed requests.
"""

from __future__ import annotations

import re
import time

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from node.activitypub.mediatypes import wants_activity_json
from node.activitypub.signatures.request import RequestParts
from node.federation.context import NodeContext
from node.federation.policy import inbox_refusal
from node.federation.remote.fetch import FetchBudget
from node.federation.verify import Refusal, read_signature, status_of, verify_request

PROTECTED = re.compile(
    r"^/(items/[^/]+|activities/[^/]+|"
    r"actors/[^/]+/(followers|following|outbox|members|memberships|events)|"
    r"actor/(followers|following|outbox))$"
)


def _asks_for_activity_json(scope: Scope) -> bool:
    # Browsers get the HTML page of the same URL, which is public: only the ActivityStreams
    # representation is held back from unsigned requests.
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return wants_activity_json(value.decode("latin-1"))
    return False


class AuthorizedFetch:
    """ASGI middleware: 401 for unsigned or badly signed GETs of protected ActivityPub URLs."""

    def __init__(self, app: ASGIApp, node: NodeContext) -> None:
        self.app = app
        self.node = node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.node.settings.authorized_fetch
            or scope["method"] not in ("GET", "HEAD")
            or not PROTECTED.match(scope["path"])
            or not _asks_for_activity_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = await self._check(request)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, error = refusal
        body = orjson.dumps({"error": error})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _check(self, request: Request) -> tuple[int, str] | None:
        """Why the request is refused (status, message), or None when it may be served."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        parts = RequestParts(
            method=request.method,
            path=path,
            headers=dict(request.headers),
            body=None,
            scheme=self.node.settings.scheme,
        )
        info = read_signature(parts)
        if isinstance(info, Refusal):
            return 401, "this node requires signed requests (authorized fetch): " + info.message
        # The inbox's policy, on the signer's server before any key work (a blocked server's
        # key is never fetched), then on the verified key owner: blocked -> 403.
        blocked = inbox_refusal(self.node, info.key_id, info.key_id)
        if blocked is not None:
            return status_of("blocked"), blocked
        # A GET resolves one key: a smaller fetch budget than an inbox activity's.
        client_ip = request.client.host if request.client is not None else ""
        result = await verify_request(
            self.node, parts, info, now=time.time(), budget=FetchBudget(3), client_ip=client_ip
        )
        if isinstance(result, Refusal):
            return result.status, result.message
        blocked = inbox_refusal(self.node, result.owner, result.key_id)
        return None if blocked is None else (status_of("blocked"), blocked)
