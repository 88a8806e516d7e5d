"""Typed, read-only views over remote ActivityStreams documents.

A view wraps the parsed JSON untouched (``.raw`` keeps unknown fields for storage and
forwarding) and answers the questions handlers ask of it. Every accessor is total: a field
of the wrong shape reads as None or as an empty tuple, never as an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from node.activitypub.vocab.reading import (
    LINK_TYPES,
    addressees_of,
    is_public,
    ref_of,
    refs_of,
    text,
    types_of,
)
from node.activitypub.vocab.terms import as_list


def _first_embedded(value: Any) -> dict[str, Any] | None:
    for entry in as_list(value):
        if isinstance(entry, dict):
            return entry
    return None


@dataclass(frozen=True, slots=True)
class Object:
    """Any ActivityStreams object (a Note, an Event, a Tombstone...)."""

    raw: dict[str, Any]

    @classmethod
    def of(cls, value: Any) -> Self | None:
        """The view of ``value``, or None when it is not a JSON object."""
        return cls(value) if isinstance(value, dict) else None

    @property
    def id(self) -> str | None:
        """The object's ``id`` (None for a transient object or a non-string id)."""
        ident = self.raw.get("id")
        return ident if isinstance(ident, str) else None

    @property
    def types(self) -> tuple[str, ...]:
        """Every type the object declares, in order."""
        return types_of(self.raw)

    @property
    def type(self) -> str | None:
        """The primary type: the first one declared."""
        return next(iter(self.types), None)

    def has_type(self, *names: str) -> bool:
        """Whether any of ``names`` is among the declared types."""
        return any(name in self.types for name in names)

    @property
    def to(self) -> tuple[str, ...]:
        """The ids in ``to``."""
        return refs_of(self.raw.get("to"))

    @property
    def cc(self) -> tuple[str, ...]:
        """The ids in ``cc``."""
        return refs_of(self.raw.get("cc"))

    @property
    def audience(self) -> tuple[str, ...]:
        """The ids in ``audience`` (FEP-1b12: the group a post belongs to)."""
        return refs_of(self.raw.get("audience"))

    @property
    def addressees(self) -> tuple[str, ...]:
        """Every id in to, cc and audience, in that order."""
        return addressees_of(self.raw)

    @property
    def is_public(self) -> bool:
        """Whether Public is among the recipients (to, cc or audience)."""
        return is_public(self.raw)

    @property
    def attributed_to(self) -> str | None:
        """The first author in ``attributedTo`` (Mobilizon lists the group, then the person)."""
        return next(iter(refs_of(self.raw.get("attributedTo"))), None)

    @property
    def in_reply_to(self) -> str | None:
        """The id of the object this one answers."""
        return next(iter(refs_of(self.raw.get("inReplyTo"))), None)

    def text(self, name: str, limit: int) -> str | None:
        """A string field, bounded (see :func:`node.activitypub.vocab.text`)."""
        return text(self.raw.get(name), limit)


@dataclass(frozen=True, slots=True)
class Activity(Object):
    """An activity: who did what to which object."""

    @property
    def actor(self) -> str | None:
        """The id of the (first) actor."""
        return next(iter(refs_of(self.raw.get("actor"))), None)

    @property
    def object_ref(self) -> str | None:
        """The id of the (first) object, embedded or given by reference."""
        return next(iter(self.object_refs), None)

    @property
    def object_refs(self) -> tuple[str, ...]:
        """The ids of every object (``object`` may be a list)."""
        return refs_of(self.raw.get("object"))

    @property
    def object(self) -> Object | None:
        """The (first) embedded object, or None when the object is only referenced."""
        embedded = _first_embedded(self.raw.get("object"))
        # A Link is a pointer, not an embedded object: reading it as one would be wrong.
        if embedded is None or LINK_TYPES.intersection(types_of(embedded)):
            return None
        return Object(embedded)

    @property
    def object_activity(self) -> Activity | None:
        """The embedded object read as an activity (an Announce of a Create, an Undo)."""
        embedded = self.object
        return Activity(embedded.raw) if embedded is not None else None

    @property
    def target_ref(self) -> str | None:
        """The id of the ``target`` (Add/Remove: the collection)."""
        return next(iter(refs_of(self.raw.get("target"))), None)


@dataclass(frozen=True, slots=True)
class Actor(Object):
    """An actor document (Person, Group, Organization, Service, Application)."""

    @property
    def inbox(self) -> str | None:
        """The actor's inbox URL."""
        return ref_of(self.raw.get("inbox"))

    @property
    def outbox(self) -> str | None:
        """The actor's outbox URL."""
        return ref_of(self.raw.get("outbox"))

    @property
    def followers(self) -> str | None:
        """The actor's followers collection."""
        return ref_of(self.raw.get("followers"))

    @property
    def shared_inbox(self) -> str | None:
        """``endpoints.sharedInbox``, when the server has one."""
        endpoints = self.raw.get("endpoints")
        if not isinstance(endpoints, dict):
            return None
        return ref_of(endpoints.get("sharedInbox"))

    @property
    def preferred_username(self) -> str | None:
        """The handle's local part, bounded."""
        return text(self.raw.get("preferredUsername"), 255)
