"""Participants of events and replies from the fediverse, moderated by the organization.

* ``GET /api/v1/events/{uid}/participants`` and ``POST …/participants/{id}/approve`` (an
  ``Accept`` goes to a fediverse participant) or ``…/reject`` (a ``Reject``);
* ``GET /api/v1/replies?state=pending`` and ``POST /api/v1/replies/{id}/approve`` or ``…/hide``:
  approved replies are shown under the item on its page.
"""

from __future__ import annotations

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.api.common import as_actor, cursor_param, limit_param, newest_page
from node.api.errors import ApiError, Endpoint, endpoint
from node.features.participation import handlers as participation
from node.features.participation import replies
from node.features.participation.api_json import participant_view, reply_view
from node.federation.context import NodeContext
from node.models import Interaction, Item, LocalActor, Participant
from node.urls import is_uid
from node.web.render import json_response

REPLY_STATES = replies.STATES


def _event(session: Session, node: NodeContext, actor: LocalActor, uid: str) -> Item:
    item = (
        session.exec(select(Item).where(Item.ap_id == node.urls.item(uid))).first()
        if is_uid(uid)
        else None
    )
    if item is None or item.actor_id != actor.id or item.kind != "event":
        raise ApiError(404, f"no event {uid[:100]!r} of yours")
    if item.deleted_at is not None:
        raise ApiError(410, "this event was deleted")
    return item


def row_number(request: Request) -> int:
    """The ``{id}`` of a row; ids beyond a 32-bit integer exist nowhere (and would be an error
    on PostgreSQL rather than a miss)."""
    number = int(request.path_params["id"])
    if number > 2**31 - 1:
        raise ApiError(404, f"no row {number}")
    return number


def _state_param(request: Request, states: tuple[str, ...]) -> str | None:
    state = request.query_params.get("state")
    if state is not None and state not in states:
        raise ApiError(400, "must be one of: " + ", ".join(states), field="state")
    return state


@endpoint
async def list_participants(request: Request) -> Response:
    """The participants of one event, newest first; ``state`` filters."""
    uid = request.path_params["uid"]
    limit, after = limit_param(request), cursor_param(request)
    state = _state_param(request, participation.STATES)

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        item = _event(session, node, actor, uid)
        query = select(Participant).where(Participant.item_id == item.id)
        if state is not None:
            query = query.where(Participant.state == state)
        rows, following = newest_page(session, request, query, Participant.id, (limit, after))
        count = participation.accepted_count(session, item.id or 0)
        return json_response(
            {
                "items": [participant_view(r) for r in rows],
                "next": following,
                "participantCount": count,
            }
        )

    return await as_actor(request, work)


def _decide(approve: bool) -> Endpoint:
    @endpoint
    async def decide(request: Request) -> Response:
        uid, number = request.path_params["uid"], row_number(request)

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            item = _event(session, node, actor, uid)
            row = session.get(Participant, number)
            if row is None or row.item_id != item.id:
                raise ApiError(404, f"no participant {number} in this event")
            if approve:
                participation.approve(session, node, item, row)
            else:
                participation.reject(session, node, item, row)
            return json_response(participant_view(row))

        return await as_actor(request, work)

    decide.__name__ = "approve_participant" if approve else "reject_participant"
    return decide


@endpoint
async def list_replies(request: Request) -> Response:
    """Replies to the organization's items, newest first; ``state`` filters (pending ones await
    a decision)."""
    limit, after = limit_param(request), cursor_param(request)
    state = _state_param(request, REPLY_STATES)

    def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
        query = (
            select(Interaction)
            .join(Item, col(Item.ap_id) == col(Interaction.object_id))
            .where(Item.actor_id == actor.id, Interaction.kind == "reply")
        )
        if state is not None:
            query = query.where(Interaction.state == state)
        rows, following = newest_page(session, request, query, Interaction.id, (limit, after))
        return json_response({"items": [reply_view(r) for r in rows], "next": following})

    return await as_actor(request, work)


def _moderate(state: str) -> Endpoint:
    @endpoint
    async def moderate(request: Request) -> Response:
        number = row_number(request)

        def work(session: Session, node: NodeContext, actor: LocalActor) -> Response:
            row = replies.moderate(session, actor, number, state)
            if row is None:
                raise ApiError(404, f"no reply {number} to your items")
            return json_response(reply_view(row))

        return await as_actor(request, work)

    moderate.__name__ = f"{state}_reply"
    return moderate


def routes() -> list[Route]:
    """The routes of this module (app.py mounts them)."""
    base = "/api/v1/events/{uid}/participants"
    return [
        Route(base, list_participants, methods=["GET"]),
        Route(base + "/{id:int}/approve", _decide(True), methods=["POST"]),
        Route(base + "/{id:int}/reject", _decide(False), methods=["POST"]),
        Route("/api/v1/replies", list_replies, methods=["GET"]),
        Route("/api/v1/replies/{id:int}/approve", _moderate("approved"), methods=["POST"]),
        Route("/api/v1/replies/{id:int}/hide", _moderate("hidden"), methods=["POST"]),
    ]
