"""The HTML profile of an organization or network (``/@{slug}``) with what networks add to it:
a network shows its members' upcoming events, its latest calls and news, its members (member
networks with their own members) and links to its timeline, calendar and directory; every
profile shows the networks its actor belongs to. The JSON actor document stays with
node/features/profiles/routes.py."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.features.networks import kept_slices
from node.features.networks.cards import entry_html
from node.features.networks.highlights import members_of, networks_of
from node.features.networks.member_cards import profile_members_html
from node.features.profiles.page_data import profile_context
from node.federation.actors.local import SLUG_RE, get_actor
from node.web.i18n import N_
from node.web.render import ctx, html, not_found, page_language

SHOWN = 6


def profile_page(request: Request) -> Response:
    """``/@{slug}`` for people."""
    node = ctx(request)
    slug = request.path_params["slug"]
    if not _sound(slug):
        return not_found(request, N_("This account"))
    with Session(node.engine) as session:
        actor = get_actor(session, slug)
        if actor is None:
            return not_found(request, f"The account {slug}")
        context = profile_context(
            session,
            node.urls,
            actor,
            request.query_params.get("lang"),
            request.headers.get("accept-language", ""),
            # the network's own events, calls and news are in its sections below
            with_sections=actor.kind != "network",
        )
        extra: dict[str, Any] = {"networks": networks_of(session, node, actor)}
        if actor.kind == "network":
            # the language html() will draw the page in (the profile's own choice, if any)
            lang = page_language(request, dict(context))
            upcoming, latest = kept_slices.highlights(session, node, actor, SHOWN)
            extra |= {
                "network": actor,
                "network_events": entry_html(request, upcoming, lang),
                "network_latest": entry_html(request, latest, lang),
                "members": profile_members_html(request, lang, members_of(session, node, actor)),
            }
    return html(
        request,
        "actor.html",
        actor=actor,
        followers=actor.followers_count,
        handle=f"@{actor.slug}@{node.settings.host}",
        **(context | extra),
    )


def section_redirect(request: Request) -> Response | None:
    """``/@{slug}/events`` of one of our networks: to its calendar, which lists its members'
    events too (the section of its own events alone looked empty). None for anything else."""
    if request.path_params.get("section") != "events" or request.query_params.get("past"):
        return None
    if not _sound(request.path_params["slug"]):
        return None  # the section route answers 404
    node = ctx(request)
    with Session(node.engine) as session:
        actor = get_actor(session, request.path_params["slug"])
    if actor is None or actor.kind != "network":
        return None
    return RedirectResponse(f"/networks/{actor.slug}/calendar", 303)


def _sound(slug: str) -> bool:
    """A slug that can name an actor (a NUL would be a database error on PostgreSQL)."""
    return len(slug) <= 64 and SLUG_RE.match(slug) is not None
