"""Who an activity goes to, as the fan-out job carries it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, select

from node.models.networks import Relay


def _strings(field_name: str, value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        # A bare string would silently become a tuple of characters.
        raise TypeError(f"Audience.{field_name} must be a tuple of strings, not a string")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"Audience.{field_name} must hold strings, got {type(item).__name__}")
    return items


@dataclass(frozen=True)
class Audience:
    """The recipients of one activity.

    ``followers``: the sending actor's accepted followers (shared inboxes preferred).
    ``actors``: actor ids resolved to their inboxes (any server, this node's own included).
    ``inboxes``: inbox URLs delivered to as given (a relay, a known shared inbox).
    ``relays``: the inboxes of the relays that accepted our subscription, added when the
    activity is sent (node/federation/relays.py subscribes).
    ``exclude``: actor ids and inbox URLs never to deliver to, e.g. where an item came from.
    An excluded actor only loses its own share: a shared inbox that other recipients need is
    still delivered to, unless the inbox URL itself is excluded.
    """

    followers: bool = False
    actors: tuple[str, ...] = ()
    inboxes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    relays: bool = False

    def __post_init__(self) -> None:
        for name in ("actors", "inboxes", "exclude"):
            object.__setattr__(self, name, _strings(name, getattr(self, name)))

    def to_payload(self) -> dict[str, Any]:
        """The JSON form stored in the fan-out job (relays already resolved to inboxes)."""
        return {
            "followers": self.followers,
            "actors": list(self.actors),
            "inboxes": list(self.inboxes),
            "exclude": list(self.exclude),
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Audience:
        """Read the JSON form back (a missing key means empty)."""
        return cls(
            followers=bool(data.get("followers", False)),
            actors=tuple(data.get("actors") or ()),
            inboxes=tuple(data.get("inboxes") or ()),
            exclude=tuple(data.get("exclude") or ()),
        )


def relay_inboxes(session: Session) -> tuple[str, ...]:
    """Inboxes of the relays that accepted our subscription."""
    rows = session.exec(select(Relay.inbox).where(Relay.state == "accepted")).all()
    return tuple(dict.fromkeys(rows))


def with_relays(session: Session, audience: Audience) -> Audience:
    """``audience`` with the relays' inboxes listed, when it asks for relays."""
    if not audience.relays:
        return audience
    inboxes = tuple(dict.fromkeys([*audience.inboxes, *relay_inboxes(session)]))
    return replace(audience, inboxes=inboxes, relays=False)
