"""``/search`` (the page: a plain GET form, no JavaScript) and ``GET /api/v1/search`` (JSON),
both answered by node/features/search/query.py. Public: no token."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.db import read_session
from node.features.search.hits import Hit
from node.features.search.query import SearchError, SearchQuery, search
from node.web import fragments
from node.web.render import ctx, html, json_error, json_response, page_language

HIT_TEMPLATE = "_search_hit.html"


def _view(hit: Hit) -> dict[str, Any]:
    return {
        "kind": hit.kind,
        "title": hit.title,
        "url": hit.url,
        "id": hit.object_id,
        "author": {"name": hit.author_name, "url": hit.author_url},
        "startTime" if hit.kind == "event" else "published": (
            hit.when.isoformat() if hit.when else None
        ),
        "place": hit.place,
        "online": hit.online,
        "category": hit.category,
        "summary": " ".join(hit.summary.split()),
    }


def drawn(request: Request, views: list[dict[str, Any]], lang: str) -> list[Markup]:
    """Each hit's ``<li>`` (templates/_search_hit.html) in ``lang``, kept in
    ``node.web.fragments.kept`` under a digest of everything it shows: a search of a common
    word shows many of the same hits again, and 50 of them drawn cost as much as the search."""

    def context(view: dict[str, Any]) -> dict[str, Any]:
        return {"h": view}

    items = [(fragments.digest(HIT_TEMPLATE, lang, v), partial(context, v)) for v in views]
    return fragments.drawn(request, HIT_TEMPLATE, lang, items)


def search_page(request: Request) -> Response:
    """``/search?q=…&from=…&to=…&region=…&category=…&online=…``: results as a page."""
    node = ctx(request)
    try:
        query = SearchQuery.from_params(request.query_params)
    except SearchError as exc:
        return html(
            request,
            "search.html",
            status=400,
            query=SearchQuery(),
            error=str(exc),
            hits=[],
            params=dict(request.query_params),
        )
    with read_session(node.engine) as session:
        hits = search(session, node, query)
    # the language html() will draw the page in
    lang = page_language(request, {})
    return html(
        request,
        "search.html",
        query=query,
        error="",
        hits=drawn(request, [_view(h) for h in hits], lang),
        params=query.as_params(),
        api_link="/api/v1/search?" + urlencode(query.as_params()),
    )


def search_api(request: Request) -> Response:
    """``GET /api/v1/search``: ``{"query": {...}, "items": [...]}``; 400 with a message on a
    parameter that cannot be read."""
    node = ctx(request)
    try:
        query = SearchQuery.from_params(request.query_params)
    except SearchError as exc:
        return json_error(400, str(exc))
    with read_session(node.engine) as session:
        hits = search(session, node, query)
    return json_response({"query": query.as_params(), "items": [_view(h) for h in hits]})


def routes() -> list[Route]:
    """The routes to add to the app (node/wiring.py)."""
    return [Route("/search", search_page), Route("/api/v1/search", search_api)]
