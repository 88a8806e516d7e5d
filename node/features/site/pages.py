"""Public HTML pages that are not tied to one actor: the front page (upcoming events first, as
Gancio's and Mobilizon's are, then calls and news, then who publishes here), the page of a
region and of a category, and about."""

from __future__ import annotations

from collections import Counter
from datetime import date
from urllib.parse import quote

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from node import __version__
from node.db import now_utc
from node.features.feeds.scopes import upcoming_scopes
from node.features.networks import kept_slices
from node.features.networks.cards import entry_html
from node.features.networks.highlights import node_latest, node_upcoming
from node.features.networks.queries import Filters
from node.features.search.query import printable
from node.federation.actors.local import list_actors
from node.web.i18n import N_
from node.web.render import ctx, html, not_found, page_language

FRONT_EVENTS = 12
FRONT_LATEST = 6
SCOPE_EVENTS = 50
MAX_TAGS = 20  # the hashtags of the upcoming events on the front page


def home_route(request: Request) -> Response:
    """The node's front page."""
    node = ctx(request)
    lang = page_language(request, {})
    with Session(node.engine) as session:
        upcoming = node_upcoming(session, node, FRONT_EVENTS)
        events = entry_html(request, upcoming, lang)
        latest = entry_html(request, node_latest(session, node, FRONT_LATEST), lang)
        organizations = list_actors(session, "organization")
        networks = list_actors(session, "network")
        scopes = upcoming_scopes(session)
    tags = Counter(tag for entry in upcoming for tag in entry.tags)
    return html(
        request,
        "home.html",
        events=events,
        latest=latest,
        organizations=organizations,
        networks=networks,
        scopes=scopes,
        tags=[tag for tag, _ in tags.most_common(MAX_TAGS)],
        today=now_utc().date(),
    )


def category_label(value: str) -> str:
    """``WORKSHOPS_SKILL_SHARING`` as people read it."""
    return value.replace("_", " ").capitalize()


def _scope_page(
    request: Request, title: tuple[str, str], filters: Filters, calendar: str
) -> Response:
    """``title``: the N_-marked English with ``%(name)s``, and the name (the template
    translates the first and fills in the second)."""
    node = ctx(request)
    with Session(node.engine) as session:
        found = kept_slices.upcoming(session, node, filters, SCOPE_EVENTS)
        events = entry_html(request, found, page_language(request, {}), "h2")
    return html(
        request,
        "scope.html",
        title=title[0],
        scope_name=title[1],
        events=events,
        calendar=calendar,
        search_link="/search?"
        + "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.calendar_query().items())
        + f"&from={date.today().isoformat()}",
    )


def region_page(request: Request) -> Response:
    """``/regions/{region}``: the node's upcoming events in a region, locality or country."""
    region = printable(request.path_params["region"])[:200]
    if not region:
        return not_found(request, N_("This region"))
    node = ctx(request)
    filters = Filters(region=region)
    return _scope_page(
        request, (N_("Events in %(name)s"), region), filters, node.urls.region_calendar(region)
    )


def category_page(request: Request) -> Response:
    """``/categories/{category}``: the node's upcoming events of a category."""
    category = printable(request.path_params["category"]).upper()[:64]
    if not category:
        return not_found(request, N_("This category"))
    node = ctx(request)
    label = category_label(category)
    filters = Filters(category=category)
    return _scope_page(
        request, (N_("%(name)s events"), label), filters, node.urls.category_calendar(category)
    )


def about_route(request: Request) -> Response:
    """What this node is, who runs it, and how to follow it."""
    return html(request, "about.html", version=__version__)
