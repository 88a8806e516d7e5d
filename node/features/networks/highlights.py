"""The few items a page shows first: the upcoming events and the latest calls and news of a
network (everything below it) or of the whole node (the front page), and the networks an actor
belongs to.

Every read is bounded: ``LIMIT`` rows per source, in the order of an index
(``network_item (network_id, start_time)`` / ``(network_id, kind, published, id)``, ``item
(start_time)`` / ``(actor_id, published)``), so a network with a million items answers as fast
as one with ten. The node's front page still takes its calls and news by arrival
(``(network_id, received_at)``) over every network at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Integer, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from node.db import now_utc, select_rows
from node.features.networks.member_lists import MEMBERS, MEMBERSHIPS
from node.features.networks.profiles import (
    MemberProfile,
    profile_fields,
    profile_of,
    shown_name,
    source_columns,
    source_profile,
)
from node.features.networks.queries import (
    Entry,
    Filters,
    _from_item,
    _from_row,
    _Profiles,
    published_at,
    shown_rows,
)
from node.features.networks.upcoming import ENTRY_COLUMNS, own_items, upcoming_page
from node.federation.actors import id_pages
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor, RemoteActor
from node.models.networks import Membership, NetworkItem

NEWS_KINDS = ("call", "news")
MAX_SHOWN = 50
NESTED_SHOWN = 10
ROUNDS = 4  # pages of events read at most to fill a list (see _first_shown)


def _unique(entries: list[Entry]) -> list[Entry]:
    """Each object once (the first one wins); no conference sessions (``superEvent``): they
    are listed in their conference's programme, and would crowd everything else out."""
    found = [e for e in entries if not e.document.get("superEvent")]
    return list({e.object_id: e for e in reversed(found)}.values())[::-1]


def _first_shown(
    session: Session,
    node: NodeContext,
    actor: LocalActor | None,
    filters: Filters,
    limit: int,
    spare: int = 0,
    profiles: _Profiles | None = None,
) -> list[Entry]:
    """The next ``limit`` events a page lists (each once, no sessions), read ``limit`` at a
    time after the last one read, at most ROUNDS times. Reading four times ``limit`` at once, as
    these pages did, drew four times the events they show (each row's document read, its
    author credited) when, as usual, nearly all of the first ``limit`` are shown."""
    limit = min(limit, MAX_SHOWN) + spare
    now, after = now_utc(), None
    shown: list[Entry] = []
    for _ in range(ROUNDS):
        page = upcoming_page(
            session, node, actor, filters, since=now, after=after, limit=limit, profiles=profiles
        )
        shown = _unique(shown + page.entries)
        if len(shown) >= limit or page.next is None:
            break
        after = page.next
    return shown[:limit]


def network_highlights(
    session: Session, node: NodeContext, network: LocalActor, limit: int, *, spare: int = 0
) -> tuple[list[Entry], list[Entry]]:
    """What the network's profile lists: its next ``limit`` events (its own and its members',
    soonest first, each once, no conference sessions; ``spare`` more for a reader that keeps
    them: kept_slices.py) and its latest ``limit`` calls and news (its own and its members',
    newest first), their authors' credit lines read in one query (one for each list was a
    statement more per view)."""
    profiles = _Profiles(session, node)
    rows, own = _latest_read(session, network, limit)
    profiles.expect(r.author for r in rows)  # looked up with the events' authors
    upcoming = _first_shown(session, node, network, Filters(), limit, spare, profiles=profiles)
    return upcoming, _latest_entries(node, network, limit, rows, own, profiles)


def _latest_read(session: Session, network: LocalActor, limit: int) -> tuple[list[Any], list[Item]]:
    """The rows of the network's latest calls and news (one range per kind) and its own."""
    limit = min(limit, MAX_SHOWN)
    values = {"network": network.id or 0, "limit": limit}
    rows = [
        row
        for kind in NEWS_KINDS
        for row in select_rows(session, _network_latest(), values | {"kind": kind})
    ]
    own = own_items(session, _own_latest(True), {"actor": network.id, "limit": limit})
    return rows, own


