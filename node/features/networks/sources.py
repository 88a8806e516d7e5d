"""Which of our networks take items from a sender: as a member (admitted), or as an actor the
network follows without membership (a Mobilizon group, a Gancio instance). Read for every Create
and Announce that arrives (aggregation.py), one sender at a time or for the senders of a batch
of inbox jobs at once."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlmodel import Session

from node.features.networks.rules import FOLLOWED

MEMBER = "member"

# (network id, member|followed) of our networks that take items from :actor, in one prebuilt
# statement: it runs for every Create and Announce that arrives (built with the ORM on each
# call, its compilation was a sixth of an inbox job's CPU, py-spy on the worker).
_MEMBERS = (
    "SELECT network_id, 'member' FROM membership WHERE member = :actor AND state = 'admitted'"
)
_FOLLOWED = (
    " UNION ALL SELECT following.actor_id, 'followed' FROM following"
    " JOIN local_actor ON local_actor.id = following.actor_id"
    " WHERE following.target_id = :actor AND following.state = 'accepted'"
    " AND local_actor.kind = 'network'"
)
SOURCES = text(_MEMBERS + _FOLLOWED)
NETWORK_SOURCES = text(_MEMBERS + " AND kind = 'network'" + _FOLLOWED)
# The same for the senders of several Creates that a worker loads together: one statement for
# the batch, each row naming its sender.
SOURCES_OF = text(
    "SELECT member, network_id, 'member' FROM membership"
    " WHERE member IN :actors AND state = 'admitted'"
    " UNION ALL SELECT following.target_id, following.actor_id, 'followed' FROM following"
    " JOIN local_actor ON local_actor.id = following.actor_id"
    " WHERE following.target_id IN :actors AND following.state = 'accepted'"
    " AND local_actor.kind = 'network'"
).bindparams(bindparam("actors", expanding=True))

Sources = list[tuple[int, str]]


def _merged(rows: Iterable[tuple[int, str]]) -> Sources:
    """(network id, member|followed), member winning where a network has both."""
    found: dict[int, str] = {}
    for network_id, source in rows:
        if source == MEMBER:
            found[network_id] = MEMBER
        else:
            found.setdefault(network_id, FOLLOWED)
    return sorted(found.items())


def sources_from(session: Session, actor: str, *, networks_only: bool) -> Sources:
    """(network id, member|followed) for each of our networks that takes items from ``actor``."""
    query = NETWORK_SOURCES if networks_only else SOURCES
    rows = session.connection().execute(query, {"actor": actor})
    return _merged((network_id, source) for network_id, source in rows)


def sources_of(session: Session, actors: Iterable[str]) -> dict[str, Sources]:
    """:func:`sources_from` (not only networks) of each of ``actors``, in one statement."""
    wanted = sorted(set(actors))
    by_actor: dict[str, list[tuple[int, str]]] = {actor: [] for actor in wanted}
    if wanted:
        for actor, network_id, source in session.connection().execute(
            SOURCES_OF, {"actors": wanted}
        ):
            by_actor[actor].append((network_id, source))
    return {actor: _merged(rows) for actor, rows in by_actor.items()}
