"""``GET /media/{name}``: an uploaded image, cached for a year (its name is its content hash)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from node.features.media.store import find_file
from node.web.render import ctx, json_error

CACHE_FOREVER = "public, max-age=31536000, immutable"


def media_route(request: Request) -> Response:
    """An uploaded image; 404 for any name that is not one (no path is ever built from it
    before it matched ``<sha256>.jpg|png`` and a row)."""
    node = ctx(request)
    found = find_file(node.engine, node.settings, str(request.path_params["name"]))
    if found is None:
        return json_error(404, "no such image")
    path, media_type = found
    headers = {"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=media_type, headers=headers)


def routes() -> list[Route]:
    """The routes of this module (node/wiring.py mounts them)."""
    return [Route("/media/{name}", media_route, methods=["GET", "HEAD"])]
