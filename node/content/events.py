"""Events as ActivityStreams: an FEP-8a8e ``Event`` with Mobilizon's key names.

Mobilizon and Gancio read keys by name, not by JSON-LD meaning, so the names are theirs
(interop.md, "Events across software"). Every extension term is defined in an inline ``@context``
object; the only context URL is ActivityStreams (Mastodon fetches unknown context URLs and drops
signed activities when that fails). Defining every term also keeps it inside the RsaSignature2017
hash: an undefined term expands to a blank-node predicate (the AS context sets ``@vocab: _:``),
which URDNA2015 drops, so a relay could change it unnoticed.

Where the peers disagree, the shape below follows what their code does (read from Mobilizon
5.1.3 and Gancio 1.21 sources):

* ``location`` is one object. FEP-8a8e allows a list for hybrid events, but Mobilizon's
  ``get_address/1`` has no clause for a list and the whole event fails to import; so a hybrid
  event's ``location`` is its ``Place`` (``hybrid_location_list=True`` gives the FEP form), and the
  online link travels as Mobilizon's ``Link`` attachment named ``Website``, which is the only
  place Mobilizon reads an online address from.
* Every ``Place`` has a ``name`` and every ``VirtualLocation`` too (``Online``): Gancio refuses an
  event whose place has no name, and treats a place named "online" as its online place.
* Every attachment has a ``mediaType``: Gancio runs ``a.mediaType.includes('image')`` over them.
  The image comes first (Gancio takes the first attachment's name as the image name, Mastodon shows
  up to four attachments with a ``url`` as media, their ``name`` as the alt text). Its type is
  ``Document``: Mobilizon before 5.1 takes only ``Document`` as the banner.
* ``joinMode`` is one of Mobilizon's ``free``/``restricted``/``invite``/``external`` (its enum
  refuses anything else, including FEP-8a8e's ``none``). An event that needs no registration is
  published as ``external`` with our event page, which says so, as ``externalParticipationUrl``;
  FEP-8a8e allows ``external`` for "joins are not handled over ActivityPub".
* ``status`` is iCal's CONFIRMED/TENTATIVE/CANCELLED (Mobilizon's enum); ``eventStatus`` carries
  the finer FEP-8a8e value (postponed, rescheduled, moved online).

Sessions of a conference point at the conference with schema.org ``superEvent`` ("an event that
this event is a part of"), defined inline. Not ``partOf`` (ActivityStreams reserves it for
collection pages) and not ``context`` (FEP-7888 and Mastodon use it for conversation threads, which
would make the sessions look like replies). ``speakers`` is schema.org ``performer``. ``track`` and
``room`` have no term in a shared vocabulary and use :data:`SOLNODE_NS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from node.activitypub.vocab import AS_CONTEXT, PUBLIC, iso
from node.content.fields import EventInput, Image, Place, Recurrence, nth_weekday
from node.content.fields.types import MAX_OCCURRENCES, MAX_SERIES_YEARS, WEEKDAYS
from node.content.i18n import language_map
from node.content.markdown import plain_text_to_html, render
from node.content.summary import ParentRef, event_summary_html, status_change_html

__all__ = [
    "EVENT_STATUS",
    "EVENT_TERMS",
    "ICAL_STATUS",
    "SOLNODE_NS",
    "Occurrence",
    "ParentRef",
    "event_context",
    "event_object",
    "expand_series",
    "hashtags",
    "image_attachment",
    "image_object",
    "occurrences",
    "place_object",
    "rfc3339",
    "rrule",
    "status_note",
]

# Our namespace for the two terms no shared vocabulary has. An identifier only: it is never
# fetched (the terms are defined inline), so it need not resolve.
SOLNODE_NS = "https://w3id.org/solidarity-node/ns#"

EVENT_TERMS: dict[str, Any] = {
    # The same prefix IRI Mastodon and Mobilizon use for schema.org (not the canonical one).
    "schema": "http://schema.org#",
    "mz": "https://joinmobilizon.org/ns#",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "fep8a8e": "https://w3id.org/fep/8a8e/",
    "solnode": SOLNODE_NS,
    "Hashtag": "as:Hashtag",
    "PropertyValue": "schema:PropertyValue",
    "propertyID": "schema:propertyID",
    "value": "schema:value",
    "PostalAddress": "schema:PostalAddress",
    "address": "schema:address",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "addressCountry": "schema:addressCountry",
    "VirtualLocation": "schema:VirtualLocation",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "schema:remainingAttendeeCapacity",
    "inLanguage": "schema:inLanguage",
    "category": "schema:category",
    "superEvent": {"@id": "schema:superEvent", "@type": "@id"},
    "speakers": "schema:performer",
    "joinMode": "mz:joinMode",
    "externalParticipationUrl": "mz:externalParticipationUrl",
    "participantCount": "mz:participantCount",
    "isOnline": "mz:isOnline",
    "timezone": "mz:timezone",
    "status": "ical:status",
    "eventStatus": {"@id": "fep8a8e:eventStatus", "@type": "@vocab"},
    "EventScheduled": "fep8a8e:EventScheduled",
    "EventTentative": "fep8a8e:EventTentative",
    "EventCancelled": "fep8a8e:EventCancelled",
    "EventPostponed": "fep8a8e:EventPostponed",
    "EventRescheduled": "fep8a8e:EventRescheduled",
    "EventMovedOnline": "fep8a8e:EventMovedOnline",
    "track": "solnode:track",
    "room": "solnode:room",
}

EVENT_STATUS = {
    "scheduled": "EventScheduled",
    "tentative": "EventTentative",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "rescheduled": "EventRescheduled",
    "movedOnline": "EventMovedOnline",
}
# iCalendar has no "postponed": without a date the event is not confirmed.
ICAL_STATUS = {
    "scheduled": "CONFIRMED",
    "tentative": "TENTATIVE",
    "cancelled": "CANCELLED",
    "postponed": "TENTATIVE",
    "rescheduled": "CONFIRMED",
    "movedOnline": "CONFIRMED",
}
# Mobilizon's accessibility metadata keys (src/services/EventMetadata.ts), as PropertyValue.
MZ_SUBTITLES = "mz:accessibility:live:subtitle"
MZ_SIGN_LANGUAGE = "mz:accessibility:live:sign_language"
MZ_WHEELCHAIR = "mz:accessibility:wheelchairAccessible"
# Mobilizon reads an event's online address only from this attachment (converter/event.ex).
MOBILIZON_ONLINE_NAME = "Website"


def event_context() -> list[Any]:
    """The ``@context`` of an event: ActivityStreams plus our inline terms (a fresh copy)."""
    return [AS_CONTEXT, dict(EVENT_TERMS)]


def rfc3339(moment: datetime, zone: str) -> str:
    """RFC 3339 with the zone's offset at that moment: ``2026-12-17T18:00:00-05:00``."""
    return moment.astimezone(ZoneInfo(zone)).replace(microsecond=0).isoformat()


