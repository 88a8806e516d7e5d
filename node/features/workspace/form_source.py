"""Between the publishing forms and the API's JSON (the ``source`` the service validates).

The forms name their inputs after the API's paths (``name``, ``startTime``,
``location.address.postalCode``, ``room.url``…), so an error's path is the input it belongs to.
A few inputs are friendlier than the JSON: hashtags are one comma-separated line, speakers one
per line (``Name | https://link``), and a repetition is a rule picked from a list
(``recurrence.rule``), turned into ``frequency`` and ``byDay`` from the first date.
Empty inputs are left out: the JSON has no empty strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.content.fields import EventInput
from node.content.fields.types import WEEKDAYS
from node.web.i18n import N_

# The inputs of each form, in the order they are read (and shown).
PLACE = (
    "location.name", "location.address.streetAddress", "location.address.postalCode",
    "location.address.addressLocality", "location.address.addressRegion",
    "location.address.addressCountry", "location.url",
)  # fmt: skip
EVENT = (
    "name", "summary", "content", "startTime", "endTime", "timezone", *PLACE, "category",
    "maximumAttendeeCapacity", "joinMode", "externalParticipationUrl", "tags", "parent", "track",
    "speakers", "room.url", "room.name",
)  # fmt: skip
RECURRENCE = (
    "recurrence.rule", "recurrence.interval", "recurrence.count", "recurrence.until",
    "recurrence.ahead",
)  # fmt: skip
CALL = (
    "name", "purpose", "resource", "content", "quantity.value", "quantity.unit", *PLACE,
    "region", "deadline", "timezone", "tags",
)  # fmt: skip
NEWS = ("name", "kind", "summary", "content", "tags")
INPUTS: dict[str, tuple[str, ...]] = {
    "event": EVENT,
    "series": EVENT + RECURRENCE,
    "call": CALL,
    "news": NEWS,
}


# The top-level API fields each form edits; the others of a stored source (translations, an
# image given through the API) are kept as they are.
def managed(kind: str) -> frozenset[str]:
    """The top-level API fields the form of ``kind`` edits."""
    return frozenset(name.split(".")[0] for name in INPUTS[kind])


# How a series repeats, in words (N_-marked: the form translates them).
RULES = {
    "weekly": N_("Every week, on the same day"),
    "monthly-nth": N_("Every month, on the same weekday (e.g. the third Thursday)"),
    "monthly-last": N_("Every month, on the last such weekday (e.g. the last Friday)"),
    "monthly-day": N_("Every month, on the same day of the month"),
}


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _whole(text: str) -> Any:
    return int(text) if text.isdigit() else text


def _speakers(text: str) -> list[dict[str, str]]:
    speakers = []
    for line in text.splitlines():
        name, _, url = (part.strip() for part in line.partition("|"))
        if name or url:
            speakers.append({"name": name} | ({"url": url} if url else {}))
    return speakers


def _by_day(rule: str, start: str) -> list[str] | None:
    try:
        first = datetime.fromisoformat(start).date()
    except ValueError:
        return None  # the start's own error is reported
    day = WEEKDAYS[first.weekday()]
    if rule == "weekly":
        return [day]
    if rule == "monthly-nth":
        return [f"{(first.day - 1) // 7 + 1}{day}"]
    if rule == "monthly-last":
        return [f"-1{day}"]
    return None


def _recurrence(values: dict[str, str]) -> dict[str, Any]:
    rule = values.get("recurrence.rule", "")
    recurrence: dict[str, Any] = {"frequency": "weekly" if rule == "weekly" else "monthly"}
    if rule not in RULES:
        recurrence["frequency"] = rule  # refused by the validator, with the field named
    by_day = _by_day(rule, values.get("startTime", ""))
    if by_day:
        recurrence["byDay"] = by_day
    for key in ("interval", "count", "until"):
        if values.get(f"recurrence.{key}"):
            recurrence[key] = _whole(values[f"recurrence.{key}"])
    return recurrence


def to_source(kind: str, values: dict[str, str]) -> dict[str, Any]:
    """The API JSON of a posted form (``kind``: event, series, call or news)."""
    source: dict[str, Any] = {}
    for name in INPUTS[kind]:
        text = values.get(name, "")
        if not text or name.startswith("recurrence.") or (name, text) == ("joinMode", "free"):
            continue  # free is the default joining: an event says nothing about it
        if name == "tags":
            tags = [t.strip() for t in text.split(",") if t.strip()]
            if tags:
                source["tags"] = tags
        elif name == "speakers":
            source["speakers"] = _speakers(text)
        elif name in ("maximumAttendeeCapacity", "quantity.value"):
            _put(source, name, _whole(text))
        else:
            _put(source, name, text)
    if kind == "series":
        source["recurrence"] = _recurrence(values)
    return source


def _flatten(prefix: str, value: Any, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, into)
    elif value is not None and not isinstance(value, list):
        into[prefix] = str(value)


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def to_values(kind: str, source: dict[str, Any], inp: Any | None = None) -> dict[str, str]:
    """The form's values for a stored source (to edit it); ``inp``, its validated input,
    gives the times as local wall times in the item's zone."""
    values: dict[str, str] = {}
    _flatten("", {k: v for k, v in source.items() if k in managed(kind)}, values)
    if isinstance(source.get("room"), str):
        values["room.url"] = source["room"]
    values["tags"] = ", ".join(str(t) for t in source.get("tags") or [])
    values["speakers"] = "\n".join(
        " | ".join(filter(None, [s.get("name", ""), s.get("url", "")]))
        for s in source.get("speakers") or []
        if isinstance(s, dict)
    )
    if isinstance(inp, EventInput):
        values["startTime"] = _local(inp.start_time, inp.timezone)
        values["endTime"] = _local(inp.end_time, inp.timezone)
        values["timezone"] = inp.timezone
    deadline = getattr(inp, "deadline", None)
    if isinstance(deadline, datetime):
        values["deadline"] = _local(deadline, str(getattr(inp, "timezone", "UTC")))
    return values


def patch_for(kind: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The JSON Merge Patch from ``old`` to ``new`` over the fields the form edits (a field
    emptied on the form is removed; nested objects lose the parts that were emptied)."""
    return _diff({k: v for k, v in old.items() if k in managed(kind)}, new)


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            inner = _diff(before, value)
            if inner:
                patch[key] = inner
        elif value != before:
            patch[key] = value
    return patch
