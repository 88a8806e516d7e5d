"""Who a feed or calendar entry credits: its author's name and profile link, looked up once per
request, the remote authors of a whole calendar in one query of the columns the credit uses.

A network's calendar of 5,000 events has as many authors as the network has active members
(thousands on a big network); one profile query per author was most of what a calendar's load
cost beside its events. The credit is the one
:func:`node.features.networks.profiles.credits_of` gives, the name and link a profile shows; a
local actor's name and profile page; an actor never seen, its id.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from node.features.networks import clean
from node.features.networks.queries import _Profiles
from node.federation.context import NodeContext
from node.models import Item, LocalActor


class Credits:
    """The credits of one request's entries: the credit lines of the network pages'
    (:class:`node.features.networks.queries._Profiles`, filled by :meth:`preload` or on demand),
    as the (name, link) a feed or calendar writes."""

    def __init__(self, session: Session, node: NodeContext) -> None:
        self.session, self.node = session, node
        self.profiles = _Profiles(session, node)
        self.cache: dict[str, tuple[str, str]] = {}
        self.local: dict[int, LocalActor] = {}

    def preload(self, actors: Iterable[str]) -> None:
        """Look up these authors at once (the remote ones in one query of four columns)."""
        self.profiles.preload(actors)

    def remote(self, actor: str) -> tuple[str, str]:
        """(name, link) of the author of a network's row (any actor id)."""
        if actor not in self.cache:
            credit = self.profiles(actor)
            link = clean.http_url(credit.url) or clean.http_url(actor) or ""
            self.cache[actor] = (credit.name or credit.handle or actor, link)
        return self.cache[actor]

    def actor(self, item: Item) -> LocalActor:
        """The local actor who wrote one of our items."""
        if item.actor_id not in self.local:
            found = self.session.get(LocalActor, item.actor_id)
            assert found is not None
            self.local[item.actor_id] = found
        return self.local[item.actor_id]

    def of_item(self, item: Item) -> tuple[str, str]:
        """(name, profile page) of the author of one of our items."""
        actor = self.actor(item)
        return actor.name, self.node.urls.profile(actor.slug)
