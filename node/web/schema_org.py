"""What search engines and link previews read on our pages: schema.org ``Event`` JSON-LD and
Open Graph tags. Pure functions of the validated input and the ids."""

from __future__ import annotations

from typing import Any

from node.content.events import rfc3339
from node.content.fields import EventInput, Place
from node.content.markdown import render, to_plain_text, truncate
from node.content.places import postal_address_fields

SCHEMA = "https://schema.org"
# schema.org's EventStatusType has the same five values FEP-8a8e borrowed.
_STATUS = {
    "scheduled": "EventScheduled",
    "tentative": "EventScheduled",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "rescheduled": "EventRescheduled",
    "movedOnline": "EventMovedOnline",
}
DESCRIPTION_MAX = 300


def _place(place: Place) -> dict[str, Any]:
    doc: dict[str, Any] = {"@type": "Place", "name": place.name}
    address = place.address
    if address is not None:
        doc["address"] = {"@type": "PostalAddress"} | postal_address_fields(address)
        if place.name is None:
            doc["name"] = address.street_address or address.address_locality
    if place.latitude is not None and place.longitude is not None:
        doc["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
    return {k: v for k, v in doc.items() if v is not None}


def _attendance(inp: EventInput) -> tuple[str, Any]:
    loc = inp.location
    online = (
        {"@type": "VirtualLocation", "url": loc.online_url}
        if loc is not None and loc.online_url
        else None
    )
    place = _place(loc.place) if loc is not None and loc.place is not None else None
    if inp.status == "movedOnline" or (online is not None and place is None):
        return "OnlineEventAttendanceMode", online
    if online is not None and place is not None:
        return "MixedEventAttendanceMode", [place, online]
    return "OfflineEventAttendanceMode", place


def description(markdown: str, fallback: str = "") -> str:
    """Plain text of at most 300 characters, for descriptions and previews."""
    text = to_plain_text(render(markdown)) if markdown else fallback
    return truncate(" ".join(text.split()), DESCRIPTION_MAX)


def event_jsonld(
    inp: EventInput,
    *,
    url: str,
    organizer: str,
    organizer_url: str,
    name: str | None = None,
    text: str | None = None,
    parent_url: str | None = None,
) -> dict[str, Any]:
    """A schema.org ``Event`` (the page's JSON-LD); ``name``/``text`` in the page's language."""
    mode, location = _attendance(inp)
    doc: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "Event",
        "name": name or inp.name,
        "url": url,
        "startDate": rfc3339(inp.start_time, inp.timezone),
        "endDate": rfc3339(inp.end_time, inp.timezone),
        "eventStatus": f"{SCHEMA}/{_STATUS[inp.status]}",
        "eventAttendanceMode": f"{SCHEMA}/{mode}",
        "location": location,
        "description": description(text if text is not None else inp.content)
        or (inp.summary or None),
        "organizer": {"@type": "Organization", "name": organizer, "url": organizer_url},
        "inLanguage": inp.language,
        "maximumAttendeeCapacity": inp.maximum_attendee_capacity,
        "superEvent": {"@type": "Event", "url": parent_url} if parent_url else None,
        "performer": [{"@type": "Person", "name": s.name} for s in inp.speakers] or None,
        "keywords": ", ".join(inp.tags) or None,
    }
    if inp.image is not None:
        doc["image"] = [inp.image.url]
    if inp.join_mode == "external" and inp.external_participation_url:
        doc["offers"] = {"@type": "Offer", "url": inp.external_participation_url}
    return {k: v for k, v in doc.items() if v is not None}


def open_graph(
    *,
    title: str,
    url: str,
    text: str,
    kind: str,
    site: str,
    locale: str | None,
    image: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Open Graph ``<meta property content>`` pairs (Mastodon's link previews read them too)."""
    pairs = [
        ("og:type", "article" if kind == "news" else "website"),
        ("og:title", title),
        ("og:url", url),
        ("og:site_name", site),
        ("og:description", truncate(" ".join(text.split()), DESCRIPTION_MAX)),
    ]
    if locale:
        pairs.append(("og:locale", locale.replace("-", "_")))
    if image:
        pairs += [("og:image", image["url"]), ("og:image:alt", image.get("name", ""))]
    return pairs
