"""Bearer tokens on API requests (``solnode token create SLUG`` makes one)."""

from __future__ import annotations

import math

from anyio import to_thread
from starlette.requests import Request

from node.api.errors import ApiError
from node.api.tokens import TokenRefused, actor_for_token
from node.db import session_scope
from node.federation.context import NodeContext

CHALLENGE = 'Bearer realm="solidarity-node"'


def _unauthorized(message: str, code: str | None = None) -> ApiError:
    challenge = CHALLENGE + (f', error="{code}"' if code else "")
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer …``; 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthorized("send Authorization: Bearer <token> (solnode token create SLUG)")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be: Bearer <token>", "invalid_request")
    return token.strip()


async def authenticate(node: NodeContext, request: Request) -> int:
    """The database id of the actor the request's token belongs to; 401 otherwise. Runs its own
    short transaction (the token's last use is recorded)."""
    limiter = node.limiters.api
    if limiter is not None and request.client is not None:
        # Per address, before the token is even looked at: this also slows token guessing.
        wait = limiter.take(request.client.host)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                f"too many API requests from your address; retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
    token = bearer_token(request)

    def lookup() -> int | str | None:
        with session_scope(node.engine) as session:
            try:
                actor = actor_for_token(session, token)
            except TokenRefused as exc:
                return str(exc)  # expired or revoked: say which (the holder had a real token)
            return actor.id if actor is not None else None

    found = await to_thread.run_sync(lookup)
    if isinstance(found, str):
        raise _unauthorized(found, "invalid_token")
    if found is None:
        raise _unauthorized("unknown token", "invalid_token")
    return found
