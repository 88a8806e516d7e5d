"""Routes of the bridges: ``/@{slug}/murmurations.json``, ``/@{slug}/essglobal.jsonld`` and
``/@{slug}/widget``, the one page other sites may frame (its own CSP ``frame-ancestors *``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.features.bridges import essglobal_ld, murmurations
from node.features.networks.queries import Filters
from node.features.networks.upcoming import upcoming_events
from node.federation.actors.local import SLUG_RE, get_actor
from node.models import LocalActor
from node.urls import Urls
from node.web.i18n import N_
from node.web.render import ctx, html, json_error, json_response

WIDGET_LIMIT = 10
WIDGET_MAX = 50
# The widget is meant to be framed anywhere; it has no script, forms or plugins.
WIDGET_HEADERS: dict[str, str | None] = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
        "form-action 'none'; frame-ancestors *; base-uri 'none'"
    ),
    "X-Frame-Options": None,
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _actor(session: Session, request: Request) -> LocalActor | None:
    slug = request.path_params["slug"]
    if not SLUG_RE.match(slug) or len(slug) > 64:
        return None
    actor = get_actor(session, slug)
    return actor if actor is not None and actor.kind != "application" else None


def _shared_document(
    request: Request, build: Callable[[LocalActor, Urls], dict[str, Any]], media_type: str
) -> Response:
    """The organization's document from ``build``, readable by any site (CORS ``*``)."""
    node = ctx(request)
    with Session(node.engine) as session:
        actor = _actor(session, request)
        if actor is None:
            return json_error(404, "no such organization")
        doc = build(actor, node.urls)
    return json_response(doc, headers={"Access-Control-Allow-Origin": "*"}, media_type=media_type)


def murmurations_route(request: Request) -> Response:
    """The organization's Murmurations profile (an index fetches it from here)."""
    return _shared_document(request, murmurations.profile, "application/json")


def essglobal_route(request: Request) -> Response:
    """The organization's ESSGlobal description as JSON-LD."""
    return _shared_document(request, essglobal_ld.document, essglobal_ld.MEDIA_TYPE)


def _limit(value: str | None) -> int:
    try:
        number = int(value or WIDGET_LIMIT)
    except ValueError:
        return WIDGET_LIMIT
    return max(1, min(number, WIDGET_MAX))


def widget_route(request: Request) -> Response:
    """Upcoming events of an organization or network, for an iframe: ``?tag=``, ``?region=``,
    ``?online=1``, ``?limit=`` (at most 50)."""
    node = ctx(request)
    filters = Filters.from_query(request.query_params)
    limit = _limit(request.query_params.get("limit"))
    with Session(node.engine) as session:
        actor = _actor(session, request)
        if actor is None:
            return html(
                request,
                "error.html",
                status=404,
                headers=WIDGET_HEADERS,
                title=N_("Not found"),
                message=N_("There is no such organization on this node."),
            )
        entries = upcoming_events(session, node, actor, filters, limit=limit)
        name = actor.name
        slug = actor.slug
    return html(
        request,
        "widget.html",
        headers=WIDGET_HEADERS,
        name=name,
        slug=slug,
        entries=entries,
        filtered=bool(filters.as_query()),
    )


def routes() -> list[Route]:
    """The bridges' routes (before ``/@{slug}/{section}``, which would take them)."""
    return [
        Route("/@{slug}/murmurations.json", murmurations_route),
        Route("/@{slug}/essglobal.jsonld", essglobal_route),
        Route("/@{slug}/widget", widget_route),
    ]
