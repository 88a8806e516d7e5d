"""An organization's profile: validating edits, storing them, telling followers (actor Update).

The API shape (``GET``/``PATCH /api/v1/profile``): ``name``, ``description`` (Markdown; the
actor's ``summary`` is its HTML), ``icon`` and ``image`` ({url, mediaType, name = alt text}),
``website``, up to 4 ``fields`` ({name, value}; Mastodon shows four), ``region``, ``country``
(ISO 3166-1 alpha-2), ``latitude``/``longitude``, ``timezone`` (an IANA zone: where the
workspace's forms start), and ``essglobal``: {property: [concept IRI…]}
for RIPESS's classification (economicSector, legalForm, organisationalStructure,
baseMembershipType, qualifier), validated against the bundled code lists.

Field values that are URLs are stored as links with ``rel="me"``, the form Mastodon verifies.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlmodel import Session

from node.activitypub import activities
from node.content import essglobal
from node.content.fields import FieldError, merge
from node.content.fields.parse import (
    read_image,
    read_list,
    read_number,
    read_object,
    read_text,
    read_url,
    required_text,
    sub_path,
)
from node.content.fields.times import read_zone
from node.content.markdown import escape, render
from node.db import now_utc
from node.features.media.refs import PROFILE_IMAGES, with_media
from node.federation import outbox as delivery
from node.federation.actors.documents import MAX_FIELDS, actor_document, actor_id
from node.federation.actors.local import touch
from node.federation.context import NodeContext
from node.models import LocalActor

PROFILE_FIELDS = frozenset(
    {
        "name", "description", "icon", "image", "website", "fields", "region", "country",
        "latitude", "longitude", "essglobal", "timezone",
    }
)  # fmt: skip
DESCRIPTION_MAX = 5_000
MAX_CONCEPTS = 20
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_URL = re.compile(r"^https?://\S+$")


def profile_input(actor: LocalActor) -> dict[str, Any]:
    """The profile in the shape a PATCH edits (absent values left out)."""
    profile = actor.profile or {}
    data: dict[str, Any] = {"name": actor.name}
    for key in ("description", "icon", "image", "website", "region", "country", "timezone"):
        if profile.get(key) is not None:
            data[key] = profile[key]
    if profile.get("latitude") is not None and profile.get("longitude") is not None:
        data["latitude"], data["longitude"] = profile["latitude"], profile["longitude"]
    if profile.get("fields"):
        data["fields"] = [
            {"name": f["name"], "value": f.get("text", f["value"])} for f in profile["fields"]
        ]
    if profile.get("essglobal"):
        data["essglobal"] = profile["essglobal"]
    return data


def profile_view(node: NodeContext, actor: LocalActor) -> dict[str, Any]:
    """GET /api/v1/profile: the editable shape plus ids, the summary HTML and concept labels."""
    data = profile_input(actor)
    labels = {
        iri: essglobal.label(iri) for iris in (data.get("essglobal") or {}).values() for iri in iris
    }
    return {
        "id": actor_id(node.urls, actor),
        "url": node.urls.profile(actor.slug),
        "handle": f"@{actor.slug}@{node.settings.host}",
        "type": "Group" if actor.kind == "network" else "Organization",
        **data,
        "summary": actor.summary,
        "essglobalLabels": labels,
        "updated": actor.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _field_value_html(text: str) -> str:
    if _URL.match(text):
        href = escape(text)
        return f'<a href="{href}" rel="me nofollow noopener noreferrer" target="_blank">{href}</a>'
    return escape(text)


def _fields(value: Any) -> list[dict[str, str]]:
    result = []
    for index, item in enumerate(read_list(value, "fields", MAX_FIELDS)):
        path = sub_path("fields", index)
        data = read_object(item, path, frozenset({"name", "value"}), "an object with name, value")
        name = required_text(data.get("name"), sub_path(path, "name"), max_len=255)
        text = required_text(data.get("value"), sub_path(path, "value"), max_len=2000)
        result.append({"name": name, "value": _field_value_html(text), "text": text})
    return result


def _essglobal(value: Any) -> dict[str, list[str]]:
    names = frozenset(s.name for s in essglobal.schemes())
    data = read_object(value, "essglobal", names, "an object of {property: [concept IRI]}")
    result: dict[str, list[str]] = {}
    for scheme, iris in data.items():
        path = sub_path("essglobal", scheme)
        if isinstance(iris, str):
            iris = [iris]
        chosen = [
            essglobal.validate_concept(scheme, iri, field=sub_path(path, index))
            for index, iri in enumerate(read_list(iris, path, MAX_CONCEPTS))
        ]
        if chosen:
            result[scheme] = list(dict.fromkeys(chosen))
    return result


def validate_profile(data: Any) -> dict[str, Any]:
    """The stored ``profile`` (plus ``name``) from the edited shape; FieldError names the field."""
    doc = read_object(data, "", PROFILE_FIELDS, "a JSON object")
    name = required_text(doc.get("name"), "name", max_len=200)
    lat, lon = doc.get("latitude"), doc.get("longitude")
    if (lat is None) != (lon is None):
        raise FieldError("longitude" if lon is None else "latitude", "give both coordinates")
    country = read_text(doc.get("country"), "country", max_len=2)
    if country is not None and not _COUNTRY.match(country.upper()):
        raise FieldError("country", "must be an ISO 3166-1 alpha-2 code such as US or GB")
    profile: dict[str, Any] = {
        "name": name,
        "description": read_text(
            doc.get("description"), "description", max_len=DESCRIPTION_MAX, multiline=True
        ),
        "icon": _image_dict(read_image(doc.get("icon"), "icon")),
        "image": _image_dict(read_image(doc.get("image"), "image")),
        "website": read_url(doc.get("website"), "website"),
        "fields": _fields(doc.get("fields")),
        "region": read_text(doc.get("region"), "region"),
        "country": country.upper() if country else None,
        "latitude": None if lat is None else read_number(lat, "latitude", -90, 90),
        "longitude": None if lon is None else read_number(lon, "longitude", -180, 180),
        "essglobal": _essglobal(doc.get("essglobal")) if doc.get("essglobal") else {},
        # the zone the workspace's forms start from (an IANA id)
        "timezone": None
        if doc.get("timezone") is None
        else read_zone(doc["timezone"], "timezone").key,
    }
    return {k: v for k, v in profile.items() if v not in (None, [], {})}


def _image_dict(image: Any) -> dict[str, Any] | None:
    if image is None:
        return None
    found = {"url": image.url, "mediaType": image.media_type, "name": image.name}
    if image.width is not None and image.height is not None:
        found |= {"width": image.width, "height": image.height}
    return found


def update_profile(session: Session, node: NodeContext, actor: LocalActor, patch: Any) -> bool:
    """Apply a merge patch to the profile; when anything changed, store it and send the actor's
    ``Update`` to its followers (Mastodon refreshes the account). Returns whether it changed."""
    if isinstance(patch, dict) and "name" in patch and patch["name"] is None:
        raise FieldError("name", "cannot be removed")
    patch = with_media(session, node.urls, actor, patch, PROFILE_IMAGES, patch=True)
    merged = merge(profile_input(actor), patch)
    clean = validate_profile(merged)
    name = clean.pop("name")
    old = actor.profile or {}
    if "description" in clean:
        summary = render(clean["description"])
    elif "description" in old:
        summary = ""  # the description was removed: so is its HTML
    else:
        summary = actor.summary  # set before profiles had a description (the demo, the CLI)
    new_profile = {k: v for k, v in old.items() if k not in PROFILE_FIELDS} | clean
    if (name, summary, new_profile) == (actor.name, actor.summary, old):
        return False
    actor.name, actor.summary, actor.profile = name, summary, new_profile
    touch(actor)
    session.add(actor)
    session.flush()

    doc = actor_document(actor, node.urls, host=node.settings.host)
    update = activities.actor_update(node.urls.activity(uuid.uuid4().hex), doc, now_utc())
    delivery.send(session, actor, update, delivery.Audience(followers=True))
    return True
