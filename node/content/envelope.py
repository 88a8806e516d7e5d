"""What every public content object shares: where it is published (its head) and the envelope it
ends with (tags, image, dates and addressing).

Calls, news items and events open and close their ActivityStreams documents with the same fields
in the same order; they are written here once so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node.activitypub.vocab import PUBLIC, iso
from node.content.fields import Image
from node.content.objects import check_same_host, hashtags, image_attachment, image_object

__all__ = ["Publication", "without_nulls"]


@dataclass(frozen=True, slots=True)
class Publication:
    """Where, by whom and when an object is published: ``ident`` is the object id (on the actor's
    host), ``url`` its HTML page, ``tag_href`` gives a hashtag's page."""

    ident: str
    url: str
    actor_id: str
    followers: str
    published: datetime
    updated: datetime
    tag_href: Callable[[str], str]

    def head(self, context: list[Any], type_: str) -> dict[str, Any]:
        """``@context``, ``id``, ``type``, ``url`` and ``attributedTo``, in that order; raises
        ValueError when the id is not on the actor's host (Mastodon would refuse it)."""
        check_same_host(self.ident, self.actor_id)
        return {
            "@context": context,
            "id": self.ident,
            "type": type_,
            "url": self.url,
            "attributedTo": self.actor_id,
        }

    def addressing(self) -> dict[str, Any]:
        """The ``published`` and ``updated`` dates, then public addressing (to all, cc the
        followers collection)."""
        return {
            "published": iso(self.published),
            "updated": iso(self.updated),
            "to": [PUBLIC],
            "cc": [self.followers],
        }

    def envelope(self, tags: tuple[str, ...], image: Image | None) -> dict[str, Any]:
        """The closing fields of a call or news item: ``tag``, ``image``, ``attachment``, then
        :meth:`addressing`, in that order."""
        return {
            "tag": hashtags(tags, self.tag_href),
            "image": image_object(image) if image else None,
            "attachment": [image_attachment(image)] if image else None,
            **self.addressing(),
        }


def without_nulls(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without its ``None`` fields (absent reads better than null to other servers)."""
    return {key: value for key, value in doc.items() if value is not None}
