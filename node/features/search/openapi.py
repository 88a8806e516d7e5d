"""The search API's part of the OpenAPI document: ``GET /api/v1/search`` (public: no token)."""

from __future__ import annotations

from node.api.openapi import ApiFragment, json_content
from node.api.openapi_schemas import ref
from node.features.search.query import KINDS, MAX_QUERY, MAX_RESULTS


def _param(name: str, description: str, **schema: object) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def fragment() -> ApiFragment:
    """``GET /api/v1/search`` and its ``SearchResults`` schema."""
    hit = {
        "type": "object",
        "required": ["kind", "title", "url", "id", "author"],
        "properties": {
            "kind": {"type": "string", "enum": [*KINDS, "organization", "network"]},
            "title": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "id": {"type": "string"},
            "author": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
            },
            "startTime": {"type": ["string", "null"], "format": "date-time"},
            "published": {"type": ["string", "null"], "format": "date-time"},
            "place": {"type": "string"},
            "online": {"type": "boolean"},
            "category": {"type": "string"},
            "summary": {"type": "string"},
        },
    }
    results = {
        "type": "object",
        "required": ["query", "items"],
        "properties": {
            "query": {"type": "object", "additionalProperties": {"type": "string"}},
            "items": {"type": "array", "maxItems": MAX_RESULTS, "items": hit},
        },
    }
    operation = {
        "operationId": "search",
        "summary": "Search events, calls, news and organizations",
        "description": (
            "Every word must match (as a word prefix) in the name, summary or text; query "
            "syntax is not interpreted. Events to come come first, soonest first. The same "
            "search as the /search page."
        ),
        "security": [],
        "parameters": [
            _param("q", "words to look for", maxLength=MAX_QUERY),
            _param("from", "on or after this day", format="date"),
            _param("to", "on or before this day", format="date"),
            _param("region", "a region, locality or country code"),
            _param("category", "an event category (MEETING, WORKSHOP…)"),
            _param("online", "online (yes) or in person (no)", enum=["yes", "no"]),
            _param("kind", "one kind only", enum=[*KINDS, "organization"]),
        ],
        "responses": {
            "200": json_content(ref("SearchResults"), "the results (at most 50)"),
            "400": json_content(ref("Error"), "a parameter could not be read"),
        },
    }
    return ApiFragment(
        paths={"/api/v1/search": {"get": operation}}, schemas={"SearchResults": results}
    )
