"""A network files what it receives: one ``network_item`` per (network, object id), the relay
decision, and - when relayed - its ``Announce`` by id to the network's followers.

The unique (network, object id) is what ends every loop: an object that comes back to a
network (through a cycle of memberships, or by two paths) finds its row and goes no further.
Two copies arriving at once race on the insert; the loser's transaction, Announce included,
rolls back.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from node.activitypub import activities
from node.db import now_utc, session_scope
from node.features.networks import clean
from node.features.networks.facts import ItemFacts, item_facts
from node.features.networks.profiles import profile_of
from node.features.networks.rules import RELAYED, decide, load_rules
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import LocalActor, Tombstone
from node.models.networks import NetworkItem

MAX_DOCUMENT_KEYS = 200


@dataclass(frozen=True)
class Arrival:
    """One object reaching one of our networks: who wrote it, through whom, as what."""

    network_id: int
    document: dict[str, Any]
    author: str
    via: str
    source: str  # member | followed


def stored_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The object as filed: no @context, signature or proof (it is served embedded)."""
    stripped = activities.strip_context(doc)
    return clean.normalised(dict(list(stripped.items())[:MAX_DOCUMENT_KEYS]))


def file_document(row: NetworkItem, doc: dict[str, Any]) -> None:
    """Put ``doc`` on a row as filed (cleaned, see :func:`stored_document`), with the version of
    the cleaning rules it was cleaned under: the one way a row's document is written, so a row
    never claims rules its document was not cleaned by."""
    row.document = stored_document(doc)
    row.clean_rules = clean.RULES


def published_of(document: dict[str, Any], received: datetime) -> datetime:
    """When the author published it (``published``, read defensively), in UTC, but never later
    than it arrived (else when it arrived): the timeline's order."""
    stated = clean.moment(document.get("published"))
    if stated is None or stated > received:
        return received
    return stated.astimezone(UTC)


def already_filed(session: Session, network_id: int, object_id: str) -> bool:
    """Whether the network has this object (or it was deleted: never filed again)."""
    found = session.exec(
        select(NetworkItem.id).where(
            NetworkItem.network_id == network_id, NetworkItem.object_id == object_id
        )
    ).first()
    if found is not None:
        return True
    return (
        session.exec(select(Tombstone.id).where(Tombstone.ap_id == object_id)).first() is not None
    )


def _facts(session: Session, node: NodeContext, arrival: Arrival) -> ItemFacts:
    facts = item_facts(arrival.document)
    if facts.region or facts.country:
        return facts
    # No place on the item itself: file it under its author's region, for the region filters.
    profile = profile_of(session, node, arrival.author)
    return dataclasses.replace(facts, region=profile.region, country=profile.country)


def apply_facts(row: NetworkItem, facts: ItemFacts) -> None:
    """Copy the filterable facts onto a row."""
    row.kind = facts.kind
    row.start_time, row.end_time = facts.start_time, facts.end_time
    row.ends_at, row.span_class = facts.ends_at, facts.span_class
    row.region, row.country = facts.region, facts.country
    row.tags, row.category, row.online = facts.tag_text[:2000], facts.category, facts.online


def announce_audience(session: Session, author: str, via: str) -> Any:
    """The network's followers (and the relays we subscribe to), never back to the author or
    the network the item came through."""

    exclude = tuple(a for a in (author, via) if a)
    return delivery.Audience(followers=True, relays=True, exclude=exclude)


def file_item(node: NodeContext, arrival: Arrival) -> str:
    """File one arrival for one network and announce it if the rules say so (sync: run it on a
    worker thread). Returns what happened, for the inbox row's result."""

    object_id = str(arrival.document["id"])
    with Session(node.engine) as session:
        network = session.get(LocalActor, arrival.network_id)
        if network is None:
            return "network gone"
        if already_filed(session, arrival.network_id, object_id):
            return f"@{network.slug}: already has it"
        rules = load_rules(session, arrival.network_id)
        facts = _facts(session, node, arrival)
    state, reason = decide(
        rules, facts, author=arrival.author, via=arrival.via, source=arrival.source
    )
    announce: dict[str, Any] | None = None
    if state == RELAYED:
        me = actor_id(node.urls, network)
        now = now_utc().replace(microsecond=0)
        doc = activities.announce(
            node.urls.activity(uuid.uuid4().hex),
            me,
            object_id,
            followers=f"{me}/followers",
            published=now,
        )
        # Public: its fan-out job signs it in the body, so relays can pass it on.
        announce = doc
    row = NetworkItem(
        network_id=arrival.network_id,
        object_id=object_id,
        author=arrival.author,
        via=arrival.via,
        source=arrival.source,
        state=state,
        reason=reason[:500],
        announce_id=str(announce["id"]) if announce else "",
    )
    file_document(row, arrival.document)
    apply_facts(row, facts)
    row.received_at = now_utc()
    row.published = published_of(row.document, row.received_at)
    try:
        with session_scope(node.engine) as session:
            session.add(row)
            session.flush()
            if announce is not None:
                audience = announce_audience(session, arrival.author, arrival.via)
                delivery.send(session, network, announce, audience)
    except IntegrityError:
        return f"@{network.slug}: already has it (filed meanwhile)"
    if announce is not None:
        node.notify_work()
    return f"@{network.slug}: {state}" + (f" ({reason})" if reason and state != RELAYED else "")
