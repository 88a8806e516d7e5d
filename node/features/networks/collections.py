"""The ActivityStreams collections of networks and their members.

* ``members`` (on a network's actor): the admitted members' actor ids, paged like followers.
* ``memberships`` (on every organization and network): the networks it belongs to. Both sides
  publish the relationship, so anyone can check that a claimed membership is consented.
* ``upcomingEvents`` (FEP-8a8e, on every actor): events not over yet, soonest first, as
  embedded objects (a network's includes what it aggregated; each keeps its own id and
  ``attributedTo``, so credit stays with the organizer). Paged by cursor (``?after=``), never
  by offset; no ``totalItems`` (optional in ActivityStreams): counting a big network's upcoming
  events would walk every one of them on each request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from node.features.networks import clean
from node.features.networks.upcoming import Cursor, upcoming_page
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
    session: Session, node: NodeContext, actor: LocalActor, after: str | None, paged: bool
) -> dict[str, Any]:
    """FEP-8a8e ``upcomingEvents``: the events, embedded, soonest first; ``paged`` (``?page``
    or ``?after=<cursor>``) gives a page of PAGE_SIZE, else the collection, pointing at it."""
    ident = node.urls.upcoming_events(actor.slug)
    context = "https://www.w3.org/ns/activitystreams"
    if not paged:
        return {
            "@context": context,
            "id": ident,
            "type": "OrderedCollection",
            "first": f"{ident}?page=true",
        }
    cursor = Cursor.parse(after)
    found = upcoming_page(session, node, actor, after=cursor, limit=PAGE_SIZE)
    doc: dict[str, Any] = {
        "@context": context,
        "id": f"{ident}?after={after}" if cursor else f"{ident}?page=true",
        "type": "OrderedCollectionPage",
        "partOf": ident,
        "orderedItems": [
            clean.normalised({k: v for k, v in e.document.items() if k != "@context"})
            for e in found.entries
        ],
    }
    if found.next is not None:
        doc["next"] = f"{ident}?after={found.next.token()}"
    return doc
