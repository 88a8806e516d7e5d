"""POST /actors/{slug}/inbox and POST /inbox (the shared inbox)."""

from __future__ import annotations

import time

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from node.activitypub.mediatypes import AP_BODY_TYPES
from node.context import NodeContext
from node.federation.inbox.receive import MAX_BODY, receive
from node.ratelimit import limiter_for, too_many_requests
from node.web.render import ctx, json_error, json_response


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


RECIPIENTS = "inbox_recipients"
RECIPIENT_TTL = 30.0
FIND_RECIPIENT = text("SELECT slug FROM local_actor WHERE slug = :slug AND kind != 'application'")


def known_recipient(node: NodeContext, slug: str) -> str | None:
    """The slug if it names one of our organizations or networks, else None.

    An ORM query here cost more than verifying and storing the activity (measured with
    bench/bench_inbox.py), so answers are kept for half a minute.
    """
    slug = slug.lower()
    now = time.monotonic()
    cache: dict[str, tuple[str | None, float]] = node.cache.setdefault(RECIPIENTS, {})
    hit = cache.get(slug)
    if hit is not None and hit[1] > now:
        return hit[0]
    with node.engine.connect() as conn:
        found = conn.execute(FIND_RECIPIENT, {"slug": slug}).scalar()
    if len(cache) > 10_000:
        cache.clear()
    cache[slug] = (found, now + RECIPIENT_TTL)
    return found


async def inbox_route(request: Request) -> Response:
    """Receive an activity: verify, store raw, answer 202; processing happens in a job."""
    node = ctx(request)
    ip_limiter = limiter_for(node, "inbox_ip")
    if ip_limiter is not None and request.client is not None:
        # Before the body is read: a flood from one address costs us almost nothing.
        wait = ip_limiter.take(request.client.host)
        if wait:
            return too_many_requests(wait, "too many requests from your address; slow down")
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in AP_BODY_TYPES:
        return json_error(
            415, "send ActivityStreams JSON (Content-Type: application/activity+json)"
        )
    body = await _read_capped(request)
    if body is None:
        return json_error(413, f"the body is larger than {MAX_BODY} bytes")
    recipient = None
    slug = request.path_params.get("slug")
    if slug is not None:
        recipient = known_recipient(node, slug)
        if recipient is None:
            return json_error(404, f"no actor {slug} on this node")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    outcome = await receive(
        node,
        method=request.method,
        path=path,
        headers=dict(request.headers),
        body=body,
        recipient=recipient,
    )
    return json_response(outcome.body, status=outcome.status, headers=outcome.headers)
