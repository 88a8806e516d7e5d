"""Public HTML pages that are not tied to one actor: home and about."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from node import __version__
from node.features.feeds.scopes import upcoming_scopes
from node.federation.actors.local import list_actors
from node.web.render import ctx, html


def home_route(request: Request) -> Response:
    """The node's front page: its organizations and networks."""
    node = ctx(request)
    with Session(node.engine) as session:
        organizations = list_actors(session, "organization")
        networks = list_actors(session, "network")
        scopes = upcoming_scopes(session)
    return html(request, "home.html", organizations=organizations, networks=networks, scopes=scopes)


def about_route(request: Request) -> Response:
    """What this node is, who runs it, and how to follow it."""
    return html(request, "about.html", version=__version__)
