"""Objects carried inside someone else's activity: trust the copy only when its sender could
have written it; otherwise read it from its own origin.

An Announce (a group re-announcing a member's reply, FEP-1b12's ``Announce{Create{Note}}``) or
a relayed activity may embed an object written by a third party. The sender's signature covers
the bytes it sent, not what the third party wrote, so anyone could embed a made-up "reply by
ana@elsewhere". Mastodon re-fetches such objects from their origin; so do we, and only when the
untrusted copy suggests it concerns us (a reply to one of our items), so a stream of boosts
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.activitypub.addressing import origin
from node.activitypub.vocab import ACTOR_TYPES, as_list, id_of
from node.federation.context import NodeContext
from node.federation.remote import actors as remote
from node.federation.remote.fetch import http_url, is_local

if TYPE_CHECKING:
    from node.federation.remote.actors import FetchBudget

__all__ = ["WRAPPERS", "from_origin", "inner_object"]

# Activities that wrap the object they carry (the FEP-1b12 forms of a group's Announce).
WRAPPERS = frozenset({"Create", "Update"})


async def from_origin(
    node: NodeContext, obj: Any, sender: str, *, budget: FetchBudget
) -> dict[str, Any] | None:
    """The authentic document of ``obj`` (embedded or an id) as passed on by ``sender``.

    The embedded copy when its id is on the sender's origin and the sender is its author (the
    sender's signature vouches only for what it wrote itself: another account of the same
    server is a third party); else the document fetched by id from its own origin (signed GET,
    id checked, within ``budget``), never the embedded copy. None for an object of this node or without a
    usable id. Fetch failures raise ``RemoteActorError`` (the inbox job retries or drops).
    """

    ident = id_of(obj)
    if not ident or not http_url(ident) or is_local(node, ident):
        return None
    if isinstance(obj, dict) and origin(ident) == origin(sender) and _written_by(obj, sender):
        return obj
    return await remote.fetch_object(node, ident, budget=budget)


def _written_by(obj: dict[str, Any], sender: str) -> bool:
    """Whether every author the object names (``attributedTo`` entries, an activity's
    ``actor``) is ``sender``; an object naming none is judged by its origin alone."""
    authors = [id_of(entry) for entry in as_list(obj.get("attributedTo"))[:8]]
    if "actor" in obj:
        authors.append(id_of(obj.get("actor")))
    return all(author == sender for author in authors)


async def inner_object(
    node: NodeContext, wrapper: dict[str, Any], *, budget: FetchBudget
) -> dict[str, Any] | None:
    """The object an authentic Create/Update carries, by the same rule (its actor vouches)."""
    actor = id_of(wrapper.get("actor"))
    wrapper_id = id_of(wrapper)
    if not actor or not wrapper_id or origin(actor) != origin(wrapper_id):
        return None
    inner = await from_origin(node, wrapper.get("object"), actor, budget=budget)
    if inner is None or inner.get("type") in ACTOR_TYPES:
        return None
    return inner
