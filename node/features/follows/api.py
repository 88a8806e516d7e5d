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


@endpoint
async def list_followers(request: Request) -> Response:
    """GET /api/v1/followers?state=pending|accepted"""
    state = request.query_params.get("state")
    if state is not None and state not in STATES:
        raise ApiError(422, "state must be pending or accepted", field="state")

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        rows = followers_mod.list_followers(session, actor, state)
        return json_response(
            {
                "items": [
                    {"actor": r.remote_id, "state": r.state, "since": r.created_at.isoformat()}
                    for r in rows
                ]
            }
        )

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
