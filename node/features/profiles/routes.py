"""Routes for local actors: the actor document, its collections, and the HTML profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.activitypub.mediatypes import wants_activity_json
from node.db import read_session
from node.features.profiles import outbox_pages
from node.features.profiles.page_data import profile_context
from node.federation.actors import id_pages
from node.federation.actors.documents import actor_document, actor_id
from node.federation.actors.local import get_actor, get_instance_actor
from node.models import Follower, Following, LocalActor
from node.web.render import activity_json, ctx, html, json_error, not_found


def _page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    try:
        page = int(raw)
    except ValueError:
        return 1
    return max(1, min(page, 100_000))


def actor_route(request: Request) -> Response:
    """``/actors/{slug}`` and ``/@{slug}``: JSON for ActivityPub clients, HTML for people."""
    node = ctx(request)
    slug = request.path_params["slug"]
    with Session(node.engine) as session:
        actor = get_actor(session, slug)
        if actor is None:
            return not_found(request, f"The account {slug}")
        if wants_activity_json(request.headers.get("accept")):
            return activity_json(actor_document(actor, node.urls, host=node.settings.host))
        sections = profile_context(
            session,
            node.urls,
            actor,
            request.query_params.get("lang"),
            request.headers.get("accept-language", ""),
        )
    return html(
        request,
        "actor.html",
        actor=actor,
        followers=actor.followers_count,
        handle=f"@{actor.slug}@{node.settings.host}",
        **sections,
    )


def instance_actor_route(request: Request) -> Response:
    """``/actor``: the instance's Application actor."""
    node = ctx(request)
    with Session(node.engine) as session:
        actor = get_instance_actor(session)
    if actor is None:
        return json_error(503, "the node is not initialised yet (run solnode init)")
    if not wants_activity_json(request.headers.get("accept")):
        return RedirectResponse(node.settings.base_url + "/about", status_code=303)
    return activity_json(actor_document(actor, node.urls, host=node.settings.host))


def _lookup(request: Request, session: Session) -> tuple[LocalActor | None, str]:
    node = ctx(request)
    slug = request.path_params.get("slug")
    actor = get_actor(session, slug) if slug else get_instance_actor(session)
    return actor, (actor_id(node.urls, actor) if actor else "")


def _without_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    # The page wraps the activities: their own context and signatures would be noise there.
    return {k: v for k, v in doc.items() if k not in {"@context", "signature", "proof"}}


FOLLOWERS = id_pages.Listing(Follower, Follower.actor_id, "accepted", Follower.remote_id, True)
FOLLOWING = id_pages.Listing(Following, Following.actor_id, "accepted", Following.target_id, True)


def followers_route(request: Request) -> Response:
    """The followers collection (newest first): its kept count with ``first``, and pages of
    follower ids by cursor (node/federation/actors/id_pages.py)."""
    return _collection(request, "followers", FOLLOWERS, lambda actor: actor.followers_count)


def following_route(request: Request) -> Response:
    """The following collection (networks and relays this actor follows), newest first."""
    return _collection(request, "following", FOLLOWING, lambda actor: actor.following_count)


def outbox_route(request: Request) -> Response:
    """The outbox: public activities, newest first, paged by cursor (outbox_pages.py)."""
    node = ctx(request)
    page = _page_number(request)
    before = outbox_pages.parse_cursor(request.query_params.get("before"))
    with read_session(node.engine) as session:
        actor, ident = _lookup(request, session)
        if actor is None:
            return json_error(404, "no such actor")
        ident = f"{ident}/outbox"
        if before is None and page is None:
            return activity_json(outbox_pages.collection(actor, ident))
        if before is None and page is not None and page > 1:
            target = outbox_pages.legacy_target(session, actor, ident, page)
            return RedirectResponse(target, status_code=301)
        doc = outbox_pages.page(session, actor, ident, before, _without_envelope)
    return activity_json(doc)


def _collection(
    request: Request, name: str, listing: id_pages.Listing, total: Callable[[LocalActor], int]
) -> Response:
    """The actor's collection ``name``: its size with ``first``, a page by cursor, or the
    redirect of an old ``?page=N`` link."""
    node = ctx(request)
    want = id_pages.asked(request.query_params)
    with read_session(node.engine) as session:
        actor, ident = _lookup(request, session)
        if actor is None or actor.id is None:
            return json_error(404, "no such actor")
        found = id_pages.answer(session, listing, actor.id, f"{ident}/{name}", total(actor), want)
    if isinstance(found, str):
        return RedirectResponse(found, status_code=301)
    return activity_json(found)
