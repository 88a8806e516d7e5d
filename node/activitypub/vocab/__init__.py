"""The ActivityStreams vocabulary: the names we produce and consume (``terms``), the rules for
reading remote fields (``reading``) and typed read-only views over remote documents (``views``).

Everything public is importable from here.
"""

from __future__ import annotations

from node.activitypub.vocab.reading import (
    ADDRESS_FIELDS,
    LINK_TYPES,
    addressees_of,
    is_public,
    ref_of,
    refs_of,
    text,
    types_of,
)
from node.activitypub.vocab.terms import (
    ACTIVITY_JSON,
    ACTOR_TERMS,
    ACTOR_TYPES,
    AP_MEDIA_TYPES,
    AS_CONTEXT,
    DATA_INTEGRITY_CONTEXT,
    DID_CONTEXT,
    LD_JSON_PROFILE,
    MULTIKEY_CONTEXT,
    PUBLIC,
    PUBLIC_ALIASES,
    SECURITY_CONTEXT,
    actor_context,
    as_list,
    id_of,
    iso,
    primary_types,
)
from node.activitypub.vocab.views import Activity, Actor, Object

__all__ = [
    "ACTIVITY_JSON",
    "ACTOR_TERMS",
    "ACTOR_TYPES",
    "ADDRESS_FIELDS",
    "AP_MEDIA_TYPES",
    "AS_CONTEXT",
    "DATA_INTEGRITY_CONTEXT",
    "DID_CONTEXT",
    "LD_JSON_PROFILE",
    "LINK_TYPES",
    "MULTIKEY_CONTEXT",
    "PUBLIC",
    "PUBLIC_ALIASES",
    "SECURITY_CONTEXT",
    "Activity",
    "Actor",
    "Object",
    "actor_context",
    "addressees_of",
    "as_list",
    "id_of",
    "is_public",
    "iso",
    "primary_types",
    "ref_of",
    "refs_of",
    "text",
    "types_of",
]
