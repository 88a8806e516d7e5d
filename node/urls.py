"""Every URL this node mints, in one place, so ids never drift between modules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Urls:
    """URL builder for one node, from its public base URL (no trailing slash)."""

    base: str

    def actor(self, slug: str) -> str:
        """The ActivityPub id of a local organization or network."""
        return f"{self.base}/actors/{slug}"

    def profile(self, slug: str) -> str:
        """The HTML profile page."""
        return f"{self.base}/@{slug}"

    def murmurations(self, slug: str) -> str:
        """The organization's Murmurations profile (node/features/bridges/murmurations.py)."""
        return f"{self.profile(slug)}/murmurations.json"

    def essglobal(self, slug: str) -> str:
        """The organization's ESSGlobal JSON-LD description (node/features/bridges/essglobal_ld.py)."""
        return f"{self.profile(slug)}/essglobal.jsonld"

    def inbox(self, slug: str) -> str:
        return f"{self.actor(slug)}/inbox"

    def outbox(self, slug: str) -> str:
        return f"{self.actor(slug)}/outbox"

    def followers(self, slug: str) -> str:
        return f"{self.actor(slug)}/followers"

    def following(self, slug: str) -> str:
        return f"{self.actor(slug)}/following"

    def members(self, slug: str) -> str:
        return f"{self.actor(slug)}/members"

    def memberships(self, slug: str) -> str:
        return f"{self.actor(slug)}/memberships"

    def upcoming_events(self, slug: str) -> str:
        return f"{self.actor(slug)}/events"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        """The instance's Application actor (signs fetches; FEP-2677, FEP-d556)."""
        return f"{self.base}/actor"

    @staticmethod
    def main_key(actor_id: str) -> str:
        """keyId of an actor's RSA key, as Mastodon expects."""
        return f"{actor_id}#main-key"

    @staticmethod
    def ed25519_key(actor_id: str) -> str:
        """Id of an actor's Ed25519 Multikey (FEP-521a)."""
        return f"{actor_id}#ed25519-key"

    def item(self, uid: str) -> str:
        """Id (and HTML page) of an event, call, news item or note."""
        return f"{self.base}/items/{uid}"

    def calendar(self, slug: str) -> str:
        """The iCalendar feed of an organization or network (node/features/feeds/routes.py)."""
        return f"{self.profile(slug)}/calendar.ics"

    def region_calendar(self, region: str) -> str:
        """The iCalendar feed of this node's events in a region, locality or country."""
        return f"{self.base}/regions/{quote(region, safe='')}/calendar.ics"

    def category_calendar(self, category: str) -> str:
        """The iCalendar feed of this node's events in a category (``WORKSHOPS_SKILL_SHARING``)."""
        return f"{self.base}/categories/{quote(category.upper(), safe='')}/calendar.ics"

    def series(self, uid: str) -> str:
        """A recurring series: the UID of its iCalendar VEVENT, and a link to its next date."""
        return f"{self.base}/series/{uid}"

    def item_uid(self, ident: str) -> str | None:
        """The uid of one of our item ids (``…/items/{uid}``), or None for any other URL."""
        prefix = f"{self.base}/items/"
        if not ident.startswith(prefix):
            return None
        uid = ident[len(prefix) :]
        return uid if uid and "/" not in uid and "?" not in uid and "#" not in uid else None

    def activity(self, uid: str) -> str:
        return f"{self.base}/activities/{uid}"

    def tag(self, name: str) -> str:
        """The page of a hashtag (the ``href`` of our ``Hashtag`` tags), lower-cased as
        Mastodon links them."""
        return f"{self.base}/tags/{quote(name.lower(), safe='')}"

    def profile_section(self, slug: str, section: str) -> str:
        """An HTML list of one kind of an actor's items: ``events``, ``calls`` or ``news``."""
        return f"{self.profile(slug)}/{section}"

    def media(self, file_name: str) -> str:
        """An uploaded image, by its content-hash file name."""
        return f"{self.base}/media/{file_name}"

    def api(self, path: str) -> str:
        """An absolute URL of the JSON API (``path`` starts after ``/api/v1``)."""
        return f"{self.base}/api/v1{path}"

    def subscribe_template(self) -> str:
        """OStatus subscribe template for remote follow buttons."""
        return f"{self.base}/authorize_interaction?uri={{uri}}"

    def webfinger(self, resource: str) -> str:
        return f"{self.base}/.well-known/webfinger?resource={quote(resource, safe=':@')}"


_UID = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")


def is_uid(value: str) -> bool:
    """Whether ``value`` can be one of our uids (of items and series), as a URL path part."""
    return _UID.match(value) is not None
