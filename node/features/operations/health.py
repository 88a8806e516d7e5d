"""``GET /healthz`` (the process is up), ``GET /readyz`` (the database answers and its schema
is current) and ``GET /metrics`` (Prometheus).

None of them is public unless configured: the health checks answer loopback clients only
(the address after a trusted proxy's X-Forwarded-For) unless ``SOLNODE_HEALTH_PUBLIC=true``;
``/metrics`` wants ``Authorization: Bearer $SOLNODE_METRICS_TOKEN`` and is 404 without one
configured. To anyone else they do not exist (404), as an unknown path would.
"""

from __future__ import annotations

import hmac

from sqlalchemy import Engine, text
from starlette.requests import Request
from starlette.responses import Response

from node import migrations
from node.features.operations.metrics import scrape
from node.federation.context import NodeContext
from node.settings import is_loopback_host
from node.web.render import json_error, json_response

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


def _may_see_health(request: Request) -> bool:
    if _node(request).settings.health_public:
        return True
    return request.client is not None and is_loopback_host(request.client.host)


def healthz_route(request: Request) -> Response:
    """200 ``{"status": "ok"}`` while the process serves requests."""
    if not _may_see_health(request):
        return json_error(404, "Not Found")
    return json_response({"status": "ok"})


def not_ready(engine: Engine) -> str | None:
    """Why the node cannot serve (database unreachable, schema behind), or None when ready."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrations.current_revision(engine)
    except Exception as exc:  # any driver error means "not ready"; the reason says which
        return f"database unreachable: {type(exc).__name__}"
    head = migrations.head_revision()
    if current != head:
        return f"database schema at {current or 'nothing'}, this code needs {head}: run solnode migrate"
    return None


def readyz_route(request: Request) -> Response:
    """200 when the database answers and its migrations are current, else 503 with why."""
    if not _may_see_health(request):
        return json_error(404, "Not Found")
    reason = not_ready(_node(request).engine)
    if reason is not None:
        return json_response({"status": "unavailable", "reason": reason}, status=503)
    return json_response({"status": "ok"})


def metrics_route(request: Request) -> Response:
    """The Prometheus exposition, for a scraper holding the metrics token."""
    token = _node(request).settings.metrics_token
    if not token:
        return json_error(404, "Not Found")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
        response = json_error(401, "send Authorization: Bearer <SOLNODE_METRICS_TOKEN>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return Response(scrape(_node(request).engine), media_type=PROMETHEUS_TYPE)
