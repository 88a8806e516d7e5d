"""ActivityPub client-to-server: an ActivityStreams object read as the JSON API's input.

The API already uses the ActivityStreams key names of what we publish, so an object a C2S client
posts maps onto it closely: the ``type`` chooses the kind (``Event`` → event, ``Article`` →
news, ``Note`` with FEP-0837 ``purpose`` → call for collaboration), the keys we write ourselves
(addressing, ``attributedTo``, counts, ``isOnline``…) are dropped, nested ``type`` keys are
dropped, and the few differing shapes are translated: ``tag`` Hashtags → ``tags``, ``superEvent``
→ ``parent``, ``eventStatus``/iCal ``status`` → ``status``, FEP-0837 ``publishes`` → action,
resource and quantity, ``hasEnd`` → ``deadline``. ``content`` is Markdown in the API: the AS2
``source`` {content, mediaType: text/markdown} is taken when given, otherwise HTML content is
reduced to its text. Anything left that the API does not know is refused by the validators, with
the field named (``object.…``), rather than silently dropped.
"""

from __future__ import annotations

from typing import Any

from node.content.fields import FieldError
from node.content.markdown import to_plain_text

OBJECT_KINDS = {"Event": "event", "Article": "news"}
CALL_TYPES = ("Note", "Proposal")
# Keys the server writes (or that only make sense for our own copy): never input.
_OURS = frozenset(
    {
        "@context", "type", "id", "to", "cc", "bto", "bcc", "audience", "attributedTo", "actor",
        "published", "updated", "url", "mediaType", "sensitive", "signature", "proof",
        "attachment", "isOnline", "participantCount", "remainingAttendeeCapacity", "replies",
        "likes", "shares", "inLanguage", "unitBased",
    }
)  # fmt: skip
_EVENT_STATUS = {
    "EventScheduled": "scheduled",
    "EventTentative": "tentative",
    "EventCancelled": "cancelled",
    "EventPostponed": "postponed",
    "EventRescheduled": "rescheduled",
    "EventMovedOnline": "movedOnline",
}
_ICAL_STATUS = {"CONFIRMED": "scheduled", "TENTATIVE": "tentative", "CANCELLED": "cancelled"}


def kind_of(obj: Any) -> str:
    """The item kind an object's type stands for; FieldError on ``object.type`` otherwise."""
    if not isinstance(obj, dict):
        raise FieldError("", "must be an object with a type (Event, Article, Note)")
    kind = obj.get("type")
    if kind in OBJECT_KINDS:
        return OBJECT_KINDS[str(kind)]
    if kind in CALL_TYPES and ("purpose" in obj or "publishes" in obj):
        return "call"
    raise FieldError(
        "type",
        "must be Event, Article, or a Note with FEP-0837 purpose (a call for collaboration)",
    )


def _untyped(value: Any) -> Any:
    """Drop ``type`` from nested objects (Place, PostalAddress, Image, Link, Person…)."""
    if isinstance(value, dict):
        return {k: _untyped(v) for k, v in value.items() if k != "type"}
    if isinstance(value, list):
        return [_untyped(v) for v in value]
    return value


def _text(value: Any) -> Any:
    return to_plain_text(value) if isinstance(value, str) and "<" in value else value


def _location(value: Any) -> Any:
    if isinstance(value, list):  # FEP-8a8e hybrid: a Place and a VirtualLocation
        merged: dict[str, Any] = {}
        for part in value:
            if isinstance(part, dict):
                url = part.get("url")
                merged |= {k: v for k, v in part.items() if k not in ("type", "url")}
                if part.get("type") == "VirtualLocation" and url:
                    merged["url"] = url
        return _untyped(merged)
    return _untyped(value)


def _tags(value: Any) -> Any:
    if not isinstance(value, list):
        value = [value]
    names = []
    for tag in value:
        if isinstance(tag, dict) and tag.get("type", "Hashtag") == "Hashtag":
            names.append(tag.get("name"))
        elif isinstance(tag, str):
            names.append(tag)
    return names


def _call_intent(data: dict[str, Any], intent: Any) -> None:
    if not isinstance(intent, dict):
        raise FieldError("publishes", "must be an Intent {action, name, resourceQuantity}")
    for key, target in (("action", "action"), ("name", "resource")):
        if key in intent:
            data.setdefault(target, intent[key])
    if "resourceConformsTo" in intent:
        data.setdefault("resourceConformsTo", intent["resourceConformsTo"])
    amount = intent.get("resourceQuantity")
    if isinstance(amount, dict):
        quantity: dict[str, Any] = {"unit": amount.get("hasUnit", "one")}
        if amount.get("hasNumericalValue") is not None:
            quantity["value"] = amount["hasNumericalValue"]
        data.setdefault("quantity", quantity)


def to_source(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The API input (or merge patch, for an Update) an object stands for."""
    data = {k: v for k, v in obj.items() if k not in _OURS}
    given = data.pop("source", None)
    if isinstance(given, dict) and isinstance(given.get("content"), str):
        data["content"] = given["content"]  # the author's Markdown (AS2 "source")
    elif "content" in data:
        data["content"] = _text(data["content"])
    for key in ("contentMap", "summaryMap"):
        if isinstance(data.get(key), dict):
            data[key] = {lang: _text(text) for lang, text in data[key].items()}
    if "summary" in data:
        if kind == "call":
            raise FieldError(
                "summary", "a call (a Note) has no summary; Mastodon hides posts behind it"
            )
        data["summary"] = _text(data["summary"])
    if "tag" in data:
        data["tags"] = _tags(data.pop("tag"))
    for key in ("location", "image", "speakers", "accessibility"):
        if key in data:
            data[key] = _location(data[key]) if key == "location" else _untyped(data[key])
    if "room" in data and isinstance(data["room"], dict):
        room = data["room"]
        data["room"] = {"url": room.get("href", room.get("url")), "name": room.get("name")}
    if "superEvent" in data:
        data["parent"] = data.pop("superEvent")
    status = data.pop("eventStatus", None)
    if kind == "event" and "status" in data and data["status"] in _ICAL_STATUS:
        data["status"] = _ICAL_STATUS[data["status"]]
    if status is not None:
        data["status"] = _EVENT_STATUS.get(status, status)
    if "hasEnd" in data:
        data["deadline"] = data.pop("hasEnd")
    if "publishes" in data:
        _call_intent(data, data.pop("publishes"))
    if "inLanguage" in obj and "languages" not in data and isinstance(obj["inLanguage"], str):
        data["languages"] = [obj["inLanguage"]]
    return data
