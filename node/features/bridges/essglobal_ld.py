"""An organization's ESSGlobal description as JSON-LD, at ``/@{slug}/essglobal.jsonld``.

RIPESS's vocabulary (``http://purl.org/essglobal/vocab/``) with the classification chosen in the
profile as the standard's concept IRIs, and schema.org for name, address and coordinates. The
``@context`` is written inline: a reader needs no remote context.
"""

from __future__ import annotations

from typing import Any

from node.content import essglobal
from node.federation.actors.documents import actor_id
from node.models import LocalActor
from node.urls import Urls

MEDIA_TYPE = "application/ld+json"


def context() -> dict[str, Any]:
    """The inline context: ESSGlobal properties (IRI values), schema.org terms."""
    terms: dict[str, Any] = {
        "essglobal": essglobal.VOCAB,
        "schema": "https://schema.org/",
        "SSEInitiative": "essglobal:SSEInitiative",
        "Organization": "schema:Organization",
        "PostalAddress": "schema:PostalAddress",
        "GeoCoordinates": "schema:GeoCoordinates",
        "name": "schema:name",
        "description": "schema:description",
        "url": {"@id": "schema:url", "@type": "@id"},
        "sameAs": {"@id": "schema:sameAs", "@type": "@id"},
        "logo": {"@id": "schema:logo", "@type": "@id"},
        "address": "schema:address",
        "addressRegion": "schema:addressRegion",
        "addressCountry": "schema:addressCountry",
        "geo": "schema:geo",
        "latitude": "schema:latitude",
        "longitude": "schema:longitude",
    }
    for scheme in essglobal.schemes():
        terms[scheme.name] = {"@id": scheme.property_iri, "@type": "@id", "@container": "@set"}
    return terms


def document(actor: LocalActor, urls: Urls) -> dict[str, Any]:
    """The organization as an ``essglobal:SSEInitiative`` (and a schema.org Organization)."""
    data = actor.profile or {}
    doc: dict[str, Any] = {
        "@context": context(),
        "@id": actor_id(urls, actor),
        "@type": ["SSEInitiative", "Organization"],
        "name": actor.name,
        "url": data.get("website") or urls.profile(actor.slug),
        "sameAs": [urls.profile(actor.slug)],
    }
    if data.get("description"):
        doc["description"] = data["description"]
    icon = data.get("icon")
    if isinstance(icon, dict) and icon.get("url"):
        doc["logo"] = icon["url"]
    address = {
        k: v
        for k, v in (("addressRegion", data.get("region")), ("addressCountry", data.get("country")))
        if v
    }
    if address:
        doc["address"] = {"@type": "PostalAddress", **address}
    if data.get("latitude") is not None and data.get("longitude") is not None:
        doc["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": data["latitude"],
            "longitude": data["longitude"],
        }
    names = [s.name for s in essglobal.schemes()]
    chosen = data.get("essglobal") or {}
    for name in names:
        if chosen.get(name):
            doc[name] = list(chosen[name])
    return doc
