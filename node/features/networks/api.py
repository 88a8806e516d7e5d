"""The JSON API of networks, with the bearer token of the acting organization or network.

As a member (any actor):
  ``POST /api/v1/network/join`` {network}     ask to join (handle or actor URL)
  ``POST /api/v1/network/leave`` {network}    leave, or withdraw the request
  ``GET  /api/v1/network/memberships``        the networks it belongs to or asked to join
As a network:
  ``GET  /api/v1/network/members?state=``     members and requests
  ``POST /api/v1/network/members/admit`` {member}            admit a pending request
  ``POST /api/v1/network/members/remove`` {member, reason}   remove, or refuse a request
  ``GET|PUT /api/v1/network/rules`` {kinds, tags, regions}   what it relays
  ``POST /api/v1/network/hide`` {object, reason}             hide an item, take back the boost
  ``POST /api/v1/network/block`` / ``unblock`` {domain, reason}
  ``GET  /api/v1/network/log``                its curation decisions
  ``GET  /api/v1/network/items?state=``       what it filed, with the relay decision

Decisions are logged as ``api:<actor id>``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.activitypub.vocab import iso
from node.api.auth import authenticate
from node.api.common import limit_param, read_json
from node.api.errors import ApiError, endpoint
from node.db import as_utc, session_scope
from node.features.networks import membership, rules
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.policy import DomainError
from node.federation.remote.actors import RemoteActorError
from node.models import LocalActor
from node.models.networks import Membership, NetworkItem, OutgoingMembership
from node.web.render import ctx, json_response

T = TypeVar("T")
Work = Callable[[NodeContext, LocalActor], Awaitable[T]]


async def _as(request: Request, work: Work[T], *, network: bool = False) -> T:
    """Authenticate, then run ``work`` (async: it may look actors up) as the token's actor;
    the errors of the network services become API errors."""

    node = ctx(request)
    pk = await authenticate(node, request)

    def load() -> LocalActor | None:
        with Session(node.engine) as session:
            return session.get(LocalActor, pk)

    actor = await to_thread.run_sync(load)
    if actor is None:
        raise ApiError(401, "unknown or revoked token")
    if network and actor.kind != "network":
        raise ApiError(403, "only a network's token can do this")
    try:
        return await work(node, actor)
    except membership.MembershipError as exc:
        raise ApiError(409, str(exc)) from exc
    except (rules.RulesError, DomainError) as exc:
        raise ApiError(422, str(exc)) from exc
    except RemoteActorError as exc:
        raise ApiError(422, f"cannot reach that actor: {exc}") from exc


def _text(body: Any, name: str, *, required: bool = True) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > 2048:
        raise ApiError(422, "a handle (user@host) or URL is required", field=name)
    return value.strip()


def _who(node: NodeContext, actor: LocalActor) -> str:
    return f"api:{actor_id(node.urls, actor)}"


def _membership_view(row: Membership) -> dict[str, Any]:
    return {
        "member": row.member,
        "kind": row.kind,
        "state": row.state,
        "requested": iso(as_utc(row.requested_at)),
        "decided": iso(as_utc(row.decided_at)) if row.decided_at else None,
    }


def _outgoing_view(row: OutgoingMembership) -> dict[str, Any]:
    return {"network": row.network, "state": row.state, "updated": iso(as_utc(row.updated_at))}


@endpoint
async def join_route(request: Request) -> Response:
    """Ask to join a network."""
    ref = _text(await read_json(request), "network")

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        row = await membership.join(node, actor, ref)
        return json_response(_outgoing_view(row), status=202)

    return await _as(request, work)


@endpoint
async def leave_route(request: Request) -> Response:
    """Leave a network (or withdraw the request)."""
    ref = _text(await read_json(request), "network")

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        return json_response(_outgoing_view(await membership.leave(node, actor, ref)))

    return await _as(request, work)


@endpoint
async def memberships_route(request: Request) -> Response:
    """The networks the actor belongs to or asked to join."""

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        with Session(node.engine) as session:
            rows = membership.memberships(session, actor, all_states=True)
        return json_response({"items": [_outgoing_view(r) for r in rows]})

    return await _as(request, work)


@endpoint
async def members_route(request: Request) -> Response:
    """The network's members and requests (``state`` filters)."""
    state = request.query_params.get("state")
    if state is not None and state not in membership.MEMBERSHIP_STATES:
        raise ApiError(
            400, "must be one of: " + ", ".join(membership.MEMBERSHIP_STATES), field="state"
        )

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        with Session(node.engine) as session:
            rows = membership.members(session, actor, state)
        return json_response({"items": [_membership_view(r) for r in rows]})

    return await _as(request, work, network=True)


@endpoint
async def admit_route(request: Request) -> Response:
    """Admit a pending request."""
    ref = _text(await read_json(request), "member")

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        row = await membership.admit(node, actor, ref, _who(node, actor))
        return json_response(_membership_view(row))

    return await _as(request, work, network=True)


@endpoint
async def remove_route(request: Request) -> Response:
    """Remove a member (or refuse a pending request)."""
    body = await read_json(request)
    ref, reason = _text(body, "member"), _text(body, "reason", required=False)

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        row = await membership.remove(node, actor, ref, _who(node, actor), reason)
        return json_response(_membership_view(row))

    return await _as(request, work, network=True)


