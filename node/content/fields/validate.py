"""The three validators (events, calls for collaboration, news) and PATCH merging."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo

from node.content.fields.parse import (
    read_bool,
    read_choice,
    read_image,
    read_int,
    read_languages,
    read_list,
    read_location,
    read_object,
    read_tags,
    read_text,
    read_text_map,
    read_url,
    required_text,
    sub_path,
)
from node.content.fields.times import (
    parse_datetime,
    read_deadline,
    read_recurrence,
    read_zone,
    to_utc,
    zone_for,
)
from node.content.fields.types import (
    CATEGORIES,
    CONTENT_MAX,
    MAX_EVENT_DAYS,
    MAX_SPEAKERS,
    NAME_MAX,
    NAME_MIN,
    SUMMARY_MAX,
    VF_ACTIONS,
    Accessibility,
    CallInput,
    EventInput,
    EventStatus,
    FieldError,
    JoinMode,
    Location,
    NewsInput,
    NewsKind,
    Purpose,
    Quantity,
    Room,
    Speaker,
    Wheelchair,
)

_UNIT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
_MERGE_DEPTH = 16


# --------------------------------------------------------------------------- the validators


_COMMON = frozenset({"name", "nameMap", "content", "contentMap", "tags", "image", "languages"})
EVENT_FIELDS = _COMMON | {
    "summary", "summaryMap", "startTime", "endTime", "timezone", "location", "joinMode",
    "externalParticipationUrl", "maximumAttendeeCapacity", "category", "accessibility", "status",
    "parent", "track", "speakers", "room", "recurrence",
}  # fmt: skip
CALL_FIELDS = _COMMON | {
    "purpose", "action", "resource", "resourceConformsTo", "quantity", "location", "region",
    "deadline", "timezone",
}  # fmt: skip
NEWS_FIELDS = _COMMON | {"summary", "summaryMap", "kind"}


def _texts(data: dict[str, Any], *, content_required: bool = False) -> dict[str, Any]:
    """name, content and their maps, with languages."""
    languages = read_languages(data.get("languages"), "languages")
    default = languages[0] if languages else None
    name = required_text(data.get("name"), "name", min_len=NAME_MIN, max_len=NAME_MAX)
    content = read_text(
        data.get("content"),
        "content",
        required=content_required,
        max_len=CONTENT_MAX,
        multiline=True,
    )
    return {
        "languages": languages,
        "name": name,
        "content": content or "",
        "name_map": read_text_map(
            data.get("nameMap"), "nameMap", default, name, min_len=NAME_MIN, max_len=NAME_MAX
        ),
        "content_map": read_text_map(
            data.get("contentMap"),
            "contentMap",
            default,
            content,
            max_len=CONTENT_MAX,
            multiline=True,
        ),
    }


def _summaries(data: dict[str, Any], languages: tuple[str, ...]) -> dict[str, Any]:
    summary = read_text(data.get("summary"), "summary", max_len=SUMMARY_MAX, multiline=True)
    default = languages[0] if languages else None
    summary_map = read_text_map(
        data.get("summaryMap"), "summaryMap", default, summary, max_len=SUMMARY_MAX, multiline=True
    )
    if summary_map and summary is None:
        raise FieldError(
            "summary", "is required with summaryMap (it is the default language's text)"
        )
    return {"summary": summary, "summary_map": summary_map}


def _accessibility(value: Any, path: str) -> Accessibility | None:
    if value is None:
        return None
    if isinstance(value, str):  # plain notes
        return Accessibility(notes=read_text(value, path, max_len=500, multiline=True))
    keys = frozenset({"captioning", "signLanguage", "interpretation", "wheelchair", "notes"})
    data = read_object(value, path, keys)
    interpretation = read_languages(data.get("interpretation"), sub_path(path, "interpretation"))
    wheelchair = data.get("wheelchair")
    result = Accessibility(
        captioning=False
        if data.get("captioning") is None
        else read_bool(data["captioning"], sub_path(path, "captioning")),
        sign_language=False
        if data.get("signLanguage") is None
        else read_bool(data["signLanguage"], sub_path(path, "signLanguage")),
        interpretation=interpretation,
        wheelchair=None
        if wheelchair is None
        else cast(
            Wheelchair, read_choice(wheelchair, sub_path(path, "wheelchair"), get_args(Wheelchair))
        ),
        notes=read_text(data.get("notes"), sub_path(path, "notes"), max_len=500, multiline=True),
    )
    return None if result == Accessibility() else result


def _speakers(value: Any, path: str) -> tuple[Speaker, ...]:
    speakers = []
    for index, item in enumerate(read_list(value, path, MAX_SPEAKERS)):
        sub = sub_path(path, index)
        data = read_object(item, sub, frozenset({"name", "url"}), "an object with name and url")
        speakers.append(
            Speaker(
                required_text(data.get("name"), sub_path(sub, "name")),
                read_url(data.get("url"), sub_path(sub, "url")),
            )
        )
    return tuple(speakers)


def _room(value: Any, path: str) -> Room | None:
    if value is None:
        return None
    if isinstance(value, str):
        url = read_url(value, path, required=True)
        assert url is not None
        return Room(url)
    data = read_object(
        value, path, frozenset({"name", "url"}), "a URL or an object with name and url"
    )
    url = read_url(data.get("url"), sub_path(path, "url"), required=True)
    assert url is not None
    return Room(url, read_text(data.get("name"), sub_path(path, "name"), max_len=100))


def validate_event(data: Any) -> EventInput:
    """Validate an event (or a session of a conference, or a recurring series) from the API."""
    doc = read_object(data, "", EVENT_FIELDS, "a JSON object")
    texts = _texts(doc)
    summaries = _summaries(doc, texts["languages"])
    start, end, zone = _event_times(doc)
    # The steps run in this order so the first error reported stays the same field.
    location = read_location(doc.get("location"), "location")
    join_mode, external = _join(doc)
    capacity = doc.get("maximumAttendeeCapacity")
    category = _category(doc.get("category"))
    status = _status(doc.get("status"), location)
    return EventInput(
        name=texts["name"],
        start_time=start,
        end_time=end,
        timezone=zone.key,
        content=texts["content"],
        summary=summaries["summary"],
        languages=texts["languages"],
        name_map=texts["name_map"],
        content_map=texts["content_map"],
        summary_map=summaries["summary_map"],
        location=location,
        join_mode=join_mode,
        external_participation_url=external,
        maximum_attendee_capacity=None
        if capacity is None
        else read_int(capacity, "maximumAttendeeCapacity", 1, 1_000_000),
        category=category,
        tags=read_tags(doc.get("tags"), "tags"),
        image=read_image(doc.get("image"), "image"),
        accessibility=_accessibility(doc.get("accessibility"), "accessibility"),
        status=status,
        parent=read_url(doc.get("parent"), "parent"),
        track=read_text(doc.get("track"), "track", max_len=100),
        speakers=_speakers(doc.get("speakers"), "speakers"),
        room=_room(doc.get("room"), "room"),
        recurrence=read_recurrence(doc.get("recurrence"), "recurrence", start, zone),
    )


def _event_times(doc: dict[str, Any]) -> tuple[datetime, datetime, ZoneInfo]:
    """Start and end in UTC, and the event's zone: both required, end after start, not too long."""
    if doc.get("startTime") is None:
        raise FieldError("startTime", "is required")
    if doc.get("endTime") is None:
        raise FieldError("endTime", "is required (FEP-8a8e events always have an end)")
    raw_start = parse_datetime(doc["startTime"], "startTime")
    raw_end = parse_datetime(doc["endTime"], "endTime")
    zone = zone_for(
        doc.get("timezone"), [(raw_start, "startTime"), (raw_end, "endTime")], "timezone"
    )
    start, end = to_utc(raw_start, zone, "startTime"), to_utc(raw_end, zone, "endTime")
    if end <= start:
        raise FieldError("endTime", "must be after startTime")
    if end - start > timedelta(days=MAX_EVENT_DAYS):
        raise FieldError("endTime", f"must be within {MAX_EVENT_DAYS} days of startTime")
    return start, end, zone


