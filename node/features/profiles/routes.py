"""Routes for local actors: the actor document, its collections, and the HTML profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.activitypub.mediatypes import wants_activity_json
from node.features.profiles import outbox_pages
from node.features.profiles.page_data import profile_context
from node.federation.actors.documents import (
    actor_document,
    actor_id,
    collection_page,
    ordered_collection,
)
from node.federation.actors.local import get_actor, get_instance_actor
from node.models import Follower, Following, LocalActor
from node.web.render import activity_json, ctx, html, json_error, not_found

PAGE_SIZE = 20


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
        followers = _count(session, Follower, actor)
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
        followers=followers,
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


def _count(session: Session, model: Any, actor: LocalActor) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(model)
            .where(model.actor_id == actor.id, model.state == "accepted")
        ).one()
    )


def _lookup(request: Request, session: Session) -> tuple[LocalActor | None, str]:
    node = ctx(request)
    slug = request.path_params.get("slug")
    actor = get_actor(session, slug) if slug else get_instance_actor(session)
    return actor, (actor_id(node.urls, actor) if actor else "")


@dataclass(frozen=True)
class _Listing:
    """What one of an actor's collections lists: ``value`` of the ``model`` rows matching
    ``where``, in ``order``, each ``shown`` as it goes out."""

    model: Any
    value: Any
    where: Callable[[LocalActor], tuple[Any, ...]]
    order: tuple[Any, ...]
    shown: Callable[[Any], Any] = lambda value: value


def _accepted(model: Any) -> Callable[[LocalActor], tuple[Any, ...]]:
    return lambda actor: (model.actor_id == actor.id, model.state == "accepted")


def _without_envelope(doc: dict[str, Any]) -> dict[str, Any]:
    # The page wraps the activities: their own context and signatures would be noise there.
    return {k: v for k, v in doc.items() if k not in {"@context", "signature", "proof"}}


def followers_route(request: Request) -> Response:
    """The followers collection: a count with ``first``, and pages of follower ids."""
    by_id = (col(Follower.id).desc(),)
    listing = _Listing(Follower, Follower.remote_id, _accepted(Follower), by_id)
    return _collection(request, "followers", listing)


def following_route(request: Request) -> Response:
    """The following collection (networks and relays this actor follows)."""
    by_id = (col(Following.id).desc(),)
    listing = _Listing(Following, Following.target_id, _accepted(Following), by_id)
    return _collection(request, "following", listing)


def outbox_route(request: Request) -> Response:
    """The outbox: public activities, newest first, paged by cursor (outbox_pages.py)."""
    node = ctx(request)
    page = _page_number(request)
    before = outbox_pages.parse_cursor(request.query_params.get("before"))
    with Session(node.engine) as session:
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


def _collection(request: Request, name: str, listing: _Listing) -> Response:
    """The actor's collection ``name``: its size with ``first``, or the ``?page=`` asked for."""
    node = ctx(request)
    page = _page_number(request)
    with Session(node.engine) as session:
        actor, ident = _lookup(request, session)
        if actor is None:
            return json_error(404, "no such actor")
        where = listing.where(actor)
        total = int(
            session.exec(select(func.count()).select_from(listing.model).where(*where)).one()
        )
        collection_id = f"{ident}/{name}"
        if page is None:
            return activity_json(
                ordered_collection(collection_id, total, first=f"{collection_id}?page=1")
            )
        rows = session.exec(
            select(listing.value)
            .where(*where)
            .order_by(*listing.order)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    items = [listing.shown(row) for row in rows]
    return activity_json(
        collection_page(collection_id, page, items, total=total, page_size=PAGE_SIZE)
    )
