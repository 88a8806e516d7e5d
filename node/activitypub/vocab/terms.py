"""Names and small pure helpers of the ActivityStreams vocabulary we produce and consume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
# did/v1 defines `assertionMethod`; without it Fedify cannot find our FEP-521a Multikey.
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

# Media types: what we serve and what we accept as ActivityPub JSON.
ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AP_MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})

# Extension terms, always inline (interop.md: never a context URL of our own, because
# Mastodon fetches unknown context URLs and drops signed activities when that fails).
ACTOR_TERMS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
}

ACTOR_TYPES = frozenset({"Person", "Organization", "Group", "Service", "Application"})


def actor_context() -> list[Any]:
    """The @context of our actor documents."""
    return [AS_CONTEXT, SECURITY_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT, dict(ACTOR_TERMS)]


def iso(dt: datetime) -> str:
    """RFC 3339 in UTC with a Z, second precision (what Mastodon emits)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_list(value: Any) -> list[Any]:
    """A JSON-LD value that may be one thing or a list, as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value: Any) -> str | None:
    """The id of a reference that may be a string or an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if isinstance(ident, str) else None
    return None


def primary_types(doc: Any, depth: int = 0) -> Any:
    """A copy where every multi-valued ``type`` (``["Note", "schema:Thing"]``) keeps its first
    string: ActivityStreams allows several types, and every handler reads one. Nesting was
    already bounded at the inbox."""
    if depth > 64:
        return doc
    if isinstance(doc, dict):
        out = {k: primary_types(v, depth + 1) for k, v in doc.items()}
        kind = out.get("type")
        if isinstance(kind, list):
            out["type"] = next((t for t in kind if isinstance(t, str)), "")
        return out
    if isinstance(doc, list):
        return [primary_types(v, depth + 1) for v in doc]
    return doc
