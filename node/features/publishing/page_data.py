"""What the item pages show, gathered from the database into plain values for the templates:
the language, the event's facts, its programme, its other dates, cards for lists
(the replies are node/features/publishing/replies.py)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.content.calls import quantity_text
from node.content.fields import EventInput, FieldError, validate_call, validate_event
from node.content.i18n import localized, normalize_language_tag, pick_language
from node.content.markdown import render, to_plain_text, truncate
from node.content.summary import accessibility_text, recurrence_text
from node.db import as_utc, now_utc
from node.models import Item
from node.web import i18n, messages
from node.web.messages import UI_LANGUAGES


@dataclass(frozen=True)
class Language:
    """The page's language: ``content`` for the item's text, ``ui`` for the words around it,
    ``available`` for the switcher."""

    content: str
    ui: str
    available: tuple[str, ...]


def choose_language(asked: str | None, accept: str, available: tuple[str, ...]) -> Language:
    """``?lang=`` when it is one of ``available``, else the best match for Accept-Language."""
    candidates = available or UI_LANGUAGES
    default = candidates[0]
    wanted = normalize_language_tag(asked) if asked else None
    if wanted is not None and wanted.lower() in (c.lower() for c in candidates):
        chosen = next(c for c in candidates if c.lower() == wanted.lower())
    else:
        chosen = pick_language(accept, candidates, default)
    # The words around the content follow the reader (what they asked for, else their
    # browser), even when the content exists only in another language.
    if wanted is not None:
        ui = messages.ui_language(wanted)
    else:
        ui = i18n.negotiate(accept) if accept else messages.ui_language(chosen)
    return Language(chosen, ui, candidates)


def switcher(lang: Language, url: str) -> list[dict[str, Any]]:
    """Links of the language switcher (empty when there is only one language)."""
    if len(lang.available) < 2:
        return []
    # ``url`` may carry a query already (``/@nec/events?past=1``): it once became ``?past=1?lang=es``.
    sep = "&" if "?" in url else "?"
    return [
        {
            "tag": tag,
            "name": messages.native_name(tag),
            "href": f"{url}{sep}lang={tag}",
            "current": tag == lang.content,
        }
        for tag in lang.available
    ]


def text_of(doc: dict[str, Any], key: str, lang: str) -> str:
    """A text of a stored document in ``lang`` (``nameMap``…), else the default text."""
    value = doc.get(f"{key}Map")
    if isinstance(value, dict) and isinstance(value.get(lang), str):
        return str(value[lang])
    return str(doc.get(key) or "")


def lang_of(doc: dict[str, Any], key: str, lang: str) -> str | None:
    """The language ``text_of`` gives for that key: ``lang`` when translated, else the
    document's own language (None when unknown)."""
    value = doc.get(f"{key}Map")
    if isinstance(value, dict) and isinstance(value.get(lang), str):
        return lang
    own = doc.get("inLanguage")
    if isinstance(own, str):
        return own
    return next(iter(value), None) if isinstance(value, dict) and value else None


def _shown_in(default: str | None, translations: Mapping[str, str], lang: str) -> str | None:
    return lang if lang in translations or lang == default else default


def event_input(item: Item) -> EventInput | None:
    """The stored source, validated again (None if it no longer validates)."""
    try:
        return validate_event(item.source)
    except FieldError:
        return None


def _source_text(source: dict[str, Any], key: str, lang: str) -> str:
    """A Markdown or plain text field of the author's source, in ``lang`` if translated."""
    translations = source.get(f"{key}Map")
    if isinstance(translations, dict) and isinstance(translations.get(lang), str):
        return str(translations[lang])
    value = source.get(key)
    return value if isinstance(value, str) else ""


def _line(markdown: str, limit: int = 220) -> str:
    return truncate(" ".join(to_plain_text(render(markdown)).split()), limit) if markdown else ""


def card(item: Item, lang: str, sessions: int = 0) -> dict[str, Any]:
    """An item in a list: title, date, place and a line of the author's text (not the generated
    summary, which repeats what the card shows already); a conference says how many sessions
    it has (they are not listed separately)."""
    doc, source = item.document, item.source
    t = messages.translator(lang)
    text = _source_text(source, "summary", lang) if item.kind == "news" else ""
    view: dict[str, Any] = {
        "kind": item.kind,
        "url": str(doc.get("url", item.ap_id)),
        "title": text_of(doc, "name", lang) or _line(str(doc.get("content", "")), 80),
        "text": _line(text or _source_text(source, "content", lang)),
        "published": as_utc(item.published),
        "status": None,
        "image": doc.get("image") if isinstance(doc.get("image"), dict) else None,
        "sessions": f"{sessions} session{'s' if sessions != 1 else ''}" if sessions else None,
    }
    if item.kind == "note":
        view["text"] = _line(to_plain_text(str(doc.get("content", ""))))
    if item.kind == "event" and item.start_time is not None and item.end_time is not None:
        zone = str(doc.get("timezone", "UTC"))
        view["when"] = messages.when(as_utc(item.start_time), as_utc(item.end_time), zone, lang)
        view["start"] = doc.get("startTime")
        status = source.get("status", "scheduled")
        view["status"] = t.get(f"status_{status}") if status != "scheduled" else None
        location = doc.get("location")
        view["place"] = location.get("name") if isinstance(location, dict) else None
    if item.kind == "call" and item.end_time is not None:
        deadline = as_utc(item.end_time)
        local = deadline.astimezone(ZoneInfo(str(source.get("timezone") or "UTC")))
        view["deadline"] = messages.day(local, lang)
        view["closed"] = deadline < now_utc()
    return view


