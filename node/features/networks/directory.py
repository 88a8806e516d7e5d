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

from sqlmodel import Session, col, select

from node.features.networks.profiles import (
    MemberProfile,
    concept_label,
    profile_of,
    remote_profile,
)
from node.features.networks.queries import Filters
from node.federation.context import NodeContext
from node.models import LocalActor, RemoteActor
from node.models.networks import Membership

PAGE_SIZE = 50
BATCH = 200  # rows read for a filtered page


@dataclass(frozen=True)
class DirectoryPage:
    """Members with their profiles, and the cursor of the next page (None at the end)."""

    members: list[tuple[Membership, MemberProfile]]
    after: int | None


def _admits(filters: Filters, row: Membership, profile: MemberProfile) -> bool:
    if filters.region and filters.region.lower() not in {
        profile.region.lower(),
        profile.country.lower(),
    }:
        return False
    if filters.kind and row.kind != filters.kind:
        return False
    if filters.sector:
        concepts = [iri for iris in profile.essglobal.values() for iri in iris]
        wanted = filters.sector.lower()
        return any(
            wanted == iri.lower() or wanted in concept_label(iri).lower() for iri in concepts
        )
    return True


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
    query = (
        select(Membership, RemoteActor)
        .join(RemoteActor, col(RemoteActor.ap_id) == col(Membership.member), isouter=True)
        .where(Membership.network_id == network.id, Membership.state == "admitted")
    )
    if filters.kind:
        query = query.where(Membership.kind == filters.kind)
    if after is not None:
        query = query.where(col(Membership.id) > after)
    rows = session.exec(query.order_by(col(Membership.id)).limit(wanted + 1)).all()
    more = len(rows) > wanted
    found: list[tuple[Membership, MemberProfile]] = []
    last: int | None = None
    for row, cached in rows[:wanted]:
        # a member of this node has no cached document: its profile is its own row
        profile = (
            remote_profile(row.member, cached)
            if cached is not None
            else profile_of(session, node, row.member)
        )
        last = row.id
        if _admits(filters, row, profile):
            found.append((row, profile))
        if len(found) == PAGE_SIZE:
            more = more or row is not rows[wanted - 1][0]
            break
    return DirectoryPage(found, last if more else None)
