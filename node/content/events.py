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

The place and online link are built in node/content/places.py, a recurring series' dates in
node/content/series.py, the parts every object shares in node/content/objects.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.activitypub.vocab import AS_CONTEXT, PUBLIC, iso
from node.content.envelope import Publication, without_nulls
from node.content.fields import EventInput
from node.content.i18n import language_map
from node.content.markdown import plain_text_to_html, render
from node.content.objects import check_same_host, hashtags, image_attachment, image_object
from node.content.places import event_location, online_link, public_view
from node.content.summary import ParentRef, event_summary_html, status_change_html

__all__ = [
    "EVENT_STATUS",
    "EVENT_TERMS",
    "ICAL_STATUS",
    "SOLNODE_NS",
    "ParentRef",
    "event_context",
    "event_object",
    "rfc3339",
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


def event_context() -> list[Any]:
    """The ``@context`` of an event: ActivityStreams plus our inline terms (a fresh copy)."""
    return [AS_CONTEXT, dict(EVENT_TERMS)]


def rfc3339(moment: datetime, zone: str) -> str:
    """RFC 3339 with the zone's offset at that moment: ``2026-12-17T18:00:00-05:00``."""
    return moment.astimezone(ZoneInfo(zone)).replace(microsecond=0).isoformat()


def _accessibility_values(inp: EventInput) -> list[dict[str, Any]]:
    """Mobilizon's accessibility metadata as ``PropertyValue`` attachments."""
    access = inp.accessibility
    if access is None:
        return []
    values: list[tuple[str, Any]] = []
    if access.captioning:
        values.append((MZ_SUBTITLES, True))
    if access.sign_language:
        values.append((MZ_SIGN_LANGUAGE, True))
    if access.wheelchair is not None:
        values.append((MZ_WHEELCHAIR, access.wheelchair))
    # mediaType only because Gancio reads it on every attachment (see the module docstring).
    return [
        {"type": "PropertyValue", "propertyID": key, "value": value, "mediaType": "text/plain"}
        for key, value in values
    ]


def _attachments(inp: EventInput) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if inp.image is not None:
        items.append(image_attachment(inp.image))
    link = online_link(inp)
    if link is not None:
        items.append(link)
    return items + _accessibility_values(inp)


def _join(inp: EventInput, url: str) -> tuple[str, str | None]:
    if inp.join_mode == "none":
        return "external", url
    return inp.join_mode, inp.external_participation_url


def _texts(inp: EventInput, url: str, parent: ParentRef | None) -> dict[str, Any]:
    """Name, summary and description, each with its per-language map."""
    lang = inp.language
    return {
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
    }


def _when_and_where(inp: EventInput, hybrid_location_list: bool) -> dict[str, Any]:
    """Times with their offsets, the status in both vocabularies, and the location."""
    loc = inp.location
    return {
        "startTime": rfc3339(inp.start_time, inp.timezone),
        "endTime": rfc3339(inp.end_time, inp.timezone),
        "timezone": inp.timezone,
        "eventStatus": EVENT_STATUS[inp.status],
        "status": ICAL_STATUS[inp.status],
        "location": event_location(inp, hybrid_location_list),
        "isOnline": inp.status == "movedOnline" or (loc is not None and loc.is_online_only),
    }


def _participation(inp: EventInput, url: str, participant_count: int) -> dict[str, Any]:
    """How to join, and the capacity left (Mobilizon's terms)."""
    join_mode, participation_url = _join(inp, url)
    capacity = inp.maximum_attendee_capacity
    return {
        "joinMode": join_mode,
        "externalParticipationUrl": participation_url,
        "maximumAttendeeCapacity": capacity,
        "remainingAttendeeCapacity": None
        if capacity is None
        else max(0, capacity - participant_count),
        "participantCount": participant_count,
    }


def _programme(inp: EventInput, parent: ParentRef | None) -> dict[str, Any]:
    """A session's place in its conference: the conference, track, speakers and room."""
    return {
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
    }


def event_object(
    inp: EventInput,
    pub: Publication,
    *,
    parent: ParentRef | None = None,
    participant_count: int = 0,
    hybrid_location_list: bool = False,
) -> dict[str, Any]:
    """The ActivityStreams ``Event`` for a validated event (or session, or one occurrence).

    ``pub`` says where it is published (its ``url`` is where people RSVP),
    ``participant_count`` the accepted participants so far, ``parent`` the conference of a
    session. Pure: everything that varies is passed in.
    """
    url = pub.url
    inp = public_view(inp, url)
    # The parts are merged in this order, which is the key order peers and tests see.
    doc: dict[str, Any] = pub.head(event_context(), "Event")
    doc |= {
        **_texts(inp, url, parent),
        **_when_and_where(inp, hybrid_location_list),
        **_participation(inp, url, participant_count),
        "category": inp.category,
        "inLanguage": inp.language,
        "tag": hashtags(inp.tags, pub.tag_href),
        "image": image_object(inp.image) if inp.image else None,
        # Always a list, even empty: Gancio's Update handler reads attachment.length.
        "attachment": _attachments(inp),
        **_programme(inp, parent),
        **pub.addressing(),
    }
    return without_nulls(doc)


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
    inp = public_view(inp, event_url)
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
