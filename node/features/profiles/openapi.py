"""The profile API's part of the OpenAPI document: ``GET`` and ``PATCH /api/v1/profile``
(node/features/profiles/api.py; the view in editing.py)."""

from __future__ import annotations

import copy

from node.api.openapi import WRITE_ERRORS, ApiFragment, Doc, json_content, request_body, responses
from node.api.openapi_schemas import STAMP, Schema, closed_object, merge_patch, ref, text, url
from node.content import essglobal
from node.federation.actors.documents import MAX_FIELDS


def profile_input() -> Schema:
    """What a profile edit may set (the ESSGlobal schemes come from the package's data)."""
    field = closed_object({"name": text(255), "value": text(2000)}, ("name", "value"))
    concepts = closed_object(
        {s.name: {"type": "array", "maxItems": 20, "items": url()} for s in essglobal.schemes()},
        description="ESSGlobal concept IRIs under http://purl.org/essglobal/standard/",
    )
    return closed_object(
        {
            "name": text(200, minLength=1),
            "description": text(5000, description="Markdown; the actor's summary is its HTML"),
            "icon": ref("Image"),
            "image": ref("Image"),
            "website": url(),
            "fields": {"type": "array", "maxItems": MAX_FIELDS, "items": field},
            "region": text(),
            "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "essglobal": concepts,
            "timezone": text(64, description="IANA time zone the workspace's forms start from"),
        }
    )


def profile(given: Schema) -> Schema:
    """The profile as the API answers it: what was given, and what the node derives."""
    return {
        "type": "object",
        "required": [
            "id",
            "url",
            "handle",
            "type",
            "name",
            "summary",
            "essglobalLabels",
            "updated",
        ],
        "properties": copy.deepcopy(given["properties"])
        | {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "handle": {"type": "string"},
            "type": {"type": "string", "enum": ["Organization", "Group"]},
            "summary": {"type": "string", "description": "HTML"},
            "essglobalLabels": {"type": "object", "additionalProperties": {"type": "string"}},
            "updated": STAMP,
        },
    }


def fragment() -> ApiFragment:
    """The profile's path and schemas."""
    path: Doc = {
        "get": {
            "operationId": "getProfile",
            "responses": responses({"200": json_content(ref("Profile"), "your profile")}),
        },
        "patch": {
            "operationId": "patchProfile",
            "summary": "Edit your profile (an actor Update goes to your followers)",
            "requestBody": request_body(
                ref("ProfilePatch"), "application/json", "application/merge-patch+json"
            ),
            "responses": responses(
                {"200": json_content(ref("Profile"), "the edited profile")}, *WRITE_ERRORS
            ),
        },
    }
    given = profile_input()
    schemas = {"ProfilePatch": merge_patch(given), "Profile": profile(given)}
    return ApiFragment({"/api/v1/profile": path}, schemas)
