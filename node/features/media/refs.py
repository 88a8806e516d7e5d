"""Uploaded images used by items and profiles: ``{"media": ID}`` in place of an image object.

An item's ``image`` (published as its ``image`` and first attachment) and a profile's ``icon``
and ``image`` may name an upload of the same organization as ``{"media": 12}``, with an
optional ``name`` replacing the alt text given at upload. It becomes the full image object
(``media``, ``url``, ``mediaType``, ``name``, ``width``, ``height``), which is what the item's or
profile's source stores; an image object with a ``url`` and no ``media`` is taken as before.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from node.content.fields import FieldError
from node.content.fields.parse import read_text, sub_path
from node.models import LocalActor, Media
from node.models.media import ALT_MAX
from node.urls import Urls

# What each field of a source takes: items their picture, profiles an avatar and a header.
ITEM_IMAGES = {"image": "attachment"}
PROFILE_IMAGES = {"icon": "avatar", "image": "header"}


def _media_id(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise FieldError(path, "must be the id of an image you uploaded")
    return value


def image_object(
    session: Session, urls: Urls, actor: LocalActor, value: dict[str, Any], path: str, purpose: str
) -> dict[str, Any]:
    """The image object for ``{"media": ID, "name"?: alt}`` (FieldError names the field)."""
    extra = set(value) - {"media", "name", "url", "mediaType", "width", "height"}
    if extra:
        raise FieldError(sub_path(path, sorted(extra)[0]), "is not a field of an image")
    media_path = sub_path(path, "media")
    media = session.get(Media, _media_id(value.get("media"), media_path))
    if media is None or media.actor_id != actor.id:
        raise FieldError(media_path, "is not an image you uploaded")
    if media.purpose != purpose:
        raise FieldError(
            media_path, f"was uploaded as {media.purpose}; upload it again as {purpose}"
        )
    alt = read_text(value.get("name"), sub_path(path, "name"), max_len=ALT_MAX, multiline=True)
    name = alt or media.alt
    if not name:  # an avatar or header uploaded without one; what we publish always has one
        raise FieldError(
            sub_path(path, "name"), "is required: describe the image for people who cannot see it"
        )
    return {
        "media": media.id,
        "url": urls.media(media.file_name),
        "mediaType": media.media_type,
        "name": name,
        "width": media.width,
        "height": media.height,
    }


def with_media(
    session: Session,
    urls: Urls,
    actor: LocalActor,
    source: Any,
    fields: dict[str, str],
    *,
    patch: bool = False,
) -> Any:
    """``source`` with each image field of ``fields`` that names an upload replaced by its
    image object; anything else is left for the validation to judge. A merge ``patch`` that
    gives an image by URL also clears what an earlier upload set (``media``, its size)."""
    if not isinstance(source, dict):
        return source
    resolved = dict(source)
    for field, purpose in fields.items():
        value = source.get(field)
        if isinstance(value, dict) and value.get("media") is not None:
            resolved[field] = image_object(session, urls, actor, value, field, purpose)
        elif patch and isinstance(value, dict) and "url" in value:
            resolved[field] = {"media": None, "width": None, "height": None} | value
    return resolved
