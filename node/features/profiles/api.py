"""``GET`` and ``PATCH /api/v1/profile``: the organization of the bearer token."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.api.common import as_actor, read_json
from node.api.errors import ApiError, endpoint
from node.features.profiles.editing import profile_view, update_profile
from node.federation.context import NodeContext
from node.models import LocalActor
from node.web.render import json_response


@endpoint
async def get_profile(request: Request) -> Response:
    """The profile as stored, with ESSGlobal labels."""

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        return json_response(profile_view(node, actor))

    return await as_actor(request, work)


@endpoint
async def patch_profile(request: Request) -> Response:
    """Edit the profile (a JSON Merge Patch); followers get an ``Update`` when it changed."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "a PATCH body must be a JSON object (a merge patch)")

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        update_profile(session, node, actor, data)
        return json_response(profile_view(node, actor))

    return await as_actor(request, work)


def routes() -> list[Route]:
    """The routes of this module (app.py mounts them)."""
    return [
        Route("/api/v1/profile", get_profile, methods=["GET"]),
        Route("/api/v1/profile", patch_profile, methods=["PATCH"]),
    ]
