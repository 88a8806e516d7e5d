"""iCalendar (RFC 5545) of a list of events, written with the ``icalendar`` library.

* UID is the ActivityPub id, so a calendar client keeps one event across feeds and updates.
* DTSTART/DTEND are in the event's IANA zone (the document's ``timezone``), with the VTIMEZONE
  components icalendar derives from the zone database (``add_missing_timezones``), so clients get
  the right offset on both sides of a DST change.
* SEQUENCE comes from :func:`node.features.feeds.entries._sequences`: the count of ``Update`` activities
  this node sent for the object (for an object from elsewhere, the minutes between ``published``
  and ``updated``). Either only grows when the event is edited, as RFC 5545 §3.8.7.4 wants.
* A series of this node is one VEVENT with an RRULE, and each published date an override of it
  (RECURRENCE-ID), see :mod:`node.features.feeds.series`.
* The online address goes in CONFERENCE (RFC 7986), ``X-SOLNODE-ONLINE-URL``, and the
  description, since many clients show only the latter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vGeo, vRecur, vUri

from node.features.feeds.entries import FeedEntry
from node.features.feeds.series import SeriesMaster
from node.features.networks import clean

PRODID = "-//Solidarity Node//Feeds and calendars//EN"
BLOCKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}

log = logging.getLogger("solnode.feeds")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: Any) -> str:
    """HTML as plain text (paragraphs kept as blank lines)."""
    if not isinstance(value, str):
        return ""
    parser = _Text()
    parser.feed(value)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
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


def vevent(entry: FeedEntry) -> Event | None:
    """One VEVENT (None for an event without a start); a date of a series carries the series'
    UID and its RECURRENCE-ID."""
    if entry.start is None:
        return None
    zone = _zone(entry.document)
    event = _describe(entry, zone)
    event.add("uid", entry.series_uid or entry.object_id)
    if entry.series_uid and entry.recurrence_id is not None:
        event.add("recurrence-id", entry.recurrence_id.astimezone(zone))
    event.add("sequence", entry.sequence)
    event.add("status", entry.status)
    start = entry.start.astimezone(zone)
    event.add("dtstart", start)
    end = entry.end.astimezone(zone) if entry.end and entry.end >= entry.start else None
    event.add("dtend", end or start + timedelta(hours=1))
    return event


def series_vevent(master: SeriesMaster) -> Event:
    """The VEVENT of a whole series: the first date, the RRULE, deleted dates as EXDATEs; its
    URL is its UID (``/series/{uid}``, which leads to the next date)."""
    zone = ZoneInfo(master.zone)  # validated with the series' template
    event = _describe(master.template, zone, url=master.uid)
    event.add("uid", master.uid)
    event.add("sequence", master.sequence)
    event.add("status", master.status)
    event.add("dtstart", master.start.astimezone(zone))
    event.add("dtend", master.end.astimezone(zone))
    event.add("rrule", vRecur.from_ical(master.rrule))
    if master.exdates:
        event.add("exdate", [d.astimezone(zone) for d in master.exdates])
    return event


def _describe(entry: FeedEntry, zone: ZoneInfo, *, url: str | None = None) -> Event:
    """What an event says, apart from its identity and times."""
    doc = entry.document
    url = url or entry.url
    event = Event()
    event.add("dtstamp", entry.updated.astimezone(UTC))
    event.add("created", entry.published.astimezone(UTC))
    event.add("last-modified", entry.updated.astimezone(UTC))
    event.add("summary", entry.title)
    event.add("url", vUri(url))
    description = plain_text(doc.get("content")) or plain_text(doc.get("summary"))
    online = online_url(doc)
    if online:
        description = f"{description}\n\nOnline: {online}".strip()
        event.add("conference", vUri(online), parameters={"VALUE": "URI"})
        event.add("x-solnode-online-url", vUri(online))
    description = f"{description}\n\n{url}".strip()
    event.add("description", description)
    event.add("organizer", vUri(entry.author_url), parameters={"CN": entry.author_name})
    place = _place(doc)
    if place is not None:
        location = _address(place)
        if location:
            event.add("location", location)
        lat, lon = _float(place.get("latitude")), _float(place.get("longitude"))
        if lat is not None and lon is not None:
            event.add("geo", vGeo((lat, lon)))
    elif online:
        event.add("location", online)
    return event


def calendar(
    name: str,
    entries: Iterable[FeedEntry],
    source_url: str,
    series: Iterable[SeriesMaster] = (),
) -> bytes:
    """A VCALENDAR with one VEVENT per entry (and per series), and the VTIMEZONEs they need."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("source", vUri(source_url))
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for master in series:
        cal.add_component(series_vevent(master))
    for entry in entries:
        try:
            event = vevent(entry)
        except Exception:  # one bad remote entry never costs the whole calendar
            log.warning("calendar %s: skipped %s", source_url, entry.object_id, exc_info=True)
            continue
        if event is not None:
            cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def latest(entries: Iterable[FeedEntry]) -> datetime | None:
    """The newest ``updated`` (for Last-Modified)."""
    return max((e.updated for e in entries), default=None)
