"""The ActivityStreams collections of networks and their members.

* ``members`` (on a network's actor): the admitted members' actor ids, paged like followers.
* ``memberships`` (on every organization and network): the networks it belongs to. Both sides
  publish the relationship, so anyone can check that a claimed membership is consented.
* ``upcomingEvents`` (FEP-8a8e, on every actor): events not over yet, soonest first, as
  embedded objects (a network's includes what it aggregated; each keeps its own id and
  ``attributedTo``, so credit stays with the organizer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from node.features.networks import clean
from node.features.networks.queries import upcoming_events
from node.federation.actors.documents import collection_page, ordered_collection
from node.federation.context import NodeContext
from node.models import LocalActor
from node.models.networks import Membership, OutgoingMembership

PAGE_SIZE = 20


def _paged(ident: str, total: int, page: int | None, items: Any) -> dict[str, Any]:
    if page is None:
        return ordered_collection(ident, total, first=f"{ident}?page=1")
    return collection_page(ident, page, list(items()), total=total, page_size=PAGE_SIZE)


def _admitted(
    session: Session,
    model: type[Membership] | type[OutgoingMembership],
    owner: Any,
    value: Any,
    ident: str,
    page: int | None,
) -> dict[str, Any]:
    """The ``value`` column of the admitted ``model`` rows matching ``owner``, oldest first."""
    where = (owner, model.state == "admitted")
    total = int(session.exec(select(func.count()).select_from(model).where(*where)).one())

    def items() -> list[str]:
        assert page is not None
        return list(
            session.exec(
                select(value)
                .where(*where)
                .order_by(col(model.id))
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )

    return _paged(ident, total, page, items)


def members_collection(
    session: Session, node: NodeContext, network: LocalActor, page: int | None
) -> dict[str, Any]:
    """The network's admitted members."""
    ident, mine = node.urls.members(network.slug), Membership.network_id == network.id
    return _admitted(session, Membership, mine, Membership.member, ident, page)


def memberships_collection(
    session: Session, node: NodeContext, actor: LocalActor, page: int | None
) -> dict[str, Any]:
    """The networks ``actor`` belongs to (admitted)."""
    ident, mine = node.urls.memberships(actor.slug), OutgoingMembership.actor_id == actor.id
    return _admitted(session, OutgoingMembership, mine, OutgoingMembership.network, ident, page)


def upcoming_events_collection(
    session: Session, node: NodeContext, actor: LocalActor, page: int | None
) -> dict[str, Any]:
    """FEP-8a8e ``upcomingEvents``: the events, embedded, soonest first."""
    entries = upcoming_events(session, node, actor)
    start = ((page or 1) - 1) * PAGE_SIZE
    return _paged(
        node.urls.upcoming_events(actor.slug),
        len(entries),
        page,
        lambda: [
            clean.normalised({k: v for k, v in e.document.items() if k != "@context"})
            for e in entries[start : start + PAGE_SIZE]
        ],
    )
