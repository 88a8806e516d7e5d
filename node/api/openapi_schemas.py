"""The JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of the API's bodies, as data.

They mirror the validators in node/content/fields (names, bounds, enums) and the views in
node/features/publishing/api_json.py; tests/integration/test_openapi_schemathesis.py holds them to the running API.
The validators remain the authority: they also check what a schema cannot say (endTime after
startTime, a recurrence that starts on one of its days…), answering 422 with the field.
"""

from __future__ import annotations

import copy
from typing import Any

from node.content import essglobal
from node.content.fields import CATEGORIES, VF_ACTIONS
from node.content.fields.types import (
    ALT_MAX,
    CONTENT_MAX,
    IMAGE_TYPES,
    MAX_LANGUAGES,
    MAX_OCCURRENCES,
    MAX_SPEAKERS,
    MAX_TAGS,
    NAME_MAX,
    NAME_MIN,
    SHORT_MAX,
    SUMMARY_MAX,
    URL_MAX,
)
from node.federation.actors.documents import MAX_FIELDS

Schema = dict[str, Any]
_STATUSES = ("scheduled", "tentative", "cancelled", "postponed", "rescheduled", "movedOnline")
# RFC 3339 with or without an offset (without: a wall time in ``timezone``), years 2000-2099.
DATETIME = (
    r"^20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
    r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?$"
)


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _text(max_len: int = SHORT_MAX, **extra: Any) -> Schema:
    return {"type": "string", "maxLength": max_len, **extra}


def _url() -> Schema:
    return {"type": "string", "format": "uri", "maxLength": URL_MAX}


def _map(max_len: int) -> Schema:
    return {
        "type": "object",
        "description": "translations: {language tag: text}",
        "maxProperties": MAX_LANGUAGES,
        "additionalProperties": _text(max_len),
    }


def _when(description: str) -> Schema:
    return {
        "type": "string",
        "pattern": DATETIME,
        "maxLength": 40,
        "description": description,
        "examples": ["2026-12-17T18:00:00-05:00", "2026-12-17T18:00"],
    }


def _object(properties: Schema, required: tuple[str, ...] = (), **extra: Any) -> Schema:
    doc: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        doc["required"] = list(required)
    return doc | extra