def check_same_host(ident: str, actor_id: str) -> None:
    """Refuse (ValueError) an object id on another host than its actor: Mastodon rejects it."""
    if urlsplit(ident).netloc.lower() != urlsplit(actor_id).netloc.lower():
        raise ValueError(f"object id {ident!r} is not on the host of {actor_id!r}")


def hashtags(tags: tuple[str, ...], tag_href: Callable[[str], str]) -> list[dict[str, Any]]:
    """``Hashtag`` tags as Mastodon and Mobilizon write them: ``{type, name: "#tag", href}``."""
    return [{"type": "Hashtag", "name": f"#{tag}", "href": tag_href(tag)} for tag in tags]


def image_object(image: Image) -> dict[str, Any]:
    """The ``image`` of an object (FEP-8a8e's flyer; Mobilizon 5.1 takes it as the banner)."""
    return {"type": "Image", "url": image.url, "mediaType": image.media_type, "name": image.name}


def image_attachment(image: Image) -> dict[str, Any]:
    """The image as an attachment: what Mastodon shows as media, with ``name`` as the alt text."""
    return {"type": "Document", "url": image.url, "mediaType": image.media_type, "name": image.name}


def place_object(place: Place) -> dict[str, Any]:
    """A ``Place`` with a schema.org ``PostalAddress``, as Mobilizon writes and reads it."""
    address = place.address
    name = place.name
    if name is None and address is not None:
        # Gancio refuses a place without a name; the first line of the address will do.
        name = address.street_address or address.address_locality or address.address_country
    doc: dict[str, Any] = {"type": "Place", "name": name}
    if address is not None:
        fields = {
            "streetAddress": address.street_address,
            "postalCode": address.postal_code,
            "addressLocality": address.address_locality,
            "addressRegion": address.address_region,
            "addressCountry": address.address_country,
        }
        doc["address"] = {"type": "PostalAddress"} | {k: v for k, v in fields.items() if v}
    if place.latitude is not None and place.longitude is not None:
        # Mobilizon keeps coordinates only when both are floats (is_float/1): 40 would be lost.
        doc["latitude"] = float(place.latitude)
        doc["longitude"] = float(place.longitude)
    return doc


