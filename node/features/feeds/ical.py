"""iCalendar (RFC 5545) of a list of events: content lines written by :mod:`icstext`.

* UID is the ActivityPub id, so a calendar client keeps one event across feeds and updates.
* DTSTART/DTEND are in the event's IANA zone (the document's ``timezone``), with the VTIMEZONE
  components the ``icalendar`` library derives from the zone database (made once per zone), so
  clients get the right offset on both sides of a DST change.
* SEQUENCE comes from :func:`node.features.feeds.entries._sequences`: the count of ``Update`` activities
  this node sent for the object (for an object from elsewhere, the minutes between ``published``
  and ``updated``). Either only grows when the event is edited, as RFC 5545 §3.8.7.4 wants.
* A series of this node is one VEVENT with an RRULE, and each published date an override of it
  (RECURRENCE-ID), see :mod:`node.features.feeds.series`.
* The online address goes in CONFERENCE (RFC 7986), ``X-SOLNODE-ONLINE-URL``, and the
  description, since many clients show only the latter.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from node.features.feeds import icstext
from node.features.feeds.entries import FeedEntry
from node.features.feeds.series import SeriesMaster
from node.features.networks import clean

PRODID = "-//Solidarity Node//Feeds and calendars//EN"
BLOCKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}

log = logging.getLogger("solnode.feeds")
_UTC_KEYS = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"}


# A tag (its name in group 2) or a comment. The HTML read here was sanitized when it was stored
# (nh3 for remote content, our Markdown renderer for our own), so a tag scan is enough; it is
# ~10x faster than html.parser, which was a fifth of a calendar's cost.
_TAG = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>", re.DOTALL)


def _tag_break(match: re.Match[str]) -> str:
    name = match.group(2)
    return "\n" if name is not None and name.lower() in BLOCKS else ""


def plain_text(value: Any) -> str:
    """HTML as plain text (paragraphs kept as blank lines)."""
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub(_tag_break, value))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _zone(document: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(clean.zone_name(document.get("timezone")) or "UTC")


def _locations(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("location")
    items = raw if isinstance(raw, list) else [raw]
    return [x for x in items if isinstance(x, dict)]


def _place(document: dict[str, Any]) -> dict[str, Any] | None:
    for loc in _locations(document):
        if loc.get("type") != "VirtualLocation":
            return loc
    return None


def online_url(document: dict[str, Any]) -> str | None:
    """The online address: a VirtualLocation, or Mobilizon's ``Website`` link attachment."""
    for loc in _locations(document):
        url = loc.get("url")
        if loc.get("type") == "VirtualLocation" and clean.http_url(url):
            return str(url)
    attachments = document.get("attachment")
    for att in attachments if isinstance(attachments, list) else []:
        if isinstance(att, dict) and att.get("type") == "Link" and att.get("name") == "Website":
            href = att.get("href")
            if clean.http_url(href):
                return str(href)
    return None


def _address(place: dict[str, Any]) -> str:
    parts: list[str] = []
    name = place.get("name")
    if isinstance(name, str) and name.strip():
        parts.append(name.strip())
    address = place.get("address")
    if isinstance(address, dict):
        keys = ("streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry")
        parts += [str(address[k]) for k in keys if address.get(k)]
    elif isinstance(address, str) and address.strip():
        parts.append(address.strip())
    return ", ".join(dict.fromkeys(parts))


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=256)
def _tzid(key: str) -> str:
    return f";TZID={icstext.param(key)}"


def _when(name: str, moment: datetime, zone: ZoneInfo) -> str:
    """DTSTART/DTEND/RECURRENCE-ID: wall-clock time with its TZID, or UTC as ``…Z``."""
    if zone.key in _UTC_KEYS:
        return icstext.fold(f"{name}:{icstext.utc(moment)}")
    return icstext.fold(f"{name}{_tzid(zone.key)}:{icstext.local(moment.astimezone(zone))}")


def vevent(entry: FeedEntry) -> str | None:
    """One VEVENT (None for an event without a start); a date of a series carries the series'
    UID and its RECURRENCE-ID."""
    if entry.start is None:
        return None
    zone = _zone(entry.document)
    lines = [icstext.prop("UID", icstext.text(entry.series_uid or entry.object_id))]
    if entry.series_uid and entry.recurrence_id is not None:
        lines.append(_when("RECURRENCE-ID", entry.recurrence_id, zone))
    end = entry.end if entry.end and entry.end >= entry.start else None
    lines += [
        icstext.prop("SEQUENCE", str(int(entry.sequence))),
        icstext.prop("STATUS", icstext.text(entry.status)),
        _when("DTSTART", entry.start, zone),
        _when("DTEND", end or entry.start + timedelta(hours=1), zone),
        *_describe(entry),
    ]
    return icstext.component("VEVENT", lines)