def _join(doc: dict[str, Any]) -> tuple[JoinMode, str | None]:
    """``joinMode`` and its ``externalParticipationUrl``, which goes with ``external`` only."""
    join_mode = cast(
        JoinMode, read_choice(doc.get("joinMode"), "joinMode", get_args(JoinMode), "free")
    )
    external = read_url(doc.get("externalParticipationUrl"), "externalParticipationUrl")
    if join_mode == "external" and external is None:
        raise FieldError("externalParticipationUrl", "is required when joinMode is external")
    if join_mode != "external" and external is not None:
        raise FieldError("externalParticipationUrl", "is only used when joinMode is external")
    return join_mode, external


def _category(category: Any) -> str | None:
    """A Mobilizon category name, upper-cased."""
    if category is None:
        return None
    if not isinstance(category, str) or category.strip().upper() not in CATEGORIES:
        raise FieldError("category", "must be one of: " + ", ".join(sorted(CATEGORIES)))
    return category.strip().upper()


def _status(value: Any, location: Location | None) -> EventStatus:
    """The event's status; one that moved online needs an online address."""
    status = cast(EventStatus, read_choice(value, "status", get_args(EventStatus), "scheduled"))
    if status == "movedOnline" and (location is None or location.online_url is None):
        raise FieldError("location.url", "is required when the event moved online")
    return status