TEXTS: Schema = {
    "name": _text(NAME_MAX, minLength=NAME_MIN),
    "nameMap": _map(NAME_MAX),
    "content": _text(CONTENT_MAX, description="Markdown"),
    "contentMap": _map(CONTENT_MAX),
    "languages": {
        "type": "array",
        "maxItems": MAX_LANGUAGES,
        "items": {"type": "string", "maxLength": 35},
        "description": "BCP 47 tags; the first is the language of name and content",
    },
    "tags": {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": 65}},
    "image": ref("Image"),
}
IMAGE = _object(
    {
        "url": _url(),
        "mediaType": {"type": "string", "enum": sorted(set(IMAGE_TYPES.values()))},
        "name": _text(ALT_MAX, description="alt text: describe the image"),
    },
    ("url", "name"),
)
_ADDRESS_KEYS = (
    "streetAddress",
    "postalCode",
    "addressLocality",
    "addressRegion",
    "addressCountry",
)
ADDRESS = _object({key: _text() for key in _ADDRESS_KEYS})
LOCATION = _object(
    {
        "name": _text(),
        "address": ref("PostalAddress"),
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "url": _url(),
    },
    description="a place (name and/or address), an online url, or both (hybrid)",
)
LINK = _object({"name": _text(), "url": _url()}, ("url",))
RECURRENCE = _object(
    {
        "frequency": {"type": "string", "enum": ["weekly", "monthly"]},
        "interval": {"type": "integer", "minimum": 1, "maximum": 52},
        "byDay": {
            "anyOf": [
                {"type": "string", "maxLength": 40, "examples": ["3TH", "TU,TH"]},
                {"type": "array", "maxItems": 7, "items": {"type": "string", "maxLength": 4}},
            ]
        },
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_OCCURRENCES},
        "until": {"type": "string", "maxLength": 40},
    },
    ("frequency",),
    description="give count or until",
)
ACCESSIBILITY = {
    "anyOf": [
        _text(500),
        _object(
            {
                "captioning": {"type": "boolean"},
                "signLanguage": {"type": "boolean"},
                "interpretation": TEXTS["languages"],
                "wheelchair": {"type": "string", "enum": ["no", "partially", "fully"]},
                "notes": _text(500),
            }
        ),
    ]
}
EVENT_INPUT = _object(
    TEXTS
    | {
        "summary": _text(SUMMARY_MAX, description="plain text; generated when absent"),
        "summaryMap": _map(SUMMARY_MAX),
        "startTime": _when("RFC 3339, or a wall time in timezone"),
        "endTime": _when("after startTime, within 90 days"),
        "timezone": _text(64, examples=["America/New_York"]),
        "location": ref("Location"),
        "joinMode": {
            "type": "string",
            "enum": ["free", "restricted", "external", "invite", "none"],
        },
        "externalParticipationUrl": _url(),
        "maximumAttendeeCapacity": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "category": {"type": "string", "enum": sorted(CATEGORIES)},
        "accessibility": ACCESSIBILITY,
        "status": {"type": "string", "enum": list(_STATUSES)},
        "parent": {**_url(), "description": "the conference (an event of yours) of a session"},
        "track": _text(100),
        "speakers": {"type": "array", "maxItems": MAX_SPEAKERS, "items": ref("Link")},
        "room": {"anyOf": [_url(), ref("Link")]},
        "recurrence": ref("Recurrence"),
    },
    ("name", "startTime", "endTime"),
)
CALL_INPUT = _object(
    TEXTS
    | {
        "purpose": {"type": "string", "enum": ["offer", "request"]},
        "action": {"type": "string", "enum": sorted(VF_ACTIONS)},
        "resource": _text(300, minLength=1),
        "resourceConformsTo": _url(),
        "quantity": {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000},
                _object(
                    {
                        "value": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
                        "unit": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,39}$"},
                    }
                ),
            ]
        },
        "location": ref("Location"),
        "region": _text(),
        "deadline": {"type": "string", "maxLength": 40, "examples": ["2027-01-15"]},
        "timezone": _text(64),
    },
    ("name", "purpose", "resource"),
)
NEWS_INPUT = _object(
    TEXTS
    | {
        "summary": _text(SUMMARY_MAX),
        "summaryMap": _map(SUMMARY_MAX),
        "kind": {"type": "string", "enum": ["story", "case-study", "tool", "announcement"]},
    },
    ("name", "content"),
)
PROFILE_INPUT = _object(
    {
        "name": _text(200, minLength=1),
        "description": _text(5000, description="Markdown; the actor's summary is its HTML"),
        "icon": ref("Image"),
        "image": ref("Image"),
        "website": _url(),
        "fields": {
            "type": "array",
            "maxItems": MAX_FIELDS,
            "items": _object({"name": _text(255), "value": _text(2000)}, ("name", "value")),
        },
        "region": _text(),
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "essglobal": _object(
            {
                s.name: {"type": "array", "maxItems": 20, "items": _url()}
                for s in essglobal.schemes()
            },
            description="ESSGlobal concept IRIs under http://purl.org/essglobal/standard/",
        ),
    }
)


def merge_patch(schema: Schema) -> Schema:
    """The JSON Merge Patch of an input schema: nothing required, ``null`` removes a field."""
    patch = copy.deepcopy(schema)
    patch.pop("required", None)
    patch["properties"] = {
        key: {"anyOf": [value, {"type": "null"}]} for key, value in patch["properties"].items()
    }
    patch["description"] = "JSON Merge Patch (RFC 7396) of source: null removes a field"
    return patch


