"""The shared pieces of the API's JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12), as data.

Builders every feature writes its schemas with (text, url, closed objects, merge patches, pages of
a list) and the component schemas no single feature owns: the error every endpoint answers with
and an image with its alt text. The features' own schemas live in their openapi modules; the
validators in node/content/fields remain the authority (tests/integration/
test_openapi_schemathesis.py holds the schemas to the running API).
"""

from __future__ import annotations

import copy
from typing import Any

from node.content.fields.types import ALT_MAX, IMAGE_TYPES, MAX_LANGUAGES, SHORT_MAX, URL_MAX

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def text(max_len: int = SHORT_MAX, **extra: Any) -> Schema:
    """A string of at most ``max_len`` characters."""
    return {"type": "string", "maxLength": max_len, **extra}


def url() -> Schema:
    """A URL, bounded as the validators bound it."""
    return {"type": "string", "format": "uri", "maxLength": URL_MAX}


def text_map(max_len: int) -> Schema:
    """Translations of a text: ``{language tag: text}``."""
    return {
        "type": "object",
        "description": "translations: {language tag: text}",
        "maxProperties": MAX_LANGUAGES,
        "additionalProperties": text(max_len),
    }


def closed_object(properties: Schema, required: tuple[str, ...] = (), **extra: Any) -> Schema:
    """An object with these properties and no others."""
    doc: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        doc["required"] = list(required)
    return doc | extra


def merge_patch(schema: Schema) -> Schema:
    """The JSON Merge Patch of an input schema: nothing required, ``null`` removes a field."""
    patch = copy.deepcopy(schema)
    patch.pop("required", None)
    patch["properties"] = {
        key: {"anyOf": [value, {"type": "null"}]} for key, value in patch["properties"].items()
    }
    patch["description"] = "JSON Merge Patch (RFC 7396) of source: null removes a field"
    return patch


def listing(item: Schema, **extra: Schema) -> Schema:
    """A page of a list: ``items`` and the URL of the ``next`` page (null on the last)."""
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": item}, "next": NULLABLE_TEXT} | extra,
    }


STAMP: Schema = {"type": "string", "format": "date-time"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
IMAGE = closed_object(
    {
        "url": url(),
        "mediaType": {"type": "string", "enum": sorted(set(IMAGE_TYPES.values()))},
        "name": text(ALT_MAX, description="alt text: describe the image"),
        "width": {"type": "integer", "minimum": 1, "maximum": 100_000},
        "height": {"type": "integer", "minimum": 1, "maximum": 100_000},
        "media": {
            "type": "integer",
            "minimum": 1,
            "description": "the id of an image you uploaded (POST /api/v1/actors/{slug}/media); "
            "url, mediaType, width, height and (unless given) name come from it",
        },
    },
    anyOf=[{"required": ["url", "name"]}, {"required": ["media"]}],
)
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "field": {"type": "string", "description": "the path of the field at fault"},
    },
}
# The components shared by every feature's fragment, first in the document.
SHARED: dict[str, Schema] = {"Error": ERROR, "Image": IMAGE}