def _virtual_location(url: str, name: str | None) -> dict[str, Any]:
    return {"type": "VirtualLocation", "name": name or "Online", "url": url}


def _location(inp: EventInput, hybrid_as_list: bool) -> Any:
    loc = inp.location
    if loc is None:
        return None
    online = _virtual_location(loc.online_url, loc.online_name) if loc.online_url else None
    if inp.status == "movedOnline" or loc.place is None:
        return online
    place = place_object(loc.place)
    if online is not None and hybrid_as_list:
        return [place, online]
    return place


def _attachments(inp: EventInput) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if inp.image is not None:
        items.append(image_attachment(inp.image))
    if inp.location is not None and inp.location.online_url is not None:
        items.append(
            {
                "type": "Link",
                "name": MOBILIZON_ONLINE_NAME,
                "href": inp.location.online_url,
                "mediaType": "text/html",
            }
        )
    access = inp.accessibility
    if access is not None:
        values: list[tuple[str, Any]] = []
        if access.captioning:
            values.append((MZ_SUBTITLES, True))
        if access.sign_language:
            values.append((MZ_SIGN_LANGUAGE, True))
        if access.wheelchair is not None:
            values.append((MZ_WHEELCHAIR, access.wheelchair))
        # mediaType only because Gancio reads it on every attachment (see the module docstring).
        items += [
            {"type": "PropertyValue", "propertyID": key, "value": value, "mediaType": "text/plain"}
            for key, value in values
        ]
    return items


def _join(inp: EventInput, url: str) -> tuple[str, str | None]:
    if inp.join_mode == "none":
        return "external", url
    return inp.join_mode, inp.external_participation_url


def event_object(
    inp: EventInput,
    *,
    ident: str,
    url: str,
    actor_id: str,
    followers: str,
    published: datetime,
    updated: datetime,
    tag_href: Callable[[str], str],
    parent: ParentRef | None = None,
    participant_count: int = 0,
    hybrid_location_list: bool = False,
) -> dict[str, Any]:
    """The ActivityStreams ``Event`` for a validated event (or session, or one occurrence).

    ``ident`` is the object id (on the actor's host), ``url`` its HTML page (where people RSVP),
    ``tag_href`` gives a hashtag's page, ``participant_count`` the accepted participants so far,
    ``parent`` the conference of a session. Pure: everything that varies is passed in.
    """
    check_same_host(ident, actor_id)
    join_mode, participation_url = _join(inp, url)
    capacity = inp.maximum_attendee_capacity
    lang = inp.language
    loc = inp.location
    doc: dict[str, Any] = {
        "@context": event_context(),
        "id": ident,
        "type": "Event",
        "url": url,
        "attributedTo": actor_id,
        "name": inp.name,
        "nameMap": language_map(lang, inp.name, inp.name_map),
        "summary": event_summary_html(inp, url=url, parent=parent),
        "summaryMap": language_map(
            lang,
            plain_text_to_html(inp.summary) if inp.summary else None,
            {k: plain_text_to_html(v) for k, v in inp.summary_map.items()},
        ),
        # No "content" at all rather than an empty one: Gancio then shows the summary instead.
        "content": render(inp.content) or None,
        "contentMap": language_map(
            lang, render(inp.content) or None, {k: render(v) for k, v in inp.content_map.items()}
        ),
        "startTime": rfc3339(inp.start_time, inp.timezone),
        "endTime": rfc3339(inp.end_time, inp.timezone),
        "timezone": inp.timezone,
        "eventStatus": EVENT_STATUS[inp.status],
        "status": ICAL_STATUS[inp.status],
        "location": _location(inp, hybrid_location_list),
        "isOnline": inp.status == "movedOnline" or (loc is not None and loc.is_online_only),
        "joinMode": join_mode,
        "externalParticipationUrl": participation_url,
        "maximumAttendeeCapacity": capacity,
        "remainingAttendeeCapacity": None
        if capacity is None
        else max(0, capacity - participant_count),
        "participantCount": participant_count,
        "category": inp.category,
        "inLanguage": lang,
        "tag": hashtags(inp.tags, tag_href),
        "image": image_object(inp.image) if inp.image else None,
        # Always a list, even empty: Gancio's Update handler reads attachment.length.
        "attachment": _attachments(inp),
        "superEvent": parent.id if parent else None,
        "track": inp.track,
        "speakers": [
            {"type": "Person", "name": s.name} | ({"url": s.url} if s.url else {})
            for s in inp.speakers
        ]
        or None,
        "room": {"type": "Link", "href": inp.room.url, "name": inp.room.name or inp.room.url}
        if inp.room
        else None,
        "published": iso(published),
        "updated": iso(updated),
        "to": [PUBLIC],
        "cc": [followers],
    }
    return {key: value for key, value in doc.items() if value is not None}