STAMP: Schema = {"type": "string", "format": "date-time"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
ITEM = {
    "type": "object",
    "required": ["id", "uid", "url", "api", "published", "updated", "source", "activitypub"],
    "properties": {
        "id": {"type": "string", "description": "the ActivityPub id"},
        "uid": {"type": "string"},
        "url": {"type": "string", "description": "the HTML page"},
        "api": {"type": "string", "description": "where to GET, PATCH or DELETE it"},
        "published": STAMP,
        "updated": STAMP,
        "source": {"type": "object", "description": "the input as given (what PATCH edits)"},
        "activitypub": {"type": "object", "description": "the ActivityStreams object served"},
        "participantCount": {"type": "integer", "minimum": 0},
        "series": NULLABLE_TEXT,
        "statusNote": {**NULLABLE_TEXT, "description": "the reply Note sent with this edit"},
    },
}
SERIES = {
    "type": "object",
    "required": ["uid", "api", "created", "updated", "publishedCount", "source", "occurrences"],
    "properties": {
        "uid": {"type": "string"},
        "api": {"type": "string"},
        "created": STAMP,
        "updated": STAMP,
        "publishedCount": {"type": "integer", "minimum": 0},
        "source": {"type": "object"},
        "id": {"type": "string", "description": "(on creation) the first date's id"},
        "url": {"type": "string", "description": "(on creation) the first date's page"},
        "occurrences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "uid", "url", "index", "startTime", "endTime", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "uid": {"type": "string"},
                    "url": {"type": "string"},
                    "index": {"type": "integer", "minimum": 0},
                    "startTime": {"type": "string"},
                    "endTime": {"type": "string"},
                    "status": {"type": "string"},
                },
            },
        },
    },
}
PARTICIPANT = {
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
REPLY = {
    "type": "object",
    "required": ["id", "replyId", "actor", "inReplyTo", "url", "content", "state", "created"],
    "properties": {
        "id": {"type": "integer"},
        "replyId": {"type": "string"},
        "actor": {"type": "string"},
        "inReplyTo": {"type": "string"},
        "url": NULLABLE_TEXT,
        "content": {"type": "string", "description": "sanitized HTML"},
        "state": {"type": "string", "enum": ["pending", "approved", "hidden"]},
        "created": STAMP,
    },
}
PROFILE = {
    "type": "object",
    "required": ["id", "url", "handle", "type", "name", "summary", "essglobalLabels", "updated"],
    "properties": copy.deepcopy(PROFILE_INPUT["properties"])
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
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "field": {"type": "string", "description": "the path of the field at fault"},
    },
}


def listing(item: Schema, **extra: Schema) -> Schema:
    """A page of a list: ``items`` and the URL of the ``next`` page (null on the last)."""
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": {"type": "array", "items": item}, "next": NULLABLE_TEXT} | extra,
    }


SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "Image": IMAGE,
    "PostalAddress": ADDRESS,
    "Location": LOCATION,
    "Link": LINK,
    "Recurrence": RECURRENCE,
    "EventInput": EVENT_INPUT,
    "EventPatch": merge_patch(EVENT_INPUT),
    "CallInput": CALL_INPUT,
    "CallPatch": merge_patch(CALL_INPUT),
    "NewsInput": NEWS_INPUT,
    "NewsPatch": merge_patch(NEWS_INPUT),
    "ProfilePatch": merge_patch(PROFILE_INPUT),
    "Item": ITEM,
    "ItemList": listing(ref("Item")),
    "Series": SERIES,
    "SeriesList": listing(ref("Series")),
    "Participant": PARTICIPANT,
    "ParticipantList": listing(
        ref("Participant"), participantCount={"type": "integer", "minimum": 0}
    ),
    "Reply": REPLY,
    "ReplyList": listing(ref("Reply")),
    "Profile": PROFILE,
    "Activity": {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "examples": ["Create", "Update", "Delete", "Event"]},
            "object": {"description": "the object (Create, Update) or its id (Delete)"},
        },
        "description": "an ActivityStreams activity, or a bare object to create",
    },
}
