"""``POST /actors/{slug}/outbox``: ActivityPub client-to-server publishing with a bearer token.

``Create`` (or a bare object, which the server wraps, as ActivityPub 6.2.1 allows) of an
``Event``, ``Article`` or call ``Note``; ``Update`` of one of the actor's items (its keys replace
those of the item, like a PATCH); ``Delete`` of one. They run through the same services as the
JSON API. The answer is 201 with ``Location`` = the new activity's id (6.2) and the activity.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.activitypub.mediatypes import AP_BODY_TYPES
from node.activitypub.vocab import id_of
from node.api.common import as_actor, read_json
from node.api.errors import ApiError, endpoint, unprocessable
from node.content.fields import FieldError
from node.features.publishing import service
from node.features.publishing.c2s import CALL_TYPES, OBJECT_KINDS, kind_of, to_source
from node.federation.context import NodeContext
from node.models import Item, LocalActor, OutboxActivity
from node.web.render import activity_json


def _stored(session: Session, activity_id: str) -> dict[str, Any]:
    doc = session.exec(
        select(OutboxActivity.document).where(OutboxActivity.ap_id == activity_id)
    ).first()
    assert doc is not None
    return dict(doc)


def _target(session: Session, actor: LocalActor, obj: Any) -> Item:
    ident = id_of(obj)
    if ident is None or len(ident) > 2048 or "\x00" in ident:
        raise ApiError(422, "must be the id of one of your items", field="object.id")
    item = session.exec(select(Item).where(Item.ap_id == ident)).first()
    if item is None or item.actor_id != actor.id or item.kind not in ("event", "call", "news"):
        raise ApiError(404, "no item of yours has this id", field="object.id")
    if item.deleted_at is not None:
        raise ApiError(410, "this item was deleted", field="object.id")
    return item


def _create(session: Session, node: NodeContext, actor: LocalActor, obj: Any) -> str:
    kind = kind_of(obj)
    source = to_source(kind, obj)
    if kind == "event" and source.get("recurrence"):
        published = service.create_series(session, node, actor, source).published
        return published[0].activity_id
    return service.create_item(session, node, actor, kind, source).activity_id


def _update(session: Session, node: NodeContext, actor: LocalActor, obj: Any) -> str:
    item = _target(session, actor, obj)
    if (
        isinstance(obj, dict)
        and "type" in obj
        and OBJECT_KINDS.get(obj["type"], item.kind) != item.kind
    ):
        raise ApiError(
            422, f"the item is a {item.kind}; its type cannot change", field="object.type"
        )
    patch = to_source(item.kind, obj if isinstance(obj, dict) else {})
    return service.update_item(session, node, actor, item, patch).activity_id


def _delete(session: Session, node: NodeContext, actor: LocalActor, obj: Any) -> str:
    return service.delete_item(session, node, actor, _target(session, actor, obj))[-1]


@endpoint
async def outbox_post(request: Request) -> Response:
    """Publish through the outbox; the token must belong to the outbox's actor."""
    slug = request.path_params["slug"]
    data = await read_json(request, AP_BODY_TYPES)
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be an activity (a JSON object)")

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        if actor.slug != slug.lower():
            raise ApiError(403, f"this token publishes as @{actor.slug}, not @{slug[:64]}")
        kind = data.get("type")
        bare = kind in (*OBJECT_KINDS, *CALL_TYPES)
        try:
            if kind == "Create":
                activity_id = _create(session, node, actor, data.get("object"))
            elif kind == "Update":
                activity_id = _update(session, node, actor, data.get("object"))
            elif kind == "Delete":
                activity_id = _delete(session, node, actor, data.get("object"))
            elif bare:
                activity_id = _create(session, node, actor, data)  # a bare object: wrap it
            else:
                raise ApiError(
                    422, "must be Create, Update or Delete (or an object to create)", field="type"
                )
        except FieldError as exc:
            raise unprocessable(exc, "" if bare else "object.") from None
        return _answer(session, activity_id)

    return await as_actor(request, work)


def _answer(session: Session, activity_id: str) -> Response:
    session.flush()
    return activity_json(
        _stored(session, activity_id), status=201, headers={"Location": activity_id}
    )


def routes() -> list[Route]:
    """The routes of this module (app.py mounts them)."""
    return [Route("/actors/{slug}/outbox", outbox_post, methods=["POST"])]
