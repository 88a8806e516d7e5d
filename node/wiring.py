"""The one place that wires the features into the node: their routes, their inbox handlers, their
job kinds. node/app.py (the web process) and node/cli/ (the worker, the CLI) build from here;
nothing else imports every feature.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from node.activitypub.mediatypes import wants_activity_json
from node.api import openapi as api_openapi
from node.features.bridges import routes as bridge_routes
from node.features.feeds import routes as feed_routes
from node.features.follows import api as api_follows
from node.features.follows import handlers as follows
from node.features.follows import openapi as follows_openapi
from node.features.interactions import handlers as interactions
from node.features.mail import jobs as mail_jobs
from node.features.media import api as media_api
from node.features.media import openapi as media_openapi
from node.features.media import routes as media_routes
from node.features.moderation import flags
from node.features.moving import handlers as moving
from node.features.networks import api as network_api
from node.features.networks import handlers as networks
from node.features.networks import profile_page as network_profiles
from node.features.networks import routes as network_routes
from node.features.operations import health
from node.features.operations.metrics import ObservedRegistry, inbox_counter
from node.features.participation import api as api_social
from node.features.participation import handlers as participation
from node.features.participation import openapi as participation_openapi
from node.features.profiles import api as api_profile
from node.features.profiles import discovery
from node.features.profiles import openapi as profiles_openapi
from node.features.profiles import routes as actor_routes
from node.features.publishing import (
    answer_pages,
    feedback_followup,
    feedback_pages,
    list_pages,
    registration_pages,
)
from node.features.publishing import api as api_routes
from node.features.publishing import object_routes as content_routes
from node.features.publishing import openapi as publishing_openapi
from node.features.publishing import outbox_api as api_outbox
from node.features.publishing import pages as item_pages
from node.features.publishing.service import series
from node.features.search import openapi as search_openapi
from node.features.search import routes as search_routes
from node.features.site import pages
from node.features.workspace import drafts, follower_history
from node.features.workspace import routes as workspace_routes
from node.federation import outbox, relays
from node.federation.inbox import process
from node.federation.inbox import routes as inbox_routes
from node.federation.inbox.dispatch import Dispatcher
from node.federation.worker import Registry
from node.web.render import ctx, json_response

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def dispatcher() -> Dispatcher:
    """Every inbox handler of the node, routed on (activity type, target)."""
    table = Dispatcher()
    relays.register(table)
    follows.register(table)
    moving.register(table)
    interactions.register(table)
    flags.register(table)
    participation.register(table)
    networks.register(table)
    return table


def job_registry() -> Registry:
    """Every job kind of the node with its retry policy (outcomes counted for /metrics)."""
    registry: Registry = ObservedRegistry()
    outbox.register(registry)
    process.register(registry, dispatcher())
    series.register(registry)
    drafts.register(registry)
    mail_jobs.register(registry)
    feedback_followup.register(registry)
    follower_history.register(registry)
    return registry


def inbox_endpoint() -> inbox_routes.InboxEndpoint:
    """The inboxes' endpoint, its answers counted for /metrics."""
    return inbox_routes.InboxEndpoint(inbox_counter())


def routes(inbox: inbox_routes.InboxEndpoint | None = None) -> list[Route | Mount]:
    """Every route of the node (the node's front answers POSTs to ``inbox`` before them)."""
    inbox = inbox or inbox_endpoint()
    return [
        # The inboxes first: routes are matched in order, and these take most of the traffic.
        *inbox_routes.routes(inbox),
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
        Route("/actors/{slug}", actor_page),
        Route("/@{slug}", actor_page),
        *feed_routes.routes(),
        Route("/actors/{slug}/followers", actor_routes.followers_route),
        Route("/actors/{slug}/following", actor_routes.following_route),
        Route("/actors/{slug}/outbox", actor_routes.outbox_route),
        *network_routes.routes(),
        *network_api.routes(),
        *api_outbox.routes(),
        *_item_routes(),
        *bridge_routes.routes(),
        *workspace_routes.routes(),
        Route("/@{slug}/{section}", section_page),
        Route("/tags/{tag}", list_pages.tag_route),
        *search_routes.routes(),
        Route("/regions/{region}", pages.region_page),
        Route("/categories/{category}", pages.category_page),
        Route("/activities/{uid}", content_routes.activity_route),
        Route("/api/openapi.json", openapi_route),
        Route("/healthz", health.healthz_route),
        Route("/readyz", health.readyz_route),
        Route("/metrics", health.metrics_route),
        *api_routes.routes(),
        *api_social.routes(),
        *api_follows.routes(),
        *api_profile.routes(),
        *media_routes.routes(),
        *media_api.routes(),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]


def _item_routes() -> list[Route]:
    """An item's page and the forms on it: registration (and the registration's own page),
    answers to a call, joining from one's own server."""
    post = ["POST"]
    registration = "/items/{uid}/registrations/{token}"
    return [
        Route("/items/{uid}", item_route),
        Route("/items/{uid}/register", item_pages.register_route, methods=post),
        Route("/items/{uid}/answer", answer_pages.answer_route, methods=post),
        Route("/items/{uid}/feedback", feedback_pages.feedback_route, methods=post),
        Route("/items/{uid}/answered", answer_pages.answered_route),
        Route(registration, registration_pages.registration_route),
        Route(registration + "/cancel", registration_pages.cancel_route, methods=post),
        Route(registration + "/confirm", registration_pages.confirm_route, methods=post),
        Route("/items/{uid}/interact", registration_pages.interact_route, methods=post),
    ]


def item_route(request: Request) -> Response:
    """One URL, two representations: ActivityStreams (and Tombstones) for ActivityPub
    clients, the item's page for browsers."""
    if wants_activity_json(request.headers.get("accept")):
        return content_routes.item_route(request)
    return item_pages.item_page(request)


def actor_page(request: Request) -> Response:
    """An actor: its document for ActivityPub clients, its profile (with its networks) for
    people."""
    if wants_activity_json(request.headers.get("accept")):
        return actor_routes.actor_route(request)
    return network_profiles.profile_page(request)


def section_page(request: Request) -> Response:
    """``/@{slug}/events`` of a network is its calendar (its members' events too)."""
    return network_profiles.section_redirect(request) or list_pages.section_route(request)


@cache
def api_fragments() -> tuple[api_openapi.ApiFragment, ...]:
    """Every feature's part of the OpenAPI document, in the order the document lists them
    (built once: they are data, and nothing mutates them)."""
    return (
        publishing_openapi.items_fragment(),
        participation_openapi.fragment(),
        profiles_openapi.fragment(),
        publishing_openapi.outbox_fragment(),
        follows_openapi.fragment(),
        media_openapi.fragment(),
        search_openapi.fragment(),
    )


def api_document(base_url: str) -> api_openapi.Doc:
    """The OpenAPI document of the node's JSON API at ``base_url``."""
    return api_openapi.document(base_url, api_fragments())


def openapi_route(request: Request) -> Response:
    """``GET /api/openapi.json`` (no token needed)."""
    return json_response(api_document(ctx(request).settings.base_url))
