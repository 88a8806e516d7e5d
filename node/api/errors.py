"""API errors: one exception, one JSON shape, one place that maps failures to status codes.

Every error body is ``{"error": "what is wrong, for a person", "field": "location.address.
postalCode"}`` (``field`` only when one field is at fault). Statuses: 400 unreadable input (bad
JSON, a bad query parameter), 401 missing or unknown token, 404 nothing of yours there, 409 a
state that forbids the change (the event is full), 410 deleted, 413 too large, 415 not JSON, 422
valid JSON that fails validation.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from node.content.fields import FieldError

log = logging.getLogger("solnode.api")

Endpoint = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """An answer other than success: status, message, the field at fault, extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}


def unprocessable(exc: FieldError, prefix: str = "") -> ApiError:
    """A validation failure (422) naming the field, under ``prefix`` (``object.`` in C2S)."""
    path = f"{prefix}{exc.field}" if exc.field else prefix.rstrip(".")
    return ApiError(422, exc.message, field=path or None)


def error_response(exc: ApiError) -> Response:
    """The JSON answer for an ApiError."""
    body: dict[str, Any] = {"error": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    return Response(
        orjson.dumps(body),
        status_code=exc.status,
        media_type="application/json",
        headers=exc.headers,
    )


class ConflictError(ValueError):
    """A change that the current state does not allow (an event full or closed…): a 409 in
    the API; features raise subclasses of it."""


def endpoint(handler: Endpoint) -> Endpoint:
    """Wrap a route: ApiError, FieldError (422) and ConflictError (409) become JSON
    answers, so handlers and services raise instead of building responses."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc)
        except FieldError as exc:
            return error_response(unprocessable(exc))
        except ConflictError as exc:
            return error_response(ApiError(409, str(exc)))

    return wrapped
