"""POST /actors/{slug}/inbox and POST /inbox (the shared inbox), as one pure ASGI endpoint.

The inbox takes most of a node's traffic, so it is answered without Starlette's request and
response objects: the headers and the path as sent are read straight from the ASGI scope, the
body through ``receive``, and the answer goes out as two ASGI messages, prebuilt for the two
answers almost every POST gets (accepted, duplicate). The node's front (node/web/front.py)
calls it before Starlette's router and middleware, doing their duties for it; it is also the
endpoint of the two routes, so the router answers other methods on these paths as before (405).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from sqlalchemy import text
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from node.activitypub.mediatypes import AP_BODY_TYPES
from node.federation.context import NodeContext
from node.federation.inbox.receive import (
    ACCEPTED,
    DUPLICATE,
    MAX_BODY,
    Outcome,
    refused,
)
from node.federation.inbox.receive import receive as receive_activity
from node.federation.verify import Refusal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Told each answer's outcome: (accepted | duplicate | ignored | refused, refusal reason or "").
CountOutcome = Callable[[str, str], None]

# The routes' templates (what /metrics counts requests under).
SHARED_INBOX = "/inbox"
ACTOR_INBOX = "/actors/{slug}/inbox"
NOSNIFF = (b"x-content-type-options", b"nosniff")


async def read_capped(receive: Receive, declared: str | None) -> bytes | None:
    """The request body, or None when it is (or says it is) larger than ``MAX_BODY``.
    Raises ClientDisconnect when the client goes away (or its body is too slow: node.web.edge)."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


RECIPIENT_TTL = 30.0
FIND_RECIPIENT = text("SELECT slug FROM local_actor WHERE slug = :slug AND kind != 'application'")


def known_recipient(node: NodeContext, slug: str) -> str | None:
    """The slug if it names one of our organizations or networks, else None.

    An ORM query here cost more than verifying and storing the activity (measured with
    bench/bench_inbox.py), so answers are kept for half a minute.
    """
    slug = slug.lower()
    now = time.monotonic()
    cache = node.inbox_recipients
    hit = cache.get(slug)
    if hit is not None and hit[1] > now:
        return hit[0]
    with node.engine.connect() as conn:
        found = conn.execute(FIND_RECIPIENT, {"slug": slug}).scalar()
    if len(cache) > 10_000:
        cache.clear()
    cache[slug] = (found, now + RECIPIENT_TTL)
    return found


def path_as_sent(scope: Scope) -> str:
    """The path and query as the sender wrote them (what its signature covers): the server's
    ``raw_path``, not the percent-decoded path."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def headers_of(scope: Scope) -> dict[str, str]:
    """The request's headers by (lower-case) name, the first of a repeated one, as
    ``dict(request.headers)`` gave them."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        if key not in headers:
            headers[key] = value.decode("latin-1")
    return headers


def outcome_key(outcome: Outcome) -> tuple[str, str]:
    """(outcome, reason) of an answer, as /metrics counts inbox answers."""
    if outcome.status < 400:
        return str(outcome.body.get("status", "accepted")), ""
    return "refused", str(outcome.body.get("reason", "unknown"))


def messages(outcome: Outcome) -> tuple[Message, Message]:
    """The two ASGI messages of an answer: JSON, ``nosniff``, its own headers (``Retry-After``)."""
    body = orjson.dumps(outcome.body)
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
        NOSNIFF,
    ]
    for name, value in (outcome.headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    start = {"type": "http.response.start", "status": outcome.status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


def routes(inbox: InboxEndpoint) -> list[Route]:
    """The inboxes' routes: the router answers other methods on them (405)."""
    return [
        Route(ACTOR_INBOX, inbox, methods=["POST"]),
        Route(SHARED_INBOX, inbox, methods=["POST"]),
    ]


class InboxEndpoint:
    """The inbox as an ASGI endpoint: verify, store raw, answer 202; processing is a job."""

    def __init__(self, count: CountOutcome) -> None:
        self.count = count
        # the answers nearly every POST gets, encoded once: (metrics key, start, body) by id
        self._prebuilt = {
            id(known): (outcome_key(known), *messages(known)) for known in (ACCEPTED, DUPLICATE)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _, start, body = await self.answer(scope, receive)
        await send(start)
        await send(body)

    async def answer(self, scope: Scope, receive: Receive) -> tuple[int, Message, Message]:
        """One POST's status and the two ASGI messages that answer it, its outcome counted.
        The node comes from the app (``scope["app"]``); the slug from the path's parameters."""
        node: NodeContext = scope["app"].state.node
        slug = scope.get("path_params", {}).get("slug")
        outcome = await self.decide(node, scope, receive, slug)
        prebuilt = self._prebuilt.get(id(outcome))
        if prebuilt is None:
            key = outcome_key(outcome)
            start, body = messages(outcome)
        else:
            key, start, body = prebuilt
            # copies: a server or middleware may change the message it is given
            start = {**start, "headers": list(start["headers"])}
            body = dict(body)
        self.count(*key)
        return outcome.status, start, body

    async def decide(
        self, node: NodeContext, scope: Scope, receive: Receive, slug: str | None
    ) -> Outcome:
        """What a POST to an inbox (the shared one when ``slug`` is None) is answered."""
        client = scope.get("client")
        client_ip = client[0] if client else ""
        ip_limiter = node.limiters.inbox_ip
        if ip_limiter is not None and client:
            # Before the body is read: a flood from one address costs us almost nothing.
            wait = ip_limiter.take(client_ip)
            if wait:
                seconds = max(1, math.ceil(wait))
                message = "too many requests from your address; slow down"
                return refused(Refusal("rate_limited", message, retry_after=seconds))
        headers = headers_of(scope)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in AP_BODY_TYPES:
            return refused(
                Refusal(
                    "unsupported_media_type",
                    "send ActivityStreams JSON (Content-Type: application/activity+json)",
                )
            )
        body = await read_capped(receive, headers.get("content-length"))
        if body is None:
            return refused(Refusal("body_too_large", f"the body is larger than {MAX_BODY} bytes"))
        recipient = None
        if slug is not None:
            recipient = known_recipient(node, slug)
            if recipient is None:
                return refused(Refusal("no_recipient", f"no actor {slug} on this node"))
        return await receive_activity(
            node,
            method=scope["method"],
            path=path_as_sent(scope),
            headers=headers,
            body=body,
            recipient=recipient,
            client_ip=client_ip,
        )
