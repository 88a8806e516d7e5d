"""The JSON Schemas of the publishing API's bodies: the inputs of events, calls and news, the
items, series and activities it answers with.

They mirror the validators in node/content/fields (names, bounds, enums) and the views in
node/features/publishing/api_json.py; tests/integration/test_openapi_schemathesis.py holds them to
the running API. The validators remain the authority: they also check what a schema cannot say
(endTime after startTime, a recurrence that starts on one of its days…), answering 422 with the
field. Built by functions, on demand: nothing runs at import time.
"""

from __future__ import annotations

from node.api.openapi_schemas import (
    NULLABLE_TEXT,
    STAMP,
    Schema,
    closed_object,
    listing,
    merge_patch,
    ref,
    text,
    text_map,
    url,
)
from node.content.fields import CATEGORIES, VF_ACTIONS
from node.content.fields.types import (
    CONTENT_MAX,
    MAX_LANGUAGES,
    MAX_OCCURRENCES,
    MAX_SPEAKERS,
    MAX_TAGS,
    NAME_MAX,
    NAME_MIN,
    SUMMARY_MAX,
)

_STATUSES = ("scheduled", "tentative", "cancelled", "postponed", "rescheduled", "movedOnline")
# RFC 3339 with or without an offset (without: a wall time in ``timezone``), years 2000-2099.
DATETIME = (
    r"^20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
    r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?$"
)


def _when(description: str) -> Schema:
    return {
        "type": "string",
        "pattern": DATETIME,
        "maxLength": 40,
        "description": description,
        "examples": ["2026-12-17T18:00:00-05:00", "2026-12-17T18:00"],
    }


def _languages() -> Schema:
    return {
        "type": "array",
        "maxItems": MAX_LANGUAGES,
        "items": {"type": "string", "maxLength": 35},
        "description": "BCP 47 tags; the first is the language of name and content",
    }


def _texts() -> Schema:
    """The fields every kind of item shares."""
    return {
        "name": text(NAME_MAX, minLength=NAME_MIN),
        "nameMap": text_map(NAME_MAX),
        "content": text(CONTENT_MAX, description="Markdown"),
        "contentMap": text_map(CONTENT_MAX),
        "languages": _languages(),
        "tags": {
            "type": "array",
            "maxItems": MAX_TAGS,
            "items": {"type": "string", "maxLength": 65},
        },
        "image": ref("Image"),
    }


def _places() -> dict[str, Schema]:
    """Where: an address, a place, a link (a speaker, a room)."""
    keys = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
    location = closed_object(
        {
            "name": text(),
            "address": ref("PostalAddress"),
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "url": url(),
        },
        description="a place (name and/or address), an online url, or both (hybrid)",
    )
    return {
        "PostalAddress": closed_object({key: text() for key in keys}),
        "Location": location,
        "Link": closed_object({"name": text(), "url": url()}, ("url",)),
    }


def _recurrence() -> Schema:
    by_day = [
        {"type": "string", "maxLength": 40, "examples": ["3TH", "TU,TH"]},
        {"type": "array", "maxItems": 7, "items": {"type": "string", "maxLength": 4}},
    ]
    return closed_object(
        {
            "frequency": {"type": "string", "enum": ["weekly", "monthly"]},
            "interval": {"type": "integer", "minimum": 1, "maximum": 52},
            "byDay": {"anyOf": by_day},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_OCCURRENCES},
            "until": {"type": "string", "maxLength": 40},
        },
        ("frequency",),
        description="give count or until",
    )


def _accessibility() -> Schema:
    details = closed_object(
        {
            "captioning": {"type": "boolean"},
            "signLanguage": {"type": "boolean"},
            "interpretation": _languages(),
            "wheelchair": {"type": "string", "enum": ["no", "partially", "fully"]},
            "notes": text(500),
        }
    )
    return {"anyOf": [text(500), details]}


def event_input() -> Schema:
    """The body that publishes an event."""
    return closed_object(
        _texts()
        | {
            "summary": text(SUMMARY_MAX, description="plain text; generated when absent"),
            "summaryMap": text_map(SUMMARY_MAX),
            "startTime": _when("RFC 3339, or a wall time in timezone"),
            "endTime": _when("after startTime, within 90 days"),
            "timezone": text(64, examples=["America/New_York"]),
            "location": ref("Location"),
            "joinMode": {
                "type": "string",
                "enum": ["free", "restricted", "external", "invite", "none"],
            },
            "externalParticipationUrl": url(),
            "maximumAttendeeCapacity": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            "category": {"type": "string", "enum": sorted(CATEGORIES)},
            "accessibility": _accessibility(),
            "status": {"type": "string", "enum": list(_STATUSES)},
            "parent": {**url(), "description": "the conference (an event of yours) of a session"},
            "track": text(100),
            "speakers": {"type": "array", "maxItems": MAX_SPEAKERS, "items": ref("Link")},
            "room": {"anyOf": [url(), ref("Link")]},
            "recurrence": ref("Recurrence"),
        },
        ("name", "startTime", "endTime"),
    )


def call_input() -> Schema:
    """The body that publishes a call for collaboration."""
    quantity = closed_object(
        {
            "value": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
            "unit": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{0,39}$"},
        }
    )
    return closed_object(
        _texts()
        | {
            "purpose": {"type": "string", "enum": ["offer", "request"]},
            "action": {"type": "string", "enum": sorted(VF_ACTIONS)},
            "resource": text(300, minLength=1),
            "resourceConformsTo": url(),
            "quantity": {
                "anyOf": [
                    {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000},
                    quantity,
                ]
            },
            "location": ref("Location"),
            "region": text(),
            "deadline": {"type": "string", "maxLength": 40, "examples": ["2027-01-15"]},
            "timezone": text(64),
        },
        ("name", "purpose", "resource"),
    )


def news_input() -> Schema:
    """The body that publishes a news item."""
    return closed_object(
        _texts()
        | {
            "summary": text(SUMMARY_MAX),
            "summaryMap": text_map(SUMMARY_MAX),
            "kind": {"type": "string", "enum": ["story", "case-study", "tool", "announcement"]},
        },
        ("name", "content"),
    )


def item() -> Schema:
    """An item as the API answers it."""
    return {
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


def series() -> Schema:
    """A series as the API answers it, with its dates."""
    occurrence = {
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
    }
    return {
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
            "occurrences": {"type": "array", "items": occurrence},
        },
    }


def item_schemas() -> dict[str, Schema]:
    """The component schemas of the items API, in the document's order."""
    event, call, news = event_input(), call_input(), news_input()
    return _places() | {
        "Recurrence": _recurrence(),
        "EventInput": event,
        "EventPatch": merge_patch(event),
        "CallInput": call,
        "CallPatch": merge_patch(call),
        "NewsInput": news,
        "NewsPatch": merge_patch(news),
        "Item": item(),
        "ItemList": listing(ref("Item")),
        "Series": series(),
        "SeriesList": listing(ref("Series")),
    }


def activity() -> Schema:
    """What the C2S outbox takes."""
    return {
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "examples": ["Create", "Update", "Delete", "Event"]},
            "object": {"description": "the object (Create, Update) or its id (Delete)"},
        },
        "description": "an ActivityStreams activity, or a bare object to create",
    }
