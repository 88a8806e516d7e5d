"""The ActivityStreams collections of networks and their members.

* ``members`` (on a network's actor): the admitted members' actor ids, oldest first, paged by
  cursor like followers (node/federation/actors/id_pages.py), counted by ``members_count``.
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

from sqlmodel import Session

from node.db import now_utc
from node.features.networks import clean, kept_slices
from node.features.networks.member_lists import MEMBERS, MEMBERSHIPS
from node.features.networks.queries import Filters
from node.features.networks.upcoming import Cursor
from node.federation.actors import id_pages
from node.federation.context import NodeContext
from node.models import LocalActor

PAGE_SIZE = 20


def members_collection(
    session: Session, node: NodeContext, network: LocalActor, want: id_pages.Asked
) -> dict[str, Any] | str:
    """The network's admitted members, oldest first (its kept count, a page by cursor, or
    where an old ``?page=N`` link moved)."""
    ident, total = node.urls.members(network.slug), network.members_count
    return id_pages.answer(session, MEMBERS, network.id or 0, ident, total, want)


def memberships_collection(
    session: Session, node: NodeContext, actor: LocalActor, want: id_pages.Asked
) -> dict[str, Any] | str:
    """The networks ``actor`` belongs to (admitted), oldest first."""
    ident, total = node.urls.memberships(actor.slug), actor.memberships_count
    return id_pages.answer(session, MEMBERSHIPS, actor.id or 0, ident, total, want)


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
    # no credit lines: each embedded document's attributedTo credits its organizer; kept
    # under the actor's generation while a page of it still runs (kept_slices.list_page)
    found = kept_slices.list_page(
        session, node, actor, Filters(), now_utc(), cursor, PAGE_SIZE, credited=False
    )
    doc: dict[str, Any] = {
        "@context": context,
        "id": f"{ident}?after={after}" if cursor else f"{ident}?page=true",
        "type": "OrderedCollectionPage",
        "partOf": ident,
        "orderedItems": [
            clean.shown({k: v for k, v in e.document.items() if k != "@context"}, e.clean_rules)
            for e in found.entries
        ],
    }
    if found.next is not None:
        doc["next"] = f"{ident}?after={found.next.token()}"
    return doc