def _strings(body: Any, name: str) -> list[str] | None:
    value = body.get(name) if isinstance(body, dict) else None
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(422, "must be a list of strings", field=name)
    return list(value)


# One curation decision in one transaction: (session, node, the network) -> the JSON answer.
Decide = Callable[[Session, NodeContext, LocalActor], dict[str, Any]]


async def _curate(request: Request, decide: Decide, *, wake: bool) -> Response:
    """As the network, run ``decide`` off the event loop and answer its JSON; ``wake`` the
    worker after the commit when the decision queued activities."""

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        def run() -> dict[str, Any]:
            with session_scope(node.engine) as session:
                return decide(session, node, actor)

        result = await to_thread.run_sync(run)
        if wake:
            node.notify_work()
        return json_response(result)

    return await _as(request, work, network=True)


@endpoint
async def rules_route(request: Request) -> Response:
    """``GET`` the network's rules; ``PUT`` {kinds, tags, regions} replaces those given."""
    body = await read_json(request) if request.method == "PUT" else None

    def decide(session: Session, node: NodeContext, actor: LocalActor) -> dict[str, Any]:
        if body is None:
            assert actor.id is not None
            return rules.load_rules(session, actor.id).as_dict()
        parts = {k: _strings(body, k) for k in ("kinds", "tags", "regions")}
        return rules.set_rules(session, actor, _who(node, actor), **parts).as_dict()

    return await _curate(request, decide, wake=False)


@endpoint
async def hide_route(request: Request) -> Response:
    """Hide an item from the network (and take back its Announce)."""
    body = await read_json(request)
    obj, reason = _text(body, "object"), _text(body, "reason", required=False)

    def decide(session: Session, node: NodeContext, actor: LocalActor) -> dict[str, Any]:
        row = rules.hide_item(session, node, actor, obj, _who(node, actor), reason)
        return {"object": row.object_id, "state": row.state}

    return await _curate(request, decide, wake=True)


def _block(undo: bool) -> Callable[[Request], Awaitable[Response]]:
    @endpoint
    async def block(request: Request) -> Response:
        body = await read_json(request)
        domain, reason = _text(body, "domain"), _text(body, "reason", required=False)

        def decide(session: Session, node: NodeContext, actor: LocalActor) -> dict[str, Any]:
            if undo:
                done = rules.unblock_domain(session, actor, domain, _who(node, actor))
                return {"domain": domain, "blocked": False, "changed": done}
            hidden = rules.block_domain(session, node, actor, domain, _who(node, actor), reason)
            return {"domain": domain, "blocked": True, "hidden": hidden}

        return await _curate(request, decide, wake=True)

    block.__name__ = "unblock_route" if undo else "block_route"
    return block


@endpoint
async def log_route(request: Request) -> Response:
    """The network's curation decisions, newest first."""
    limit = limit_param(request)

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        with Session(node.engine) as session:
            entries = rules.log_entries(session, actor, limit)
        return json_response(
            {
                "items": [
                    {
                        "who": e.who,
                        "action": e.action,
                        "target": e.target,
                        "reason": e.reason,
                        "created": iso(as_utc(e.created_at)),
                    }
                    for e in entries
                ]
            }
        )

    return await _as(request, work, network=True)


@endpoint
async def items_route(request: Request) -> Response:
    """What the network filed, newest first, with its decision (``state`` filters)."""
    limit, state = limit_param(request), request.query_params.get("state")

    async def work(node: NodeContext, actor: LocalActor) -> Response:
        query = select(NetworkItem).where(NetworkItem.network_id == actor.id)
        if state:
            query = query.where(NetworkItem.state == state)
        with Session(node.engine) as session:
            rows = session.exec(query.order_by(col(NetworkItem.id).desc()).limit(limit)).all()
        items = [
            {
                "object": r.object_id,
                "author": r.author,
                "via": r.via or None,
                "kind": r.kind,
                "state": r.state,
                "reason": r.reason,
                "received": iso(as_utc(r.received_at)),
            }
            for r in rows
        ]
        return json_response({"items": items})

    return await _as(request, work, network=True)


def routes() -> list[Route]:
    """The routes to add to the app (node/app.py)."""
    base = "/api/v1/network"
    return [
        Route(f"{base}/join", join_route, methods=["POST"]),
        Route(f"{base}/leave", leave_route, methods=["POST"]),
        Route(f"{base}/memberships", memberships_route, methods=["GET"]),
        Route(f"{base}/members", members_route, methods=["GET"]),
        Route(f"{base}/members/admit", admit_route, methods=["POST"]),
        Route(f"{base}/members/remove", remove_route, methods=["POST"]),
        Route(f"{base}/rules", rules_route, methods=["GET", "PUT"]),
        Route(f"{base}/hide", hide_route, methods=["POST"]),
        Route(f"{base}/block", _block(False), methods=["POST"]),
        Route(f"{base}/unblock", _block(True), methods=["POST"]),
        Route(f"{base}/log", log_route, methods=["GET"]),
        Route(f"{base}/items", items_route, methods=["GET"]),
    ]