def _start(item: Item) -> datetime:
    assert item.start_time is not None
    return as_utc(item.start_time)


def _end(item: Item) -> datetime:
    assert item.end_time is not None
    return as_utc(item.end_time)


def programme(sessions: list[Item], zone: str, lang: str) -> list[dict[str, Any]]:
    """Sessions by day (in the conference's zone), then by track, in time order."""
    t = messages.translator(lang)
    tz = ZoneInfo(zone)
    timed = sorted((s for s in sessions if s.start_time and s.end_time), key=_start)
    days = []
    for local_day, group in itertools.groupby(timed, key=lambda s: _start(s).astimezone(tz).date()):
        rows = list(group)
        tracks: dict[str, list[dict[str, Any]]] = {}
        for session in rows:
            track = str(session.source.get("track") or t["general"])
            tracks.setdefault(track, []).append(_session_row(session, zone, lang))
        days.append(
            {
                "date": local_day.isoformat(),
                "label": messages.day(_start(rows[0]).astimezone(tz), lang),
                "tracks": [{"name": name, "sessions": items} for name, items in tracks.items()],
            }
        )
    return days


def _session_row(session: Item, zone: str, lang: str) -> dict[str, Any]:
    doc = session.document
    speakers = doc.get("speakers") or []
    return {
        "url": str(doc.get("url", session.ap_id)),
        "title": text_of(doc, "name", lang),
        "time": messages.time_range(_start(session), _end(session), zone),
        "start": doc.get("startTime"),
        "speakers": ", ".join(str(s.get("name", "")) for s in speakers if isinstance(s, dict)),
        "status": session.source.get("status", "scheduled"),
    }


def facts(inp: EventInput, lang: str) -> dict[str, Any]:
    """The event's when, where, how to join, accessibility, in the page's language."""
    loc = inp.location
    place = loc.place if loc is not None and inp.status != "movedOnline" else None
    address_lines: list[str] = []
    if place is not None and place.address is not None:
        a = place.address
        address_lines = [
            line
            for line in (
                a.street_address,
                " ".join(p for p in (a.postal_code, a.address_locality) if p),
                ", ".join(p for p in (a.address_region, a.address_country) if p),
            )
            if line
        ]
    map_url = None
    if place is not None and place.latitude is not None and place.longitude is not None:
        lat, lon = place.latitude, place.longitude
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    return {
        "when": messages.when(inp.start_time, inp.end_time, inp.timezone, lang),
        "start": inp.start_time,
        "end": inp.end_time,
        "timezone": inp.timezone,
        "place_name": place.name if place is not None else None,
        "address": address_lines,
        "map_url": map_url,
        "online_url": loc.online_url if loc is not None else None,
        "repeats": recurrence_text(inp.recurrence, inp.timezone) if inp.recurrence else None,
        "accessibility": accessibility_text(inp.accessibility) if inp.accessibility else None,
        "status": inp.status,
        "title": localized(inp.language, inp.name, inp.name_map, lang),
        "title_lang": _shown_in(inp.language, inp.name_map, lang),
        "content_html": render(localized(inp.language, inp.content, inp.content_map, lang)),
        "content_lang": _shown_in(inp.language, inp.content_map, lang),
        "speakers": [{"name": s.name, "url": s.url} for s in inp.speakers],
        "room": {"url": inp.room.url, "name": inp.room.name or inp.room.url} if inp.room else None,
        "track": inp.track,
    }


def call_facts(item: Item, lang: str) -> dict[str, Any] | None:
    """A call's offer or need, amount, where and until when; its description as HTML."""
    try:
        inp = validate_call(item.source)
    except FieldError:
        return None
    place = inp.location.place if inp.location is not None else None
    where = [p for p in (place.name if place else None, inp.region) if p]
    return {
        "purpose": inp.purpose,
        "resource": inp.resource,
        "quantity": quantity_text(inp.quantity) if inp.quantity else "",
        "where": ", ".join(where),
        "online_url": inp.location.online_url if inp.location is not None else None,
        "deadline": messages.day(inp.deadline.astimezone(ZoneInfo(inp.timezone)), lang)
        if inp.deadline
        else None,
        "closed": inp.deadline is not None and inp.deadline < now_utc(),
        "content_html": render(localized(inp.language, inp.content, inp.content_map, lang)),
        "content_lang": _shown_in(inp.language, inp.content_map, lang),
    }


def upcoming_first(items: list[Item], now: datetime) -> list[Item]:
    """Dates of a series: those not over first, in date order."""
    return sorted(items, key=lambda i: (as_utc(i.end_time or now) < now, i.series_index or 0))
