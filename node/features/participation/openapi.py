"""The participation API's part of the OpenAPI document: the participants of our events and the
replies from the fediverse (node/features/participation/api.py; the views in api_json.py)."""

from __future__ import annotations

from node.api.openapi import ID, PAGING, UID, ApiFragment, Doc, json_content, responses
from node.api.openapi_schemas import NULLABLE_TEXT, STAMP, Schema, listing, ref

_PARTICIPANTS = "/api/v1/events/{uid}/participants"


def _participant_paths() -> dict[str, Doc]:
    decision = responses(
        {"200": json_content(ref("Participant"), "the participant")}, "404", "409", "410"
    )
    state = {
        "name": "state",
        "in": "query",
        "schema": {"type": "string", "enum": ["pending", "accepted", "rejected", "left"]},
    }
    listed = json_content(ref("ParticipantList"), "a page")
    return {
        _PARTICIPANTS: {
            "get": {
                "operationId": "listParticipants",
                "parameters": [UID, *PAGING, state],
                "responses": responses({"200": listed}, "400", "404", "410"),
            }
        },
        _PARTICIPANTS + "/{id}/approve": {
            "post": {
                "operationId": "approveParticipant",
                "summary": "Accept a pending participant (an Accept goes to its actor)",
                "parameters": [UID, ID],
                "responses": decision,
            }
        },
        _PARTICIPANTS + "/{id}/reject": {
            "post": {
                "operationId": "rejectParticipant",
                "summary": "Decline or remove a participant (a Reject goes to its actor)",
                "parameters": [UID, ID],
                "responses": decision,
            }
        },
    }


def _reply_paths() -> dict[str, Doc]:
    moderated = responses({"200": json_content(ref("Reply"), "the reply")}, "404")
    state = {
        "name": "state",
        "in": "query",
        "schema": {"type": "string", "enum": ["pending", "approved", "hidden"]},
    }
    return {
        "/api/v1/replies": {
            "get": {
                "operationId": "listReplies",
                "summary": "Replies from the fediverse to your items",
                "parameters": [*PAGING, state],
                "responses": responses({"200": json_content(ref("ReplyList"), "a page")}, "400"),
            }
        },
        "/api/v1/replies/{id}/approve": {
            "post": {"operationId": "approveReply", "parameters": [ID], "responses": moderated}
        },
        "/api/v1/replies/{id}/hide": {
            "post": {"operationId": "hideReply", "parameters": [ID], "responses": moderated}
        },
    }


def _participant() -> Schema:
    return {
        "type": "object",
        "required": ["id", "actor", "name", "email", "state", "created", "updated"],
        "properties": {
            "id": {"type": "integer"},
            "actor": {**NULLABLE_TEXT, "description": "the fediverse actor, or null"},
            "name": NULLABLE_TEXT,
            "email": NULLABLE_TEXT,
            "state": {"type": "string", "enum": ["pending", "accepted", "rejected", "left"]},
            "created": STAMP,
            "updated": STAMP,
        },
    }


def _reply() -> Schema:
    return {
        "type": "object",
        "required": [
            "id",
            "replyId",
            "actor",
            "inReplyTo",
            "url",
            "content",
            "state",
            "visibility",
            "created",
        ],
        "properties": {
            "id": {"type": "integer"},
            "replyId": {"type": "string"},
            "actor": {"type": "string"},
            "inReplyTo": {"type": "string"},
            "url": NULLABLE_TEXT,
            "content": {"type": "string", "description": "sanitized HTML"},
            "state": {"type": "string", "enum": ["pending", "approved", "hidden"]},
            "visibility": {
                "type": "string",
                "enum": ["public", "followers", "direct"],
                "description": "who the author addressed; only public replies are ever shown",
            },
            "summary": {
                "type": ["string", "null"],
                "description": "the content warning (plain text); the page collapses the reply",
            },
            "sensitive": {"type": "boolean", "description": "shown collapsed on the page"},
            "created": STAMP,
        },
    }


def fragment() -> ApiFragment:
    """Participants and replies: their paths and schemas."""
    count = {"type": "integer", "minimum": 0}
    schemas = {
        "Participant": _participant(),
        "ParticipantList": listing(ref("Participant"), participantCount=count),
        "Reply": _reply(),
        "ReplyList": listing(ref("Reply")),
    }
    return ApiFragment(_participant_paths() | _reply_paths(), schemas)
