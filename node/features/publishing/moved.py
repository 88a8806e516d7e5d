"""An account that has moved publishes no more.

After ``solnode move`` its followers were sent ``Move`` and follow the new account; what the old
one published now would reach only those who never moved with it, under an address that says
"moved". Mastodon freezes a moved account the same way. Creating an item (API, C2S outbox,
workspace, a series' next dates, a scheduled draft, ``solnode note``) is refused with a
409 that names the new account; editing, cancelling and deleting what was published stay open.
"""

from __future__ import annotations

from node.api.errors import ConflictError
from node.models import LocalActor
from node.web.i18n import N_
from node.web.wording import Worded

MOVED = N_("@%(slug)s has moved to %(target)s: publish from the new account")


class ActorMoved(ConflictError, Worded):
    """Publishing refused: the actor has moved (``target`` is where)."""

    def __init__(self, slug: str, target: str) -> None:
        super().__init__(MOVED, slug=slug, target=target)
        self.slug, self.target = slug, target


def refuse_if_moved(actor: LocalActor) -> None:
    """Raise :class:`ActorMoved` when ``actor`` has moved to another account."""
    if actor.moved_to:
        raise ActorMoved(actor.slug, actor.moved_to)