def series_vevent(master: SeriesMaster) -> str:
    """The VEVENT of a whole series: the first date, the RRULE, deleted dates as EXDATEs; its
    URL is its UID (``/series/{uid}``, which leads to the next date)."""
    zone = ZoneInfo(master.zone)  # validated with the series' template
    lines = [
        icstext.prop("UID", icstext.text(master.uid)),
        icstext.prop("SEQUENCE", str(int(master.sequence))),
        icstext.prop("STATUS", icstext.text(master.status)),
        _when("DTSTART", master.start, zone),
        _when("DTEND", master.end, zone),
        # our own rule (node/content/series.py), checked when the series was made
        icstext.prop("RRULE", icstext.uri(master.rrule)),
    ]
    if master.exdates:
        if zone.key in _UTC_KEYS:
            lines.append(icstext.prop("EXDATE", ",".join(icstext.utc(d) for d in master.exdates)))
        else:
            dates = ",".join(icstext.local(d.astimezone(zone)) for d in master.exdates)
            lines.append(icstext.prop("EXDATE", dates, {"TZID": zone.key}))
    lines += _describe(master.template, url=master.uid)
    return icstext.component("VEVENT", lines)


def _describe(entry: FeedEntry, *, url: str | None = None) -> list[str]:
    """What an event says, apart from its identity and times."""
    doc = entry.document
    url = url or entry.url
    prop, text = icstext.prop, icstext.text
    updated = icstext.utc(entry.updated)
    lines = [
        prop("DTSTAMP", updated),
        prop("CREATED", icstext.utc(entry.published)),
        prop("LAST-MODIFIED", updated),
        prop("SUMMARY", text(entry.title)),
        prop("URL", icstext.uri(url)),
    ]
    description = plain_text(doc.get("content")) or plain_text(doc.get("summary"))
    online = online_url(doc)
    if online:
        description = f"{description}\n\nOnline: {online}".strip()
        lines.append(prop("CONFERENCE", icstext.uri(online), {"VALUE": "URI"}))
        lines.append(prop("X-SOLNODE-ONLINE-URL", icstext.uri(online)))
    description = f"{description}\n\n{url}".strip()
    lines.append(prop("DESCRIPTION", text(description)))
    lines.append(prop("ORGANIZER", icstext.uri(entry.author_url), {"CN": entry.author_name}))
    place = _place(doc)
    if place is not None:
        location = _address(place)
        if location:
            lines.append(prop("LOCATION", text(location)))
        lat, lon = _float(place.get("latitude")), _float(place.get("longitude"))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            lines.append(prop("GEO", f"{lat};{lon}"))
    elif online:
        lines.append(prop("LOCATION", text(online)))
    return lines


@lru_cache(maxsize=256)
def _vtimezone(key: str) -> str:
    """The VTIMEZONE of an IANA zone, derived from the zone database by ``icalendar`` (1970-2038,
    as its ``add_missing_timezones`` does); the same for every calendar, so made once a zone."""
    # lazy: icalendar is ~80 modules (30 MB of a process); only a calendar's first zone needs it
    from icalendar import Timezone

    try:
        return bytes(Timezone.from_tzid(key).to_ical()).decode("utf-8")
    except ValueError:
        return ""


def calendar(
    name: str,
    entries: Iterable[FeedEntry],
    source_url: str,
    series: Iterable[SeriesMaster] = (),
) -> bytes:
    """A VCALENDAR with one VEVENT per entry (and per series), and the VTIMEZONEs they need.
    Each VEVENT is encoded as it is written and the body is one join of bytes: the text is held
    twice at most, never as a list, a string and bytes at once."""
    events: list[bytes] = []
    zones: dict[str, None] = {}
    for master in series:
        events.append(series_vevent(master).encode("utf-8"))
        zones[master.zone] = None
    for entry in entries:
        try:
            event = vevent(entry)
        except Exception:  # one bad remote entry never costs the whole calendar
            log.warning("calendar %s: skipped %s", source_url, entry.object_id, exc_info=True)
            continue
        if event is not None:
            events.append(event.encode("utf-8"))
            zones[_zone(entry.document).key] = None
    head = [
        icstext.prop("PRODID", PRODID),
        icstext.prop("VERSION", "2.0"),
        icstext.prop("CALSCALE", "GREGORIAN"),
        icstext.prop("METHOD", "PUBLISH"),
        icstext.prop("NAME", icstext.text(name)),
        icstext.prop("X-WR-CALNAME", icstext.text(name)),
        icstext.prop("SOURCE", icstext.uri(source_url), {"VALUE": "URI"}),
        icstext.prop(
            "REFRESH-INTERVAL", icstext.duration(timedelta(hours=1)), {"VALUE": "DURATION"}
        ),
        icstext.prop("X-PUBLISHED-TTL", "PT1H"),
        *(_vtimezone(key) for key in zones if key not in _UTC_KEYS),
    ]
    opening = f"BEGIN:VCALENDAR{icstext.CRLF}{''.join(head)}".encode()
    return b"".join([opening, *events, f"END:VCALENDAR{icstext.CRLF}".encode()])


def latest(entries: Iterable[FeedEntry]) -> datetime | None:
    """The newest ``updated`` (for Last-Modified)."""
    return max((e.updated for e in entries), default=None)
