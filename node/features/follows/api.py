"""API: who follows an actor (and approving them), and whom it follows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.api.auth import authenticate
from node.api.common import as_actor, read_json
from node.api.errors import ApiError, endpoint
from node.features.follows import approval as followers_mod
from node.features.follows import follower_pages as pages
from node.features.follows.following import FollowError, follow, unfollow
from node.federation.context import NodeContext
from node.federation.remote.actors import RemoteActorError
from node.models import Following, LocalActor
from node.web.render import ctx, json_response

STATES = ("pending", "accepted")


def _target(body: Any, field: str) -> str:
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 2048:
        raise ApiError(422, f"`{field}` must be a handle (user@host) or an actor URL", field=field)
    return value.strip()


DEFAULT_LIMIT, MAX_LIMIT = 40, 200
_CURSORS = ("max_id", "min_id")


def _whole(request: Request, name: str, low: int, high: int) -> int | None:
    """The query parameter ``name`` as a whole number from ``low`` to ``high`` (None when
    absent); 400 when it is anything else."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18 or not low <= int(raw) <= high:
        raise ApiError(400, f"must be a whole number from {low} to {high}", field=name)
    return int(raw)


def _page_url(request: Request, state: str | None, limit: int, cursor: str, at: int) -> str:
    params = ([f"state={state}"] if state else []) + [f"limit={limit}", f"{cursor}={at}"]
    return f"{ctx(request).settings.base_url}{request.url.path}?{'&'.join(params)}"


@endpoint
async def list_followers(request: Request) -> Response:
    """GET /api/v1/followers?state=pending|accepted&limit=&max_id=&min_id=: newest first, a
    page at a time (node/features/follows/follower_pages.py); the next and previous pages are
    in the Link header, as Mastodon's API gives them, and in the body."""
    state = request.query_params.get("state")
    if state is not None and state not in STATES:
        raise ApiError(422, "state must be pending or accepted", field="state")
    limit = _whole(request, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
    # a cursor is a row id; any larger than every id is the open end
    max_id, min_id = (_whole(request, name, 0, 10**18) for name in _CURSORS)
    max_id, min_id = (None if at is None else min(at, pages.NO_ID) for at in (max_id, min_id))

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        states = (state,) if state else pages.STATES
        found = pages.window(
            session, actor.id or 0, states, limit=limit, max_id=max_id, min_id=min_id
        )
        older, newer = (
            None if at is None else _page_url(request, state, limit, name, at)
            for at, name in ((found.older, "max_id"), (found.newer, "min_id"))
        )
        links = [f'<{url}>; rel="{rel}"' for url, rel in ((older, "next"), (newer, "prev")) if url]
        items = [
            {"actor": r.remote_id, "state": r.state, "since": r.created_at.isoformat()}
            for r in found.rows
        ]
        response = json_response({"items": items, "next": older, "prev": newer})
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    return await as_actor(request, work)


# What each decision leaves the follower as, in the answer.
DECISIONS = {"approve": "accepted", "reject": "refused", "remove": "removed"}


def _decide(action: str) -> Any:
    @endpoint
    async def decide(request: Request) -> Response:
        """POST /api/v1/followers/approve|reject|remove {"actor": URL}"""
        body = await read_json(request)
        remote_id = _target(body, "actor")

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            try:
                if action == "remove":
                    followers_mod.remove(session, node, actor, remote_id)
                else:
                    approve = action == "approve"
                    followers_mod.decide(session, node, actor, remote_id, approve=approve)
            except followers_mod.FollowerError as exc:
                raise ApiError(409, str(exc), field="actor") from exc
            return json_response({"actor": remote_id, "state": DECISIONS[action]})

        return await as_actor(request, work)

    return decide


async def _me(request: Request) -> tuple[NodeContext, LocalActor]:
    node = ctx(request)
    actor_pk = await authenticate(node, request)
    with Session(node.engine) as session:
        actor = session.get(LocalActor, actor_pk)
    if actor is None:
        raise ApiError(401, "unknown or revoked token")
    return node, actor


def _follow(undo: bool) -> Any:
    @endpoint
    async def run(request: Request) -> Response:
        """POST /api/v1/follow|unfollow {"target": handle or actor URL}"""
        body = await read_json(request)
        target = _target(body, "target")
        node, actor = await _me(request)

        try:
            if undo:
                await unfollow(node, actor, target)
                return json_response({"target": target, "state": "unfollowed"})
            row = await follow(node, actor, target)
        except (FollowError, RemoteActorError) as exc:
            raise ApiError(422, f"cannot follow {target}: {exc}", field="target") from exc
        return json_response({"target": row.target_id, "state": row.state}, status=202)

    return run


@endpoint
async def list_following(request: Request) -> Response:
    """GET /api/v1/following"""

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        rows = session.exec(
            select(Following)
            .where(Following.actor_id == actor.id)
            .order_by(col(Following.id).desc())
        ).all()
        return json_response({"items": [{"target": r.target_id, "state": r.state} for r in rows]})

    return await as_actor(request, work)


def routes() -> list[Route]:
    """The follow routes of the API."""
    return [
        Route("/api/v1/followers", list_followers, methods=["GET"]),
        Route("/api/v1/followers/approve", _decide("approve"), methods=["POST"]),
        Route("/api/v1/followers/reject", _decide("reject"), methods=["POST"]),
        Route("/api/v1/followers/remove", _decide("remove"), methods=["POST"]),
        Route("/api/v1/following", list_following, methods=["GET"]),
        Route("/api/v1/follow", _follow(False), methods=["POST"]),
        Route("/api/v1/unfollow", _follow(True), methods=["POST"]),
    ]
