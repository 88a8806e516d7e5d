"""Response helpers: ActivityStreams JSON, JSON errors, HTML from templates."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from node.activitypub.mediatypes import wants_activity_json
from node.activitypub.vocab import ACTIVITY_JSON
from node.federation.context import NodeContext
from node.web import i18n
from node.web.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src https: http: data:; style-src 'self' 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Only over https (a loopback http node must stay reachable); a year, like Mastodon's default.
# No includeSubDomains: other services may live under the same domain without TLS.
HSTS = "max-age=31536000"


def security_headers(node: NodeContext) -> dict[str, str]:
    """The headers every HTML page carries (CSP and friends; HSTS when served over https)."""
    if node.settings.scheme == "https":
        return {**SECURITY_HEADERS, "Strict-Transport-Security": HSTS}
    return SECURITY_HEADERS


def ctx(request: Request) -> NodeContext:
    """The node context of the app serving this request."""
    node: NodeContext = request.app.state.node
    return node


def activity_json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serve an ActivityStreams document with the content type Mastodon requires."""
    return Response(
        orjson.dumps(doc),
        status_code=status,
        media_type=ACTIVITY_JSON,
        headers={"Vary": "Accept", **(headers or {})},
    )


def json_response(
    doc: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    """Plain JSON (API, NodeInfo, WebFinger with its own media type)."""
    return Response(orjson.dumps(doc), status_code=status, media_type=media_type, headers=headers)


def json_error(status: int, message: str, **extra: Any) -> Response:
    """A JSON error body ``{"error": message}``: the shape Mastodon and API clients expect."""
    return Response(
        orjson.dumps({"error": message, **extra}),
        status_code=status,
        media_type="application/json",
    )


def too_many_requests(retry_after: float, message: str) -> Response:
    """429 with ``Retry-After`` (whole seconds, at least 1) and a JSON error body."""
    seconds = max(1, math.ceil(retry_after))
    response = json_error(429, message, reason="rate_limited", retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def make_environment() -> Environment:
    """The Jinja environment for templates/ (autoescaped HTML)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # ``{% trans %}`` in the new style (``%(name)s`` filled and escaped); the callables
    # themselves come with each page (html()), in that page's language.
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    return env


def html(
    request: Request,
    template: str,
    status: int = 200,
    *,
    headers: dict[str, str | None] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template with the node and request in scope, with the security headers;
    ``headers`` overrides some of them (a ``None`` value drops one)."""
    env: Environment = request.app.state.templates
    node = ctx(request)
    ui = page_language(request, context)
    body = env.get_template(template).render(
        request=request,
        settings=node.settings,
        urls=node.urls,
        ui_lang=ui,
        **i18n.template_callables(ui),
        **context,
    )
    merged: dict[str, str | None] = {**security_headers(node), "Vary": "Accept", **(headers or {})}
    final = {k: v for k, v in merged.items() if v is not None}
    return HTMLResponse(body, status_code=status, headers=final)


def page_language(request: Request, context: dict[str, Any]) -> str:
    """The language of the words around the content: the page's own choice (``ui_lang``, or
    its content language ``lang``), else the reader's Accept-Language."""
    chosen = context.pop("ui_lang", None) or context.get("lang")
    if isinstance(chosen, str) and chosen:
        return i18n.ui_language(chosen)
    return i18n.negotiate(request.headers.get("accept-language", "")[:1000])


def not_found(request: Request, what: str) -> Response:
    """A 404 in the form the client asked for: JSON for ActivityPub clients, a page for people.

    ``what`` names the missing thing with its article ("This network")."""
    if wants_activity_json(request.headers.get("accept")):
        return json_error(404, f"{what} not found")
    return html(
        request,
        "error.html",
        status=404,
        title=N_("Not found"),
        message=N_("%(what)s was not found on this node."),
        what=what,
    )
