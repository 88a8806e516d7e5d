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
from node.activitypub.signatures.results import FAILURE_MESSAGES, Failure, Rejected
from node.activitypub.signatures.verify import parse_signature
from node.activitypub.signatures.verify import verify as verify_signature
from node.context import NodeContext

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
        error = await self._check(request)
        if error is None:
            await self.app(scope, receive, send)
            return
        body = orjson.dumps({"error": error})
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _check(self, request: Request) -> str | None:
        from node.federation.remote import actors as remote

        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        parts = RequestParts(
            method=request.method,
            path=path,
            headers=dict(request.headers),
            body=None,
            scheme=self.node.settings.scheme,
        )
        info = parse_signature(parts)
        if isinstance(info, Failure):
            return (
                "this node requires signed requests (authorized fetch): " + (FAILURE_MESSAGES[info])
            )
        try:
            key = await remote.resolve_key(self.node, info.key_id, budget=remote.FetchBudget(3))
        except remote.RemoteActorError as exc:
            return f"could not get the signing key {info.key_id}: {exc}"
        result = verify_signature(parts, info, key.public_key, now=time.time())
        if isinstance(result, Rejected):
            return result.detail
        return None
