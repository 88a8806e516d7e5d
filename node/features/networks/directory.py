"""A network's member directory, paged by cursor: admitted members in admission order, each
page ONE query (the memberships joined with their cached actor documents) over the
``(network_id, state, id)`` index, ``?after=<membership id>``.

The directory once loaded every member and looked each profile up alone (2,003 queries and a
1 MB page for 2,000 members), to sort them by name. Names live in two tables (remote actors'
cached documents, our own actors), so no index orders them: admission order is what an index
can page, and it is stable as members join. Filters on the profile (region, ESSGlobal sector)
are applied to a bounded batch of rows per page; a page may then show fewer members than its
size, and its "more" link continues after the last row read, so every match is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from node.db import select_rows
from node.features.networks.profiles import (
    PROFILE_COLUMNS,
    MemberProfile,
    cached_profile,
    concept_label,
    profile_of,
)
from node.features.networks.queries import Filters
from node.federation.context import NodeContext
from node.models import LocalActor, RemoteActor
from node.models.networks import Membership

PAGE_SIZE = 50
BATCH = 200  # rows read for a filtered page


@dataclass(frozen=True)
class DirectoryPage:
    """Members as (membership kind, profile), and the cursor of the next page (None at the
    end)."""

    members: list[tuple[str, MemberProfile]]
    after: int | None


def _admits(filters: Filters, kind: str, profile: MemberProfile) -> bool:
    if filters.region and filters.region.lower() not in {
        profile.region.lower(),
        profile.country.lower(),
    }:
        return False
    if filters.kind and kind != filters.kind:
        return False
    if filters.sector:
        concepts = [iri for iris in profile.essglobal.values() for iri in iris]
        wanted = filters.sector.lower()
        return any(
            wanted == iri.lower() or wanted in concept_label(iri).lower() for iri in concepts
        )
    return True


# Built once per shape, its values bound at each call, and read as plain columns: building the
# select and 50 Membership and RemoteActor objects a page cost more than the database's answer
# (docs/benchmarks.md, "The network profile and the member directory").
@lru_cache(maxsize=4)
def _page_query(kind: bool, cursor: bool) -> Any:
    """The admitted members of network ``network`` (of kind ``kind``, after membership
    ``after``) in admission order, each with its cached actor's columns (none for ours)."""
    query = (
        select_columns(
            col(Membership.id),
            col(Membership.member),
            col(Membership.kind),
            col(RemoteActor.ap_id),
            *PROFILE_COLUMNS,
        )
        .select_from(Membership)
        .join(RemoteActor, col(RemoteActor.ap_id) == col(Membership.member), isouter=True)
        .where(
            col(Membership.network_id) == bindparam("network"),
            col(Membership.state) == "admitted",
        )
    )
    if kind:
        query = query.where(col(Membership.kind) == bindparam("kind"))
    if cursor:
        query = query.where(col(Membership.id) > bindparam("after"))
    return query.order_by(col(Membership.id)).limit(bindparam("limit", type_=Integer))


def directory_page(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    filters: Filters,
    after: int | None = None,
) -> DirectoryPage:
    """The admitted members after membership ``after``, with their profiles; filtered by
    region, kind and ESSGlobal concept (``sector``: an IRI, or a word of its label)."""
    filtered = bool(filters.region or filters.sector)
    wanted = BATCH if filtered else PAGE_SIZE
    values: dict[str, Any] = {"network": network.id, "limit": wanted + 1}
    if filters.kind:
        values["kind"] = filters.kind
    if after is not None:
        values["after"] = after
    rows = select_rows(session, _page_query(bool(filters.kind), after is not None), values)
    more = len(rows) > wanted
    found: list[tuple[str, MemberProfile]] = []
    last: int | None = None
    for index, (ident, member, kind, cached, *columns) in enumerate(rows[:wanted]):
        # a member of this node has no cached document: its profile is its own row
        profile = (
            cached_profile(member, *columns)
            if cached is not None
            else profile_of(session, node, member)
        )
        last = ident
        if _admits(filters, kind, profile):
            found.append((kind, profile))
        if len(found) == PAGE_SIZE:
            more = more or index != wanted - 1
            break
    return DirectoryPage(found, last if more else None)
