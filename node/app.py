"""create_app(settings) -> Starlette: routes, middleware, lifespan. The only importer of routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from node.activitypub.mediatypes import wants_activity_json
from node.api import openapi as api_openapi
from node.context import NodeContext
from node.db import make_engine
from node.features.bridges import routes as bridge_routes
from node.features.feeds import routes as feed_routes
from node.features.follows import api as api_follows
from node.features.networks import api as network_api
from node.features.networks import routes as network_routes
from node.features.participation import api as api_social
from node.features.profiles import api as api_profile
from node.features.profiles import discovery
from node.features.profiles import routes as actor_routes
from node.features.publishing import api as api_routes
from node.features.publishing import object_routes as content_routes
from node.features.publishing import outbox_api as api_outbox
from node.features.publishing import pages as item_pages
from node.features.site import pages
from node.federation.authorized_fetch import AuthorizedFetch
from node.federation.inbox import routes as inbox_routes
from node.federation.worker import Worker, default_registry
from node.settings import Settings
from node.web.render import html, json_error, make_environment

log = logging.getLogger("solnode.app")
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def routes() -> list[Route | Mount]:
    """Every route of the node."""
    return [
        # The inboxes first: they take most of the traffic, and routes are matched in order
        # (matching thirty-odd patterns before them cost ~0.1 ms a request, measured).
        Route("/actors/{slug}/inbox", inbox_routes.inbox_route, methods=["POST"]),
        Route("/inbox", inbox_routes.inbox_route, methods=["POST"]),
        Route("/", pages.home_route),
        Route("/about", pages.about_route),
        Route("/.well-known/webfinger", discovery.webfinger_route),
        Route("/.well-known/host-meta", discovery.host_meta_route),
        Route("/.well-known/host-meta.json", discovery.host_meta_route),
        Route("/.well-known/nodeinfo", discovery.nodeinfo_discovery_route),
        Route("/nodeinfo/2.1", discovery.nodeinfo_route),
        Route("/actor", actor_routes.instance_actor_route),
        Route("/actor/outbox", actor_routes.outbox_route),
        Route("/actor/followers", actor_routes.followers_route),
        Route("/actor/following", actor_routes.following_route),
        Route("/actors/{slug}", actor_routes.actor_route),
        Route("/@{slug}", actor_routes.actor_route),
        *feed_routes.routes(),
        Route("/actors/{slug}/followers", actor_routes.followers_route),
        Route("/actors/{slug}/following", actor_routes.following_route),
        Route("/actors/{slug}/outbox", actor_routes.outbox_route),
        *network_routes.routes(),
        *network_api.routes(),
        *api_outbox.routes(),
        Route("/items/{uid}", _item_route),
        Route("/items/{uid}/register", item_pages.register_route, methods=["POST"]),
        *bridge_routes.routes(),
        Route("/@{slug}/{section}", item_pages.section_route),
        Route("/tags/{tag}", item_pages.tag_route),
        Route("/activities/{uid}", content_routes.activity_route),
        Route("/api/openapi.json", api_openapi.openapi_route),
        *api_routes.routes(),
        *api_social.routes(),
        *api_follows.routes(),
        *api_profile.routes(),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]


def _item_route(request: Request) -> Response:
    # One URL, two representations: ActivityStreams (and Tombstones) for ActivityPub clients,
    # the item's page for browsers.
    if wants_activity_json(request.headers.get("accept")):
        return content_routes.item_route(request)
    return item_pages.item_page(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    accept = request.headers.get("accept", "")
    if request.url.path.startswith("/api/") or wants_activity_json(accept) or "json" in accept:
        return json_error(exc.status_code, str(exc.detail))
    return html(
        request,
        "error.html",
        status=exc.status_code,
        title=str(exc.detail),
        message="Sorry, that did not work.",
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_error(500, "internal error; the node logged the details")


def create_app(
    settings: Settings, *, engine: Engine | None = None, run_worker: bool = False
) -> Starlette:
    """Build the web application. With ``run_worker`` the job worker runs in this process."""
    engine = engine or make_engine(settings)
    node = NodeContext.build(settings, engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        node.open_http()
        worker_task: asyncio.Task[None] | None = None
        worker: Worker | None = None
        if run_worker:
            worker = Worker(node, default_registry())
            node.wake_worker = worker.wake
            worker_task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            if worker is not None and worker_task is not None:
                worker.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(worker_task, timeout=30)
            await node.close_http()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, 500: _server_error},
    )
    app.state.node = node
    app.state.templates = make_environment()
    app.add_middleware(AuthorizedFetch, node=node)
    return app
