"""``POST /api/v1/actors/{slug}/media``: upload an image as the organization of the bearer token
(multipart/form-data: ``file``, ``alt``, ``purpose``); 201 with its id for ``{"media": ID}``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from anyio import to_thread
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.api.auth import authenticate
from node.api.errors import ApiError, endpoint
from node.features.media.images import ImageRefused, check_size, megabytes
from node.features.media.store import store_image
from node.federation.context import NodeContext
from node.models import LocalActor, Media
from node.web.render import ctx, json_response

# Room for the multipart framing and the alt text around the image itself.
FORM_OVERHEAD = 64_000


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + FORM_OVERHEAD:  # sent without a length: its size is not known yet
            raise ImageRefused(413, f"This image is over the limit of {megabytes(limit)}.")
        yield chunk


async def _read_form(request: Request, node: NodeContext) -> tuple[bytes, dict[str, Any]]:
    """The uploaded file's bytes and the form's other fields, the body capped at the limit."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "multipart/form-data":
        raise ApiError(415, "send the image as multipart/form-data (file, alt, purpose)")
    limit = node.settings.media_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:
        check_size(int(declared), limit)  # the form's framing is a few hundred bytes of it
    parser = MultiPartParser(
        request.headers, _capped(request, limit), max_files=1, max_fields=4, max_part_size=16_000
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"the form could not be read: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(400, "send the image in the form field named file", field="file")
        data = await upload.read()
        fields = {k: v for k, v in form.items() if k in ("alt", "purpose") and isinstance(v, str)}
    finally:
        await form.close()
    return data, fields


def media_view(node: NodeContext, media: Media) -> dict[str, Any]:
    """An upload as the API answers it (``name`` is the alt text)."""
    return {
        "id": media.id,
        "url": node.urls.media(media.file_name),
        "mediaType": media.media_type,
        "name": media.alt,
        "width": media.width,
        "height": media.height,
        "purpose": media.purpose,
    }


@endpoint
async def upload_media(request: Request) -> Response:
    """Upload an image for the organization ``slug`` (the token's own): 201 with its id."""
    node = ctx(request)
    actor_id = await authenticate(node, request)
    slug = str(request.path_params["slug"])

    def owner() -> LocalActor:
        with Session(node.engine) as session:
            actor = session.get(LocalActor, actor_id)
        if actor is None:
            raise ApiError(401, "unknown or revoked token")
        if actor.slug != slug:
            raise ApiError(403, f"this token belongs to {actor.slug}, not to {slug[:100]}")
        return actor

    actor = await to_thread.run_sync(owner)
    try:
        data, fields = await _read_form(request, node)

        def work() -> Media:
            return store_image(
                node.engine, node.settings, actor, data, alt=fields.get("alt"),
                purpose=fields.get("purpose"),
            )  # fmt: skip

        media = await to_thread.run_sync(work)
    except ImageRefused as exc:
        raise ApiError(exc.status, exc.message, field="file") from None
    return json_response(media_view(node, media), status=201)


def routes() -> list[Route]:
    """The routes of this module (node/wiring.py mounts them)."""
    return [Route("/api/v1/actors/{slug}/media", upload_media, methods=["POST"])]
