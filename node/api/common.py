"""What every API route does: read a JSON body within limits, run its work in one transaction as
the token's actor, page lists with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import orjson
from anyio import to_thread
from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar
from starlette.requests import Request

from node.api.auth import authenticate
from node.api.errors import ApiError
from node.db import session_scope
from node.federation.context import NodeContext
from node.models import LocalActor
from node.web.render import ctx

T = TypeVar("T")


class _Numbered(Protocol):
    id: int | None


R = TypeVar("R", bound=_Numbered)

MAX_BODY = 1_000_000
JSON_TYPES = ("application/json", "application/merge-patch+json")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


async def read_json(request: Request, media_types: tuple[str, ...] = JSON_TYPES) -> Any:
    """The decoded JSON body: 415 for another content type, 413 above 1 MB, 400 if unreadable."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in media_types:
        raise ApiError(415, f"send JSON (Content-Type: {media_types[0]})")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


async def as_actor(request: Request, work: Callable[[Session, NodeContext, LocalActor], T]) -> T:
    """Authenticate, then run ``work`` in one transaction as the token's actor; wake the worker
    afterwards (work may have enqueued deliveries)."""
    node = ctx(request)
    actor_id = await authenticate(node, request)

    def run() -> T:
        with session_scope(node.engine) as session:
            actor = session.get(LocalActor, actor_id)
            if actor is None:  # deleted between the two transactions
                raise ApiError(401, "unknown or revoked token")
            return work(session, node, actor)

    result = await to_thread.run_sync(run)
    node.notify_work()
    return result


def limit_param(request: Request) -> int:
    """``limit``: 1..100, default 20."""
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return int(raw)


def encode_cursor(last_id: int) -> str:
    """An opaque cursor continuing after the row ``last_id`` (lists run newest first)."""
    return base64.urlsafe_b64encode(f"i:{last_id}".encode()).decode().rstrip("=")


def cursor_param(request: Request) -> int | None:
    """The row id a ``cursor`` continues after; 400 if it is not one of ours."""
    raw = request.query_params.get("cursor")
    if raw is None or raw == "":
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "i" or not number.isdigit() or len(number) > 18:
        raise ApiError(400, "is not a cursor from a previous page", field="cursor")
    return int(number)


def page(
    request: Request, rows: list[T], limit: int, row_id: Callable[[T], int | None]
) -> tuple[list[T], str | None]:
    """The rows of this page (``limit`` + 1 were fetched) and the URL of the next page."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = row_id(rows[-1])
    assert last is not None
    params = dict(request.query_params)
    params.update(limit=str(limit), cursor=encode_cursor(last))
    query = "&".join(f"{k}={v}" for k, v in params.items() if k in ("limit", "cursor", "state"))
    return rows, f"{ctx(request).settings.base_url}{request.url.path}?{query}"


def newest_page(
    session: Session,
    request: Request,
    query: SelectOfScalar[R],
    id_column: Any,
    cursor: tuple[int, int | None],
) -> tuple[list[R], str | None]:
    """One page of ``query``'s rows, newest (highest ``id_column``) first: ``cursor`` is the
    ``(limit, after)`` of :func:`limit_param` and :func:`cursor_param`. Also the URL of the
    next page (see :func:`page`)."""
    limit, after = cursor
    row_id = col(id_column)
    if after is not None:
        query = query.where(row_id < after)
    rows = list(session.exec(query.order_by(row_id.desc()).limit(limit + 1)))
    return page(request, rows, limit, lambda r: r.id)
