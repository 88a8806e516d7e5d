"""The envelope every public content object ends with: tags, image, dates and addressing.

Calls and news items close their ActivityStreams documents with the same fields in the same
order; they are written here once so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from node.activitypub.vocab import PUBLIC, iso
from node.content.fields import Image
from node.content.objects import hashtags, image_attachment, image_object

__all__ = ["public_envelope", "without_nulls"]


def public_envelope(
    tags: tuple[str, ...],
    image: Image | None,
    dates: tuple[datetime, datetime],
    followers: str,
    tag_href: Callable[[str], str],
) -> dict[str, Any]:
    """``tag``, ``image``, ``attachment``, the two ``(published, updated)`` dates and public
    addressing (to all, cc the ``followers`` collection), in that order."""
    published, updated = dates
    return {
        "tag": hashtags(tags, tag_href),
        "image": image_object(image) if image else None,
        "attachment": [image_attachment(image)] if image else None,
        "published": iso(published),
        "updated": iso(updated),
        "to": [PUBLIC],
        "cc": [followers],
    }


def without_nulls(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without its ``None`` fields (absent reads better than null to other servers)."""
    return {key: value for key, value in doc.items() if value is not None}
