"""Who a member is, for the directory and for filing items by region: name, links, region,
country and ESSGlobal classification.

A local actor's profile is in ``LocalActor.profile`` (edited through the profile API). A remote
actor's is read from its cached actor document, tolerantly: ESSGlobal terms as top-level keys
(``economicSector``, ``legalForm``…, compacted from ``http://purl.org/essglobal/vocab/``) or
grouped under ``essglobal``; the region and country from ``region``/``country`` or a
``location`` Place with a PostalAddress (schema.org names, as Mobilizon uses them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, bindparam, cast
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from node.activitypub.vocab import as_list, text
from node.content import essglobal
from node.db import select_rows
from node.federation.context import NodeContext
from node.federation.inbox.common import local_actor_by_id
from node.models import RemoteActor

ESSGLOBAL_SCHEMES = (
    "economicSector",
    "legalForm",
    "organisationalStructure",
    "baseMembershipType",
    "qualifier",
)
ESSGLOBAL_VOCAB = "http://purl.org/essglobal/vocab/"
MAX_CONCEPTS = 20


@dataclass(frozen=True)
class Credit:
    """Who wrote an item, as its credit line names them: what a page of items needs of each
    author (read from columns alone, see :func:`credits_of`)."""

    actor: str
    name: str
    handle: str
    url: str


@dataclass(frozen=True)
class MemberProfile(Credit):
    """What the directory shows about one actor."""

    type: str
    region: str = ""
    country: str = ""
    essglobal: dict[str, list[str]] = field(default_factory=dict)


def profile_fields(profile: MemberProfile) -> tuple[Any, ...]:
    """Every field of a profile (what a page may show of it)."""
    return (
        profile.actor,
        profile.name,
        profile.handle,
        profile.url,
        profile.type,
        profile.region,
        profile.country,
        profile.essglobal,
    )


def _concepts(value: Any) -> list[str]:
    out = []
    for entry in as_list(value)[:MAX_CONCEPTS]:
        iri = (entry.get("id") or entry.get("@id")) if isinstance(entry, dict) else entry
        if isinstance(iri, str) and iri.startswith(("http://", "https://")):
            out.append(iri[:500])
    return out


def concept_label(iri: str, lang: str = "en") -> str:
    """The label of an ESSGlobal concept; the IRI itself for one we do not know (remote
    documents may use newer or other code lists)."""

    try:
        return essglobal.label(iri, lang)
    except KeyError:
        return iri


def essglobal_of(document: dict[str, Any]) -> dict[str, list[str]]:
    """ESSGlobal concepts named in a remote actor document."""
    grouped = document.get("essglobal")
    source = grouped if isinstance(grouped, dict) else document
    found: dict[str, list[str]] = {}
    for scheme in ESSGLOBAL_SCHEMES:
        value = source.get(
            scheme, source.get(f"essglobal:{scheme}", source.get(ESSGLOBAL_VOCAB + scheme))
        )
        concepts = _concepts(value)
        if concepts:
            found[scheme] = concepts
    return found


def place_of(document: dict[str, Any]) -> tuple[str, str]:
    """(region, country) of a remote actor document."""
    region = text(document.get("region"), 200) or ""
    country = text(document.get("country"), 2) or ""
    for location in as_list(document.get("location"))[:3]:
        address = location.get("address") if isinstance(location, dict) else None
        if isinstance(address, dict):
            region = (
                region
                or text(address.get("addressRegion"), 200)
                or text(address.get("addressLocality"), 200)
                or ""
            )
            country = country or text(address.get("addressCountry"), 2) or ""
    return region, country.upper() if len(country) == 2 else ""


# built once, its list of ids bound at each call: building it cost more than the read
@lru_cache(maxsize=1)
def _credits() -> Any:
    return select_columns(*CREDIT_COLUMNS).where(
        col(RemoteActor.ap_id).in_(bindparam("ids", expanding=True))
    )


# what a credit line reads of a cached remote actor (its id first), in cached_credit's order
CREDIT_COLUMNS: tuple[Any, ...] = (
    RemoteActor.ap_id,
    RemoteActor.name,
    RemoteActor.preferred_username,
    RemoteActor.domain,
    RemoteActor.url,
)


def cached_credit(
    ap_id: str, name: str | None, username: str | None, domain: str, url: str | None
) -> Credit:
    """The credit line of a cached remote actor from :data:`CREDIT_COLUMNS`."""
    return Credit(ap_id, *_named(ap_id, name, username, domain, url))


def credits_of(session: Session, node: NodeContext, actors: Iterable[str]) -> dict[str, Credit]:
    """The credit lines of a page's authors: the remote ones in one query of four columns
    (neither their documents nor their ESSGlobal terms are read: building the whole profiles
    of a month's 300 authors cost ~9 ms), the local ones (few) one by one."""
    wanted = set(actors)
    remote = sorted(a for a in wanted if not is_local_actor(node, a))
    found: dict[str, Credit] = {}
    for start in range(0, len(remote), 500):
        rows = select_rows(session, _credits(), {"ids": remote[start : start + 500]})
        for row in rows:
            found[row[0]] = cached_credit(*row)
    for actor in wanted - found.keys():
        found[actor] = profile_of(session, node, actor)
    return found


def is_local_actor(node: NodeContext, actor: str) -> bool:
    """Whether ``actor`` is one of ours (an organization, a network, the instance actor)."""
    return actor.startswith(node.urls.actor("")) or actor == node.urls.instance_actor


def profile_of(session: Session, node: NodeContext, actor: str) -> MemberProfile:
    """The profile of any actor id (local from the database, remote from the cache)."""
    local = local_actor_by_id(node, session, actor)
    if local is not None:
        profile = local.profile or {}
        return MemberProfile(
            actor=actor,
            name=local.name,
            handle=f"@{local.slug}@{node.settings.host}",
            url=node.urls.profile(local.slug),
            type="Group" if local.kind == "network" else "Organization",
            region=text(profile.get("region"), 200) or "",
            country=text(profile.get("country"), 2) or "",
            essglobal={k: list(v) for k, v in (profile.get("essglobal") or {}).items()},
        )
    cached = session.exec(select(RemoteActor).where(RemoteActor.ap_id == actor)).first()
    return remote_profile(actor, cached)


def remote_profile(actor: str, cached: RemoteActor | None) -> MemberProfile:
    """The profile of a remote actor as cached (its id alone when it is not)."""
    if cached is None:
        return MemberProfile(actor=actor, name=actor, handle="", url=actor, type="")
    return cached_profile(
        actor,
        cached.type,
        cached.name,
        cached.preferred_username,
        cached.domain,
        cached.url,
        cached.document,
    )


# What a profile reads of a cached remote actor, in the order of cached_profile's arguments
# after the actor: a page of members selects these columns (no ORM object per member: building
# 50 RemoteActor objects cost more than the page's query).
PROFILE_COLUMNS: tuple[Any, ...] = (
    RemoteActor.type,
    RemoteActor.name,
    RemoteActor.preferred_username,
    RemoteActor.domain,
    RemoteActor.url,
    RemoteActor.document,
)


def source_columns() -> tuple[Any, ...]:
    """:data:`PROFILE_COLUMNS` with the document as its stored text: a page that keys what it
    draws by them decodes the document only to draw it (the profile page's members,
    member_cards.py). For statements built once (nothing is built at import)."""
    return (*PROFILE_COLUMNS[:-1], cast(RemoteActor.document, Text))


def source_profile(
    actor: str,
    kind: str,
    name: str | None,
    username: str | None,
    domain: str,
    url: str | None,
    document: str,
    *,
    classified: bool = True,
) -> MemberProfile:
    """The profile of a remote actor from :func:`source_columns`."""
    found = json.loads(document)
    return cached_profile(actor, kind, name, username, domain, url, found, classified=classified)


def shown_name(actor: str, name: str | None, username: str | None) -> str:
    """The name a cached remote actor's profile shows (its name, else its username, else its
    id)."""
    return name or username or actor


def cached_profile(
    actor: str,
    kind: str,
    name: str | None,
    username: str | None,
    domain: str,
    url: str | None,
    document: dict[str, Any],
    *,
    classified: bool = True,
) -> MemberProfile:
    """The profile of a remote actor from its cached columns (:data:`PROFILE_COLUMNS`);
    ``classified=False``: without its ESSGlobal terms (for a page that does not show them)."""
    region, country = place_of(document)
    name, handle, link = _named(actor, name, username, domain, url)
    return MemberProfile(
        actor=actor,
        name=name,
        handle=handle,
        url=link,
        type=kind,
        region=region,
        country=country,
        essglobal=essglobal_of(document) if classified else {},
    )


def _named(
    actor: str, name: str | None, username: str | None, domain: str, url: str | None
) -> tuple[str, str, str]:
    """(name, handle, link) of a cached remote actor, each falling back as its profile does."""
    handle = f"@{username}@{domain}" if username else ""
    return shown_name(actor, name, username), handle, url or actor