def _quantity(value: Any, path: str) -> Quantity | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = {"value": value}
    data = read_object(
        value, path, frozenset({"value", "unit"}), "a number or an object with value and unit"
    )
    amount: Decimal | None = None
    if data.get("value") is not None:
        raw = data["value"]
        if (
            isinstance(raw, bool)
            or not isinstance(raw, int | float | str)
            or (isinstance(raw, str) and len(raw) > 20)
        ):
            raise FieldError(sub_path(path, "value"), "must be a number")
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            raise FieldError(sub_path(path, "value"), "must be a number") from None
        if not amount.is_finite() or not Decimal(0) < amount <= Decimal(10**9):
            raise FieldError(
                sub_path(path, "value"), "must be a number above 0 and at most 1000000000"
            )
        amount = amount.normalize()
    unit = data.get("unit", "one")
    if not isinstance(unit, str) or not _UNIT_RE.match(unit):
        raise FieldError(
            sub_path(path, "unit"), "must be a unit name such as one, hour or kilogram"
        )
    return Quantity(amount, unit)


def validate_call(data: Any, *, now: datetime | None = None) -> CallInput:
    """Validate a call for collaboration. With ``now``, a deadline must lie in the future."""
    if isinstance(data, dict) and "summary" in data:
        # A call is a Note; Mastodon shows a Note's summary as a content warning over the post.
        raise FieldError(
            "summary",
            "calls have no summary: Mastodon would show it as a content warning; "
            "put the text in content",
        )
    doc = read_object(data, "", CALL_FIELDS, "a JSON object")
    texts = _texts(doc)
    purpose = cast(Purpose, read_choice(doc.get("purpose"), "purpose", get_args(Purpose)))
    action = doc.get("action", "transfer")
    if not isinstance(action, str) or action not in VF_ACTIONS:
        raise FieldError("action", "must be a ValueFlows action: " + ", ".join(sorted(VF_ACTIONS)))
    zone = (
        ZoneInfo("UTC") if doc.get("timezone") is None else read_zone(doc["timezone"], "timezone")
    )
    deadline = read_deadline(doc.get("deadline"), "deadline", zone)
    if deadline is not None and now is not None and deadline <= now:
        raise FieldError("deadline", "is in the past")
    location = read_location(doc.get("location"), "location")
    region = read_text(doc.get("region"), "region")
    return CallInput(
        name=texts["name"],
        purpose=purpose,
        action=action,
        resource=required_text(doc.get("resource"), "resource", max_len=300),
        content=texts["content"],
        resource_conforms_to=read_url(doc.get("resourceConformsTo"), "resourceConformsTo"),
        quantity=_quantity(doc.get("quantity"), "quantity"),
        location=location,
        region=region,
        deadline=deadline,
        timezone=zone.key,
        tags=read_tags(doc.get("tags"), "tags"),
        image=read_image(doc.get("image"), "image"),
        languages=texts["languages"],
        name_map=texts["name_map"],
        content_map=texts["content_map"],
    )


def validate_news(data: Any) -> NewsInput:
    """Validate a news item: a story, case study, tool or announcement."""
    doc = read_object(data, "", NEWS_FIELDS, "a JSON object")
    texts = _texts(doc, content_required=True)
    summaries = _summaries(doc, texts["languages"])
    return NewsInput(
        name=texts["name"],
        content=texts["content"],
        kind=cast(
            NewsKind, read_choice(doc.get("kind"), "kind", get_args(NewsKind), "announcement")
        ),
        summary=summaries["summary"],
        image=read_image(doc.get("image"), "image"),
        tags=read_tags(doc.get("tags"), "tags"),
        languages=texts["languages"],
        name_map=texts["name_map"],
        content_map=texts["content_map"],
        summary_map=summaries["summary_map"],
    )


def merge(existing_source: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a PATCH body to a stored source (JSON Merge Patch, RFC 7396): objects merge key by
    key, ``null`` removes a field, anything else replaces it. Returns a new dict; validate it
    next. Raises FieldError if the patch is not an object or is nested absurdly deep."""
    if not isinstance(patch, dict):
        raise FieldError("", "a PATCH body must be a JSON object")
    merged = _merge(existing_source, patch, 0)
    assert isinstance(merged, dict)
    return merged


def _merge(target: Any, patch: Any, depth: int) -> Any:
    if depth > _MERGE_DEPTH:
        raise FieldError("", "the PATCH body is nested too deeply")
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value, depth + 1)
    return result
