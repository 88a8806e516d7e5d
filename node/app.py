"""create_app(settings) -> Starlette (NodeApp: the inbox in front, node/web/front.py): the routes
node/wiring.py gathers, middleware, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from http import HTTPStatus

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.activitypub.mediatypes import wants_activity_json
from node.db import make_engine
from node.features.operations.logs import use_json_logs, use_log_level
from node.features.operations.metrics import RequestMetrics, request_observer
from node.federation.authorized_fetch import AuthorizedFetch
from node.federation.context import NodeContext
from node.federation.worker import Worker
from node.heap import release_when_quiet
from node.settings import Settings
from node.web.edge import EdgeGuard
from node.web.front import NodeApp
from node.web.i18n import N_
from node.web.render import html, json_error, make_environment
from node.wiring import inbox_endpoint, job_registry, routes

log = logging.getLogger("solnode.app")


# Starlette's titles (HTTP's reason phrases), marked so error.html shows them in the reader's
# language; a detail a route chose itself is shown as given.
TITLES = {
    400: N_("Bad Request"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or wants_activity_json(accept) or "json" in accept


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return json_error(exc.status_code, str(exc.detail))
    standard = HTTPStatus(exc.status_code).phrase if exc.status_code in TITLES else None
    title = TITLES[exc.status_code] if str(exc.detail) == standard else str(exc.detail)
    return html(request, "error.html", status=exc.status_code, title=title,
                message=N_("Sorry, that did not work."))  # fmt: skip


def _server_error_page(request: Request) -> Response | None:
    """The 500 page for a person (None when it cannot be drawn: the JSON answer then)."""
    if "text/html" not in request.headers.get("accept", "") or _wants_json(request):
        return None
    try:
        return html(request, "error.html", status=500, title=TITLES[500],
                    message=N_("Something went wrong on this node; it logged the details."))  # fmt: skip
    except Exception:  # the failure may be in the templates themselves
        log.exception("the 500 page could not be drawn")
        return None


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    page = _server_error_page(request)
    response = page or json_error(500, "internal error; the node logged the details")
    # Sent from outside EdgeGuard (Starlette's error middleware is the outermost), so marked here.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def create_app(
    settings: Settings, *, engine: Engine | None = None, run_worker: bool = False
) -> Starlette:
    """Build the web application. With ``run_worker`` the job worker runs in this process."""
    engine = engine or make_engine(settings)
    use_log_level(settings.log_level)
    if settings.log_format == "json":
        use_json_logs()
    node = NodeContext.build(settings, engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        node.open_http()
        node.inbox_batch = None  # a fresh batch at the first POST (a restarted app's too)
        releaser = asyncio.create_task(release_when_quiet())
        worker_task: asyncio.Task[None] | None = None
        worker: Worker | None = None
        if run_worker:
            worker = Worker(node, job_registry())
            node.wake_worker = worker.wake
            worker_task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            # the rows still waiting for their group commit are written before all else; the
            # closed batch stays, so a POST that still arrives is answered 503 (receive.py)
            if node.inbox_batch is not None:
                await node.inbox_batch.close()
            if worker is not None and worker_task is not None:
                worker.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(worker_task, timeout=30)
            await node.close_http()
            releaser.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await releaser

    inbox = inbox_endpoint()
    app = NodeApp(
        inbox=inbox,
        body_timeout=settings.body_timeout,
        observe=request_observer().observe,
        routes=routes(inbox),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, 500: _server_error},
    )
    app.state.node = node
    app.state.templates = make_environment()
    app.add_middleware(AuthorizedFetch, node=node)
    # Counts and times every request under its route template (for /metrics).
    app.add_middleware(RequestMetrics)
    # Outermost of ours (added last): it sees every body read and every answer.
    app.add_middleware(EdgeGuard, body_timeout=settings.body_timeout)
    return app
