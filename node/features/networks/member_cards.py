"""What a page shows of one member of a network: its ``<li>`` on the network's profile
(templates/_network_member.html: name, kind, place, a member network's first members) and in
the member directory (templates/_directory_member.html: name, kind, handle, place, ESSGlobal
classification).

Each is rendered once and kept in ``node.web.fragments.kept`` under a digest of everything it
is drawn from, as the network's entries are (cards.py): the template, the page's language,
the membership's kind and every field of the member's profile (and of a nested network's
first members). A renamed or moved member, a changed classification, a member network's new
member or another language is a new key: a kept ``<li>`` is never stale, only unused. The
directory's 50 members and the profile's 50 were each one template call and, for the
directory, a label lookup per concept, on every view (docs/benchmarks.md, "The network profile
and the member directory").
"""

from __future__ import annotations

from functools import partial
from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from node.content.essglobal import scheme_title
from node.features.networks.highlights import MemberEntry
from node.features.networks.profiles import MemberProfile, concept_label, profile_fields
from node.web import fragments

PROFILE_MEMBER = "_network_member.html"
DIRECTORY_MEMBER = "_directory_member.html"


def member_key(
    template: str, lang: str, kind: str, source: Any, nested: list[MemberProfile]
) -> bytes:
    """The digest of everything a member's ``<li>`` is drawn from: its ``source`` (a profile's
    fields, or the cached columns it is drawn from) and a nested network's first members'."""
    return fragments.digest(
        template, lang, kind, source, [profile_fields(member) for member in nested]
    )


def profile_members_html(request: Request, lang: str, members: list[MemberEntry]) -> list[Markup]:
    """The ``<li>`` of each member on the network's profile, in ``lang``."""
    return fragments.drawn(
        request,
        PROFILE_MEMBER,
        lang,
        [
            (
                member_key(PROFILE_MEMBER, lang, m.kind, m.source, m.members),
                partial(_profile_entry, m),
            )
            for m in members
        ],
    )


def directory_members_html(
    request: Request, lang: str, members: list[tuple[str, MemberProfile]]
) -> list[Markup]:
    """The ``<li>`` of each member of a directory page, in ``lang``."""
    return fragments.drawn(
        request,
        DIRECTORY_MEMBER,
        lang,
        [
            (
                member_key(DIRECTORY_MEMBER, lang, kind, profile_fields(profile), []),
                partial(_directory_entry, kind, profile),
            )
            for kind, profile in members
        ],
    )


def _profile_entry(member: MemberEntry) -> dict[str, Any]:
    return {"m": {"profile": member.draw(), "kind": member.kind, "members": member.members}}


def _directory_entry(kind: str, profile: MemberProfile) -> dict[str, Any]:
    classification = [
        # The title attribute once showed the property's name ("legalForm").
        {"scheme": scheme_title(scheme), "iri": iri, "label": concept_label(iri)}
        for scheme, iris in profile.essglobal.items()
        for iri in iris
    ]
    return {"m": {"profile": profile, "kind": kind, "classification": classification}}
