"""Where an event or a call takes place: a ``Place`` with a postal address, an online
``VirtualLocation``, and the online link as Mobilizon reads it.

Mobilizon's ``get_address/1`` has no clause for a list of locations, so a hybrid event's
``location`` is its ``Place`` and the online address travels as a ``Link`` attachment named
``Website`` (node/content/events.py, module docstring, explains the peers' rules).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from node.content.fields import EventInput, Place, PostalAddress

__all__ = [
    "MOBILIZON_ONLINE_NAME",
    "PRIVATE_LINK_MODES",
    "event_location",
    "online_link",
    "place_object",
    "postal_address_fields",
    "public_view",
]

# Mobilizon reads an event's online address only from this attachment (converter/event.ex).
MOBILIZON_ONLINE_NAME = "Website"
# Join modes whose online link is for approved participants only, never public.
PRIVATE_LINK_MODES = ("restricted", "invite")


def public_view(inp: EventInput, page_url: str) -> EventInput:
    """The event as everyone may see it. For an approval-only event the online link (and a
    session's online room) is replaced by the event's page, where approved participants find
    it: it appears in no public page, feed, calendar or ActivityStreams object."""
    loc = inp.location
    if inp.join_mode not in PRIVATE_LINK_MODES:
        return inp
    if loc is not None and loc.online_url is not None:
        inp = replace(inp, location=replace(loc, online_url=page_url))
    if inp.room is not None:
        inp = replace(inp, room=replace(inp.room, url=page_url))
    return inp


def postal_address_fields(address: PostalAddress) -> dict[str, str]:
    """The schema.org ``PostalAddress`` fields an address has (empty ones left out); the same
    names in ActivityStreams (Mobilizon) and in our pages' schema.org JSON-LD."""
    fields = {
        "streetAddress": address.street_address,
        "postalCode": address.postal_code,
        "addressLocality": address.address_locality,
        "addressRegion": address.address_region,
        "addressCountry": address.address_country,
    }
    return {key: value for key, value in fields.items() if value}


def place_object(place: Place) -> dict[str, Any]:
    """A ``Place`` with a schema.org ``PostalAddress``, as Mobilizon writes and reads it."""
    address = place.address
    name = place.name
    if name is None and address is not None:
        # Gancio refuses a place without a name; the first line of the address will do.
        name = address.street_address or address.address_locality or address.address_country
    doc: dict[str, Any] = {"type": "Place", "name": name}
    if address is not None:
        doc["address"] = {"type": "PostalAddress"} | postal_address_fields(address)
    if place.latitude is not None and place.longitude is not None:
        # Mobilizon keeps coordinates only when both are floats (is_float/1): 40 would be lost.
        doc["latitude"] = float(place.latitude)
        doc["longitude"] = float(place.longitude)
    return doc


def _virtual_location(url: str, name: str | None) -> dict[str, Any]:
    # Gancio treats a place named "online" as its online place, and refuses a nameless one.
    return {"type": "VirtualLocation", "name": name or "Online", "url": url}


def event_location(inp: EventInput, hybrid_as_list: bool) -> Any:
    """The event's ``location``: its place, or its online address if it has no place (or moved
    online), or both as a list for a hybrid event when ``hybrid_as_list`` (FEP-8a8e's form)."""
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


def online_link(inp: EventInput) -> dict[str, Any] | None:
    """The online address as the ``Link`` attachment Mobilizon reads it from, if there is one."""
    if inp.location is None or inp.location.online_url is None:
        return None
    return {
        "type": "Link",
        "name": MOBILIZON_ONLINE_NAME,
        "href": inp.location.online_url,
        "mediaType": "text/html",
    }