def _latest_entries(
    node: NodeContext,
    network: LocalActor,
    limit: int,
    rows: list[Any],
    own: list[Item],
    profiles: _Profiles,
) -> list[Entry]:
    me = actor_id(node.urls, network)
    entries = [_from_item(i, profiles, me) for i in own] + [_from_row(r, profiles) for r in rows]
    return sorted(_unique(entries), key=published_at, reverse=True)[: min(limit, MAX_SHOWN)]


def _authors(session: Session, node: NodeContext, items: list[Item]) -> dict[int, str]:
    ids = {i.actor_id for i in items}
    if not ids:
        return {}
    actors = session.exec(select(LocalActor).where(col(LocalActor.id).in_(ids))).all()
    return {a.id or 0: actor_id(node.urls, a) for a in actors}


def node_upcoming(
    session: Session,
    node: NodeContext,
    limit: int,
    filters: Filters | None = None,
    *,
    spare: int = 0,
) -> list[Entry]:
    """The node's next ``limit`` events (and ``spare`` more, for a reader that keeps them:
    kept_slices.py): its organizations' own and what its networks show (those passing
    ``filters``: a region's or a category's page)."""
    # one event may be filed by several networks, and sessions are left out
    return _first_shown(session, node, None, filters or Filters(), limit, spare)


def node_latest(session: Session, node: NodeContext, limit: int) -> list[Entry]:
    """The node's latest ``limit`` calls and news, newest first."""
    limit = min(limit, MAX_SHOWN)
    profiles = _Profiles(session, node)
    networks = [row[0] for row in select_rows(session, _networks())]
    rows = select_rows(session, _node_latest(), {"networks": networks, "limit": limit * 4})
    own = own_items(session, _own_latest(False), {"limit": limit})
    authors = _authors(session, node, own)
    entries = [_from_item(i, profiles, authors[i.actor_id]) for i in own]
    profiles.preload({r.author for r in rows})  # one query, not one an author
    entries += [_from_row(r, profiles) for r in rows]
    return sorted(_unique(entries), key=published_at, reverse=True)[:limit]


# The statements below are built once, their values bound at each call (see upcoming.py):
# building them cost more than the database took to answer them.
@lru_cache(maxsize=1)
def _networks() -> Any:
    return select(col(LocalActor.id)).where(LocalActor.kind == "network").limit(MAX_SHOWN * 20)


@lru_cache(maxsize=1)
def _network_latest() -> Any:
    """A network's latest of one kind by published time, as the timeline orders them (arrival
    is no date order: a new member's recent posts are filed all at once): one index range,
    newest first (the caller merges the kinds). The kind is bound too: one statement per kind
    had the same compiled form, and SQLAlchemy adapted its result set-up to the other
    statement object on every call (~0.2 ms)."""
    query = shown_rows(Filters()).where(
        NetworkItem.network_id == bindparam("network"), NetworkItem.kind == bindparam("kind")
    )
    query = query.order_by(col(NetworkItem.published).desc(), col(NetworkItem.id).desc())
    return query.limit(bindparam("limit", type_=Integer)).with_only_columns(*ENTRY_COLUMNS)


@lru_cache(maxsize=1)
def _node_latest() -> Any:
    """The latest calls and news the node's networks show, by arrival."""
    networks: Any = bindparam("networks", expanding=True)
    query = shown_rows(Filters()).where(
        col(NetworkItem.network_id).in_(networks), col(NetworkItem.kind).in_(NEWS_KINDS)
    )
    query = query.order_by(col(NetworkItem.received_at).desc())
    return query.limit(bindparam("limit", type_=Integer)).with_only_columns(*ENTRY_COLUMNS)


@lru_cache(maxsize=2)
def _own_latest(scoped: bool) -> Any:
    """The ids of our own latest calls and news (an actor's, or everyone's)."""
    query = select(col(Item.id)).where(
        col(Item.kind).in_(NEWS_KINDS), col(Item.deleted_at).is_(None)
    )
    if scoped:
        query = query.where(Item.actor_id == bindparam("actor"))
    query = query.order_by(col(Item.published).desc())
    return query.limit(bindparam("limit", type_=Integer))


