"""POST /actors/{slug}/inbox and POST /inbox (the shared inbox)."""

from __future__ import annotations

import math
import time

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from node.activitypub.mediatypes import AP_BODY_TYPES
from node.federation.context import NodeContext
from node.federation.inbox.receive import MAX_BODY, Outcome, receive, refused
from node.federation.verify import Refusal


async def _read_capped(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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


def _path_as_sent(request: Request) -> str:
    """The path and query as the sender wrote them (what its signature covers): the server's
    ``raw_path``, not the percent-decoded path (which also cost a URL object a request)."""
    scope = request.scope
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _headers(request: Request) -> dict[str, str]:
    """The request's headers by (lower-case) name, the first of a repeated one, as
    ``dict(request.headers)`` gave them, read straight from the ASGI scope."""
    headers: dict[str, str] = {}
    for name, value in request.scope["headers"]:
        key = name.decode("latin-1").lower()
        if key not in headers:
            headers[key] = value.decode("latin-1")
    return headers


def _answer(outcome: Outcome) -> Response:
    # JSON by hand: the inbox sits below the web kit (node.web) and needs nothing else of it.
    return Response(
        orjson.dumps(outcome.body),
        status_code=outcome.status,
        media_type="application/json",
        headers=outcome.headers,
    )


async def inbox_route(request: Request) -> Response:
    """Receive an activity: verify, store raw, answer 202; processing happens in a job."""
    node: NodeContext = request.app.state.node
    ip_limiter = node.limiters.inbox_ip
    if ip_limiter is not None and request.client is not None:
        # Before the body is read: a flood from one address costs us almost nothing.
        wait = ip_limiter.take(request.client.host)
        if wait:
            seconds = max(1, math.ceil(wait))
            message = "too many requests from your address; slow down"
            return _answer(refused(Refusal("rate_limited", message, retry_after=seconds)))
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in AP_BODY_TYPES:
        return _answer(
            refused(
                Refusal(
                    "unsupported_media_type",
                    "send ActivityStreams JSON (Content-Type: application/activity+json)",
                )
            )
        )
    body = await _read_capped(request)
    if body is None:
        return _answer(
            refused(Refusal("body_too_large", f"the body is larger than {MAX_BODY} bytes"))
        )
    recipient = None
    slug = request.path_params.get("slug")
    if slug is not None:
        recipient = known_recipient(node, slug)
        if recipient is None:
            return _answer(refused(Refusal("no_recipient", f"no actor {slug} on this node")))
    outcome = await receive(
        node,
        method=request.method,
        path=_path_as_sent(request),
        headers=_headers(request),
        body=body,
        recipient=recipient,
        client_ip=request.client.host if request.client is not None else "",
    )
    return _answer(outcome)
