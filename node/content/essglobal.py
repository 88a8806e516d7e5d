"""ESSGlobal: RIPESS's classification of social and solidarity economy initiatives.

The vocabulary (``http://purl.org/essglobal/vocab/``) describes an initiative with properties
whose values are SKOS concepts from code lists under ``http://purl.org/essglobal/standard/``:
``economicSector`` (the ICA's economic activities, or the "modified" activities list),
``legalForm``, ``organisationalStructure``, ``baseMembershipType`` and ``qualifier``. The lists
are bundled in ``data/essglobal/`` (sources and the conversion in its README) and read lazily,
once. Concept IRIs are compared exactly, after turning ``https://purl.org/`` into the canonical
``http://purl.org/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from node.content.fields import FieldError

__all__ = [
    "Concept",
    "Scheme",
    "concepts",
    "label",
    "scheme_title",
    "schemes",
    "validate_concept",
]

VOCAB = "http://purl.org/essglobal/vocab/"
STANDARD = "http://purl.org/essglobal/standard/"

# Property (the name used in our API and profiles) -> the bundled code lists its values come from.
# economicSector's range in the ESSGlobal vocabulary is the union of the two activity lists.
_SCHEMES: dict[str, tuple[str, ...]] = {
    "economicSector": ("activities-ica", "activities-modified"),
    "legalForm": ("legal-form",),
    "organisationalStructure": ("organisational-structure",),
    "baseMembershipType": ("base-membership-type",),
    "qualifier": ("qualifiers",),
}


@dataclass(frozen=True, slots=True)
class Concept:
    """One SKOS concept: its IRI, labels by language, the short code (``altLabel``, e.g. the
    ICA letter), its broader concept (qualifiers are two levels deep) and its scheme."""

    iri: str
    labels: MappingProxyType[str, str]
    scheme: str
    alt_label: str | None = None
    broader: str | None = None


@dataclass(frozen=True, slots=True)
class Scheme:
    """An ESSGlobal property and the concept schemes its values come from."""

    name: str
    property_iri: str
    concept_schemes: tuple[str, ...]
    title: MappingProxyType[str, str]


def _load(file: str) -> dict[str, Any]:
    text = (
        resources.files("node.content")
        .joinpath("data", "essglobal", f"{file}.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _catalogue() -> tuple[dict[str, Scheme], dict[str, Concept], dict[str, frozenset[str]]]:
    schemes: dict[str, Scheme] = {}
    by_iri: dict[str, Concept] = {}
    members: dict[str, frozenset[str]] = {}
    for name, files in _SCHEMES.items():
        iris: set[str] = set()
        title: dict[str, str] = {}
        concept_schemes = []
        for file in files:
            data = _load(file)
            concept_schemes.append(data["conceptScheme"])
            for lang, text in data["title"].items():
                title.setdefault(lang, text)
            for item in data["concepts"]:
                concept = Concept(
                    iri=item["iri"],
                    labels=MappingProxyType(dict(item["prefLabel"])),
                    scheme=data["conceptScheme"],
                    alt_label=item.get("altLabel"),
                    broader=item.get("broader"),
                )
                by_iri[concept.iri] = concept
                iris.add(concept.iri)
        schemes[name] = Scheme(name, VOCAB + name, tuple(concept_schemes), MappingProxyType(title))
        members[name] = frozenset(iris)
    return schemes, by_iri, members


def schemes() -> list[Scheme]:
    """The ESSGlobal properties we validate, with their concept schemes."""
    return list(_catalogue()[0].values())


def scheme_title(name: str, lang: str = "en") -> str:
    """A property's title for people (``legalForm`` -> ``Legal Form``), in ``lang`` when the
    vocabulary has it; the name itself only for a property we do not know."""
    found = _catalogue()[0].get(name)
    if found is None:
        return name
    return found.title.get(lang) or found.title.get("en") or name


def concepts(scheme: str) -> list[Concept]:
    """The concepts allowed for a property (for a form's choices), in the lists' order."""
    _, by_iri, members = _catalogue()
    if scheme not in members:
        raise KeyError(scheme)
    return [c for c in by_iri.values() if c.iri in members[scheme]]


def _canonical(iri: str) -> str:
    if iri.startswith("https://purl.org/"):
        return "http://" + iri.removeprefix("https://")
    return iri


def validate_concept(scheme: str, iri: str, *, field: str | None = None) -> str:
    """The canonical IRI of a concept allowed for ``scheme`` (``legalForm``,
    ``economicSector``…); FieldError on ``field`` (default: the scheme name) otherwise."""
    path = field or scheme
    _, _, members = _catalogue()
    if scheme not in members:
        raise FieldError(path, "unknown ESSGlobal scheme; one of: " + ", ".join(members))
    if not isinstance(iri, str) or len(iri) > 300:
        raise FieldError(path, f"must be an ESSGlobal concept IRI under {STANDARD}")
    canonical = _canonical(iri.strip())
    if canonical not in members[scheme]:
        raise FieldError(
            path, f"{iri[:100]!r} is not a {scheme} concept (e.g. {min(members[scheme])})"
        )
    return canonical


def label(iri: str, lang: str = "en") -> str:
    """The concept's label in ``lang``, else English, else any; KeyError for an unknown IRI."""
    concept = _catalogue()[1][_canonical(iri)]
    wanted = lang.lower().split("-", 1)[0]
    return (
        concept.labels.get(wanted)
        or concept.labels.get("en")
        or next(iter(concept.labels.values()), concept.iri)
    )
