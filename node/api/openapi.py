"""The OpenAPI 3.1 document of the JSON API, served at ``/api/openapi.json``.

The kit knows no feature: it holds the document's skeleton (info, server, bearer security, the
shared components) and the builders of operations, and assembles the document from the
fragments the features write next to their routes (node/wiring.py lists them and serves the
document). A schemathesis test runs generated requests from it against the running API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from node import __version__
from node.api.openapi_schemas import SHARED, ref

Doc = dict[str, Any]

ERRORS = {
    "400": "unreadable input: bad JSON, or a bad query parameter (field names it)",
    "401": "missing, malformed or unknown bearer token",
    "403": "the token belongs to another actor",
    "404": "no such thing of yours",
    "409": "the current state forbids it (the event is full…)",
    "410": "it was deleted",
    "413": "the body is larger than 1 MB",
    "415": "the body is not JSON (Content-Type)",
    "422": "valid JSON that fails validation; field names the path",
    "429": "too many requests from this address; Retry-After says when to try again",
}
UID = {"name": "uid", "in": "path", "required": True, "schema": {"type": "string"}}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "from next"},
]
LOCATION = {
    "Location": {"description": "where to GET, PATCH or DELETE it", "schema": {"type": "string"}}
}
WRITE_ERRORS = ("400", "413", "415", "422")


@dataclass(frozen=True)
class ApiFragment:
    """A feature's part of the document: its paths and the component schemas they refer to."""

    paths: dict[str, Doc]
    schemas: dict[str, Doc] = field(default_factory=dict)


def json_content(schema: Doc, description: str) -> Doc:
    """A response with a JSON body of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def responses(ok: dict[str, Doc], *errors: str) -> Doc:
    """The answers of an operation: ``ok`` and the errors it may give (401 and 429 always)."""
    answers: Doc = dict(ok)
    for code in ("401", "429", *errors):
        answers[code] = json_content(ref("Error"), ERRORS[code])
    return answers


def request_body(schema: Doc, *types: str) -> Doc:
    """A required request body of ``schema`` in these media types (JSON by default)."""
    return {
        "required": True,
        "content": {t: {"schema": schema} for t in (types or ("application/json",))},
    }


def _merged(into: dict[str, Doc], more: dict[str, Doc], what: str) -> None:
    clash = into.keys() & more.keys()
    if clash:
        raise ValueError(f"OpenAPI {what} given twice: {', '.join(sorted(clash))}")
    into.update(more)


def document(base_url: str, fragments: Sequence[ApiFragment]) -> Doc:
    """The whole OpenAPI document for a node at ``base_url``: the fragments' paths and schemas
    in the order given, after the shared components. A path or schema named twice raises."""
    paths: dict[str, Doc] = {}
    schemas: dict[str, Doc] = dict(SHARED)
    for fragment in fragments:
        _merged(paths, fragment.paths, "paths")
        _merged(schemas, fragment.schemas, "schemas")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Node API",
            "version": __version__,
            "description": (
                "Publish events, calls for collaboration and news to the fediverse as an "
                "organization. Authenticate with a bearer token from `solnode token create SLUG`."
            ),
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }
