"""Object and activity URLs: ActivityStreams JSON by content negotiation, HTML otherwise."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response

from node.activitypub.mediatypes import wants_activity_json
from node.activitypub.vocab import iso
from node.models import Item, LocalActor, OutboxActivity, Tombstone
from node.web.i18n import N_
from node.web.render import activity_json, ctx, html, json_error


def _gone(request: Request, ident: str, former_type: str, deleted: str) -> Response:
    if wants_activity_json(request.headers.get("accept")):
        return activity_json(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": ident,
                "type": "Tombstone",
                "formerType": former_type,
                "deleted": deleted,
            },
            status=410,
        )
    return html(
        request,
        "error.html",
        status=410,
        title=N_("Deleted"),
        message=N_("This post was deleted by its author."),
    )


def item_route(request: Request) -> Response:
    """``/items/{uid}``: an event, call, news item or note."""
    node = ctx(request)
    ident = node.urls.item(request.path_params["uid"])
    with Session(node.engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == ident)).first()
        if item is None:
            stone = session.exec(select(Tombstone).where(Tombstone.ap_id == ident)).first()
            if stone is not None:
                return _gone(request, ident, stone.former_type, iso(stone.deleted_at))
            return (
                json_error(404, "no such item")
                if wants_activity_json(request.headers.get("accept"))
                else html(
                    request,
                    "error.html",
                    status=404,
                    title=N_("Not found"),
                    message=N_("There is no such post on this node."),
                )
            )
        if item.deleted_at is not None:
            return _gone(request, ident, str(item.document.get("type", "")), iso(item.deleted_at))
        author = session.get(LocalActor, item.actor_id)
    if wants_activity_json(request.headers.get("accept")):
        return activity_json(item.document)
    return html(request, "item.html", item=item, doc=item.document, author=author)


def activity_route(request: Request) -> Response:
    """``/activities/{uid}``: a public activity we sent (followers-only ones stay private)."""
    node = ctx(request)
    ident = node.urls.activity(request.path_params["uid"])
    with Session(node.engine) as session:
        row = session.exec(select(OutboxActivity).where(OutboxActivity.ap_id == ident)).first()
    if row is None or not row.public:
        return json_error(404, "no such activity")
    return activity_json(row.document)