def status_note(
    inp: EventInput,
    *,
    ident: str,
    url: str,
    event_id: str,
    event_url: str,
    actor_id: str,
    followers: str,
    published: datetime,
) -> dict[str, Any]:
    """A public ``Note`` replying to the event, saying its status changed (cancelled, postponed,
    moved online…): older Mastodon ignores ``Update`` of an ``Event``, a reply reaches followers.
    ``url`` is the note's own page, ``event_url`` the event's."""
    check_same_host(ident, actor_id)
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": ident,
        "type": "Note",
        "url": url,
        "attributedTo": actor_id,
        "inReplyTo": event_id,
        "content": status_change_html(inp, url=event_url),
        "published": iso(published),
        "to": [PUBLIC],
        "cc": [followers],
    }
    if inp.language:
        doc["contentMap"] = {inp.language: doc["content"]}
    return doc


# --------------------------------------------------------------------------- recurring series


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One date of a series, in UTC."""

    start: datetime
    end: datetime


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _dates(rule: Recurrence, first: date) -> Iterator[date]:
    """Candidate dates of a series from its first date on, in order (unbounded; callers stop)."""
    if rule.frequency == "weekly":
        weekdays = sorted({d.weekday for d in rule.by_day} or {first.weekday()})
        monday = first - timedelta(days=first.weekday())
        for week in range(0, 53 * MAX_SERIES_YEARS + 1, rule.interval):
            for weekday in weekdays:
                day = monday + timedelta(weeks=week, days=weekday)
                if day >= first:
                    yield day
        return
    for months in range(0, 12 * MAX_SERIES_YEARS + 1, rule.interval):
        year, month = _add_months(first, months)
        if rule.by_day:
            found = {nth_weekday(year, month, d.weekday, d.ordinal or 1) for d in rule.by_day}
            days = sorted(d for d in found if d is not None)
        else:
            # RFC 5545: a month without that day (the 31st) is skipped, not moved.
            try:
                days = [date(year, month, first.day)]
            except ValueError:
                days = []
        yield from (d for d in days if d >= first)


def occurrences(
    rule: Recurrence, start: datetime, end: datetime, zone: str, *, limit: int = MAX_OCCURRENCES
) -> list[Occurrence]:
    """The dates of a series, first one at ``start``, at the same wall-clock time in ``zone``.

    Across a daylight-saving change the local time stays (18:00 stays 18:00, so the UTC time
    moves); a wall time that does not exist that day is taken with the offset before the gap, as
    RFC 5545 says (02:30 becomes 03:30). Each occurrence lasts as long as the first.
    """
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    wall, duration = local.time().replace(tzinfo=None), end - start
    result: list[Occurrence] = []
    maximum = min(limit, rule.count if rule.count is not None else limit)
    for day in _dates(rule, local.date()):
        moment = datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
        if rule.until is not None and moment > rule.until:
            break
        result.append(Occurrence(moment, moment + duration))
        if len(result) >= maximum:
            break
    return result


def expand_series(inp: EventInput, *, limit: int = MAX_OCCURRENCES) -> list[EventInput]:
    """One EventInput per occurrence of a recurring event (the event itself if it has no
    ``recurrence``). Each keeps ``recurrence``, which describes the series it belongs to (the
    summary says "Repeats monthly on the third Thursday…"); builders never expand again."""
    if inp.recurrence is None:
        return [inp]
    return [
        dataclasses.replace(inp, start_time=o.start, end_time=o.end)
        for o in occurrences(
            inp.recurrence, inp.start_time, inp.end_time, inp.timezone, limit=limit
        )
    ]


def rrule(rule: Recurrence) -> str:
    """The rule as an iCalendar RRULE value: ``FREQ=MONTHLY;BYDAY=3TH;COUNT=12``."""
    parts = [f"FREQ={rule.frequency.upper()}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.by_day:
        parts.append("BYDAY=" + ",".join(str(d) for d in rule.by_day))
    if rule.frequency == "weekly":
        parts.append("WKST=" + WEEKDAYS[0])
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    if rule.until is not None:
        parts.append("UNTIL=" + rule.until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)
