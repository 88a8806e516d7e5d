"""``/api/v1/events``, ``/api/v1/calls``, ``/api/v1/news`` and ``/api/v1/series``: publish, list,
read, edit and delete, as the organization whose bearer token is sent.

A POST answers 201 with the ActivityPub ``id``, the HTML ``url`` and a ``Location`` to PATCH or
DELETE; an event with a ``recurrence`` becomes a series (Location ``/api/v1/series/{uid}``,
``id``/``url`` of its first date). PATCH bodies are JSON Merge Patches of ``source``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.api.common import as_actor, cursor_param, limit_param, newest_page, read_json
from node.api.errors import ApiError, Endpoint, endpoint
from node.features.publishing import service
from node.features.publishing.api_json import COLLECTIONS, item_location, item_view, series_view
from node.federation.context import NodeContext
from node.models import Item, LocalActor, Series
from node.urls import is_uid
from node.web.render import json_response


def _item(session: Session, node: NodeContext, actor: LocalActor, kind: str, uid: str) -> Item:
    item = (
        session.exec(select(Item).where(Item.ap_id == node.urls.item(uid))).first()
        if is_uid(uid)
        else None
    )
    if item is None or item.actor_id != actor.id or item.kind != kind:
        raise ApiError(404, f"no {kind} {uid[:100]!r} of yours")
    if item.deleted_at is not None:
        raise ApiError(410, f"this {kind} was deleted")
    return item


def _series(session: Session, actor: LocalActor, uid: str) -> Series:
    series = session.exec(select(Series).where(Series.uid == uid)).first() if is_uid(uid) else None
    if series is None or series.actor_id != actor.id:
        raise ApiError(404, f"no series {uid[:100]!r} of yours")
    if series.deleted_at is not None:
        raise ApiError(410, "this series was deleted")
    return series


def _series_uid(session: Session, item: Item) -> str | None:
    if item.series_id is None:
        return None
    series = session.get(Series, item.series_id)
    return series.uid if series is not None else None


def _view(session: Session, node: NodeContext, item: Item) -> dict[str, Any]:
    return item_view(node.urls, item, series_uid=_series_uid(session, item))


def _created(node: NodeContext, body: dict[str, Any], location: str) -> Response:
    return json_response(body, status=201, headers={"Location": location})


def _create(kind: str) -> Endpoint:
    @endpoint
    async def create(request: Request) -> Response:
        data = await read_json(request)

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            recurring = kind == "event" and isinstance(data, dict) and data.get("recurrence")
            if recurring:
                result = service.create_series(session, node, actor, data)
                occurrences = service.published_occurrences(session, result.series)
                body = series_view(node.urls, result.series, occurrences)
                first = occurrences[0]
                body |= {"id": first.ap_id, "url": str(first.document.get("url", first.ap_id))}
                return _created(node, body, node.urls.api(f"/series/{result.series.uid}"))
            published = service.create_item(session, node, actor, kind, data)
            session.flush()
            view = _view(session, node, published.item)
            return _created(node, view, item_location(node.urls, published.item))

        return await as_actor(request, work)

    create.__name__ = f"create_{kind}"
    return create


def _list(kind: str) -> Endpoint:
    @endpoint
    async def list_items(request: Request) -> Response:
        limit, after = limit_param(request), cursor_param(request)

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            query = select(Item).where(
                Item.actor_id == actor.id, Item.kind == kind, col(Item.deleted_at).is_(None)
            )
            rows, following = newest_page(session, request, query, Item.id, (limit, after))
            views = [_view(session, node, r) for r in rows]
            return json_response({"items": views, "next": following})

        return await as_actor(request, work)

    list_items.__name__ = f"list_{COLLECTIONS[kind]}"
    return list_items


# What one item's endpoint does once the item is found: (session, node, actor, item, body).
_ItemAction = Callable[[Session, NodeContext, LocalActor, Item, dict[str, Any]], Response]


async def _merge_patch(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "a PATCH body must be a JSON object (a merge patch)")
    return data


def _on_item(kind: str, verb: str, act: _ItemAction, *, patch: bool = False) -> Endpoint:
    """The endpoint ``{verb}_{kind}`` on ``/{uid}``: find the actor's item, then ``act``."""

    @endpoint
    async def handler(request: Request) -> Response:
        uid = request.path_params["uid"]
        data = await _merge_patch(request) if patch else {}

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            return act(session, node, actor, _item(session, node, actor, kind, uid), data)

        return await as_actor(request, work)

    handler.__name__ = f"{verb}_{kind}"
    return handler


def _show(
    session: Session, node: NodeContext, actor: LocalActor, item: Item, data: dict[str, Any]
) -> Response:
    return json_response(_view(session, node, item))


def _update(
    session: Session, node: NodeContext, actor: LocalActor, item: Item, data: dict[str, Any]
) -> Response:
    done = service.update_item(session, node, actor, item, data)
    view = _view(session, node, done.item)
    view["statusNote"] = done.note.ap_id if done.note is not None else None
    return json_response(view)


def _remove(
    session: Session, node: NodeContext, actor: LocalActor, item: Item, data: dict[str, Any]
) -> Response:
    service.delete_item(session, node, actor, item)
    return Response(status_code=204)


@endpoint
async def list_series(request: Request) -> Response:
    """``GET /api/v1/series``: the organization's recurring events, newest first."""
    limit, after = limit_param(request), cursor_param(request)

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        query = select(Series).where(Series.actor_id == actor.id, col(Series.deleted_at).is_(None))
        rows, following = newest_page(session, request, query, Series.id, (limit, after))
        views = [series_view(node.urls, s, service.published_occurrences(session, s)) for s in rows]
        return json_response({"items": views, "next": following})

    return await as_actor(request, work)


@endpoint
async def one_series(request: Request) -> Response:
    """``GET``, ``PATCH`` (merge patch of the template) or ``DELETE`` one series."""
    uid = request.path_params["uid"]
    data = await _merge_patch(request) if request.method == "PATCH" else {}

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        series = _series(session, actor, uid)
        if request.method == "DELETE":
            service.delete_series(session, node, actor, series)
            return Response(status_code=204)
        if request.method == "PATCH":
            series = service.update_series(session, node, actor, series, data).series
        occurrences = service.published_occurrences(session, series)
        return json_response(series_view(node.urls, series, occurrences))

    return await as_actor(request, work)


def routes() -> list[Route]:
    """The routes of this module (app.py mounts them)."""
    found: list[Route] = []
    for kind, collection in COLLECTIONS.items():
        base = f"/api/v1/{collection}"
        found += [
            Route(base, _create(kind), methods=["POST"]),
            Route(base, _list(kind), methods=["GET"]),
            Route(base + "/{uid}", _on_item(kind, "get", _show), methods=["GET"]),
            Route(base + "/{uid}", _on_item(kind, "patch", _update, patch=True), methods=["PATCH"]),
            Route(base + "/{uid}", _on_item(kind, "delete", _remove), methods=["DELETE"]),
        ]
    found += [
        Route("/api/v1/series", list_series, methods=["GET"]),
        Route("/api/v1/series/{uid}", one_series, methods=["GET", "PATCH", "DELETE"]),
    ]
    return found
