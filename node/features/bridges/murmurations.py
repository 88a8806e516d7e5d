"""Murmurations: an organization's profile in the ``organizations_schema-v1.0.0`` shape, served
at ``/@{slug}/murmurations.json``, and (opt-in) its registration with an index.

The fields follow the schema of the Murmurations library (a copy, composed from its field
files, is in ``tests/fixtures/murmurations/``, and the tests validate against it). An index
fetches the profile from its URL; ``register`` only tells the index where it is, through the
node's one outbound client (``node/federation/http.py``: SSRF guard, caps, timeouts).
"""

from __future__ import annotations

import json
import re
from typing import Any

from node.content import essglobal
from node.federation.actors.documents import actor_id
from node.federation.http import HttpClient, HttpResponse
from node.models import LocalActor
from node.urls import Urls

SCHEMA = "organizations_schema-v1.0.0"
NAME_MAX = 200
TAG_MAX = 100
_URL = re.compile(r"^https?://\S+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and _URL.match(value) and len(value) <= 2000 else None


def profile(actor: LocalActor, urls: Urls) -> dict[str, Any]:
    """The Murmurations profile of a local organization or network (absent values left out)."""
    data = actor.profile or {}
    page = urls.profile(actor.slug)
    doc: dict[str, Any] = {
        "linked_schemas": [SCHEMA],
        "name": (actor.name or actor.slug)[:NAME_MAX],
        "primary_url": _url(data.get("website")) or page,
        # the organization's news, events and calls as RSS (node/features/feeds/routes.py)
        "rss": f"{page}/feed.rss",
    }
    description = data.get("description")
    if isinstance(description, str) and description.strip():
        doc["description"] = description.strip()
    tags: list[str] = []
    for iris in (data.get("essglobal") or {}).values():
        for iri in iris:
            try:
                tags.append(essglobal.label(iri)[:TAG_MAX])
            except KeyError:
                continue
    if tags:
        doc["tags"] = list(dict.fromkeys(tags))
    links = [
        {"name": "Profile on the fediverse", "url": page},
        {"name": "ActivityPub actor", "url": actor_id(urls, actor)},
        {"name": "Calendar (iCalendar)", "url": urls.calendar(actor.slug)},
    ]
    website = _url(data.get("website"))
    if website and website != doc["primary_url"]:
        links.append({"name": "Website", "url": website})
    for item in data.get("fields") or []:
        value = _url(item.get("text", item.get("value")))
        if value:
            links.append({"name": str(item.get("name", ""))[:200], "url": value})
    doc["urls"] = list({link["url"]: link for link in links}.values())
    country = data.get("country")
    if isinstance(country, str) and _COUNTRY.match(country):
        doc["country_iso_3166"] = country
    address = [p for p in (data.get("region"), country) if isinstance(p, str) and p]
    if address:
        doc["full_address"] = ", ".join(address)
    lat, lon = data.get("latitude"), data.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        doc["geolocation"] = {"lat": lat, "lon": lon}
    for key, target in (("icon", "image"), ("image", "header_image")):
        media = data.get(key)
        if isinstance(media, dict) and _url(media.get("url")):
            doc[target] = media["url"]
    return doc


def nodes_url(index: str) -> str:
    """The index's endpoint for registering a profile."""
    return index.rstrip("/") + "/v2/nodes"


async def register(http: HttpClient, index: str, profile_url: str) -> HttpResponse:
    """POST ``{"profile_url": ...}`` to the index; the index then fetches and validates it."""
    body = json.dumps({"profile_url": profile_url}).encode()
    return await http.post(
        nodes_url(index),
        body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
