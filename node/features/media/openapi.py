"""The media API's part of the OpenAPI document: ``POST /api/v1/actors/{slug}/media``
(node/features/media/routes.py)."""

from __future__ import annotations

from node.api.openapi import ApiFragment, Doc, json_content, responses
from node.api.openapi_schemas import closed_object, ref, text
from node.models.media import ALT_MAX

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def fragment() -> ApiFragment:
    """The upload's path and the Media schema."""
    form = closed_object(
        {
            "file": {"type": "string", "contentMediaType": "application/octet-stream"},
            "alt": text(ALT_MAX, description="alt text; required for attachments"),
            "purpose": {"type": "string", "enum": ["attachment", "avatar", "header"]},
        },
        ("file",),
    )
    media = {
        "type": "object",
        "required": ["id", "url", "mediaType", "name", "width", "height", "purpose"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string", "format": "uri"},
            "mediaType": {"type": "string", "enum": ["image/jpeg", "image/png"]},
            "name": {"type": "string", "description": "the alt text"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "purpose": {"type": "string", "enum": ["attachment", "avatar", "header"]},
        },
    }
    refused = {
        "400": "the file is damaged, or the form has no file field",
        "403": "the token belongs to another organization",
        "413": "the image is over SOLNODE_MEDIA_MAX_BYTES, or has too many pixels",
        "415": "not multipart/form-data, or the file is not a JPEG, PNG, WebP or GIF image",
        "422": "a bad alt text or purpose; field names it",
    }
    ok = responses({"201": json_content(ref("Media"), "the stored image; use its id")})
    for code, description in refused.items():
        ok[code] = json_content(ref("Error"), description)
    path: Doc = {
        "post": {
            "operationId": "uploadMedia",
            "summary": "Upload an image (metadata removed, resized, re-encoded as JPEG or PNG)",
            "parameters": [SLUG],
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": form}},
            },
            "responses": ok,
        }
    }
    return ApiFragment({"/api/v1/actors/{slug}/media": path}, {"Media": media})