@dataclass(frozen=True)
class MemberEntry:
    """A member of a network as its profile lists it: by ``name`` (the list's order), its kind,
    what its ``<li>`` is drawn from (``source``: a remote member's cached columns with its
    document as stored, or a local member's profile), how to draw its profile from that, and,
    for a member network of this node, its own first members (nesting, one level shown). The
    document is decoded only to draw the member (a kept ``<li>`` needs none of it)."""

    name: str
    kind: str
    source: tuple[Any, ...]
    members: list[MemberProfile]
    draw: Callable[[], MemberProfile]


def networks_of(session: Session, node: NodeContext, actor: LocalActor) -> list[MemberProfile]:
    """The networks ``actor`` is an admitted member of (at most MAX_SHOWN)."""
    query = _first_rows(MEMBERSHIPS, _postgresql(session))
    rows = select_rows(session, query, {"owner": actor.id or 0})
    return [profile_of(session, node, row[0]) for row in rows]


def members_of(session: Session, node: NodeContext, network: LocalActor) -> list[MemberEntry]:
    """The first MAX_SHOWN admitted members, each with its own networks when it is one of ours
    (nested networks: a regional network's national one). The members and their cached
    profiles are one query of columns (two ORM queries loaded 50 Membership and 50
    RemoteActor objects), the local ones among them another (two per member made the network's
    profile page ~100 queries, half its time)."""
    rows = select_rows(session, _members_query(_postgresql(session)), {"owner": network.id or 0})
    slugs = {_slug(node, row.member) for row in rows if row.kind == "network"} - {""}
    local = (
        {a.slug: a for a in session.exec(select(LocalActor).where(col(LocalActor.slug).in_(slugs)))}
        if slugs
        else {}
    )
    found = []
    for member, kind, cached, *columns in rows:
        nested = local.get(_slug(node, member)) if kind == "network" else None
        members = [] if nested is None else _first_members(session, node, nested)
        if cached is not None:
            # the page shows each member's name, kind and place: not its ESSGlobal terms
            draw = partial(source_profile, member, *columns, classified=False)
            name = shown_name(member, columns[1], columns[2])
            found.append(MemberEntry(name, kind, ("cached", member, *columns), members, draw))
            continue
        # a member of this node has no cached document: its profile is its own row
        profile = profile_of(session, node, member)
        source = ("profile", *profile_fields(profile))
        found.append(MemberEntry(profile.name, kind, source, members, partial(_given, profile)))
    return sorted(found, key=lambda m: m.name.lower())


def _given(profile: MemberProfile) -> MemberProfile:
    return profile


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Built once (per database kind), the owner bound at each call: see the statements above.
@lru_cache(maxsize=2)
def _first_rows(listing: id_pages.Listing, postgresql: bool) -> Any:
    """The first MAX_SHOWN of an owner's rows: one bounded range of its index."""
    query = select(listing.value).where(*id_pages.whole_bound(listing, postgresql))
    return query.order_by(col(listing.model.id)).limit(MAX_SHOWN)


@lru_cache(maxsize=2)
def _members_query(postgresql: bool) -> Any:
    """A network's first MAX_SHOWN members (member, kind), each with its cached actor's id and
    profile columns (none for ours): the range of its members, each looked up by ``ap_id``."""
    query = (
        select_columns(
            col(Membership.member),
            col(Membership.kind),
            col(RemoteActor.ap_id),
            *source_columns(),
        )
        .select_from(Membership)
        .join(RemoteActor, col(RemoteActor.ap_id) == col(Membership.member), isouter=True)
        .where(*id_pages.whole_bound(MEMBERS, postgresql))
    )
    return query.order_by(col(Membership.id)).limit(MAX_SHOWN)


def _first_members(session: Session, node: NodeContext, network: LocalActor) -> list[MemberProfile]:
    rows = session.exec(
        select(Membership.member)
        .where(*id_pages.whole(session, MEMBERS, network.id or 0))
        .order_by(col(Membership.id))
        .limit(NESTED_SHOWN)
    ).all()
    return [profile_of(session, node, m) for m in rows]


def _slug(node: NodeContext, ident: str) -> str:
    prefix = node.urls.actor("")
    return ident[len(prefix) :] if ident.startswith(prefix) else ""
