"""Parts every content object shares (events, calls for collaboration, news): the same-host
rule for ids, hashtags, and the image as ``image`` and as an attachment.

The shapes are the ones Mastodon, Mobilizon and Gancio read; node/content/events.py explains why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from node.content.fields import Image

__all__ = ["check_same_host", "hashtags", "image_attachment", "image_object"]


def check_same_host(ident: str, actor_id: str) -> None:
    """Refuse (ValueError) an object id on another host than its actor: Mastodon rejects it."""
    if urlsplit(ident).netloc.lower() != urlsplit(actor_id).netloc.lower():
        raise ValueError(f"object id {ident!r} is not on the host of {actor_id!r}")


def hashtags(tags: tuple[str, ...], tag_href: Callable[[str], str]) -> list[dict[str, Any]]:
    """``Hashtag`` tags as Mastodon and Mobilizon write them: ``{type, name: "#tag", href}``."""
    return [{"type": "Hashtag", "name": f"#{tag}", "href": tag_href(tag)} for tag in tags]


def image_object(image: Image) -> dict[str, Any]:
    """The ``image`` of an object (FEP-8a8e's flyer; Mobilizon 5.1 takes it as the banner)."""
    return {"type": "Image", **_image_fields(image)}


def image_attachment(image: Image) -> dict[str, Any]:
    """The image as an attachment: what Mastodon shows as media, with ``name`` as the alt text."""
    return {"type": "Document", **_image_fields(image)}


def _image_fields(image: Image) -> dict[str, Any]:
    """What a reader needs to show the image; ``width`` and ``height`` (ActivityStreams terms,
    known for uploads) let it reserve the image's space before fetching it."""
    fields: dict[str, Any] = {"url": image.url, "mediaType": image.media_type, "name": image.name}
    if image.width is not None and image.height is not None:
        fields |= {"width": image.width, "height": image.height}
    return fields
