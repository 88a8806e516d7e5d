"""The relationship counts ``local_actor`` keeps: accepted followers and followings, admitted
members (a network's) and memberships (the networks it belongs to).

Database triggers (migration 0018) keep them in the transaction of every insert, state change
and delete, so the collections' ``totalItems`` and the profile's follower count cost no
``count(*)``. Only a bulk load that writes ``local_actor`` rows together with their followers
(a restore from rows) counts twice, once in the restored column and once in the triggers:
it recounts here afterwards.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from node.models import Follower, Following, LocalActor
from node.models.networks import Membership, OutgoingMembership

# (the rows counted, the column naming our actor, the state counted, the column keeping it)
COUNTED: tuple[tuple[Any, Any, str, str], ...] = (
    (Follower, Follower.actor_id, "accepted", "followers_count"),
    (Following, Following.actor_id, "accepted", "following_count"),
    (Membership, Membership.network_id, "admitted", "members_count"),
    (OutgoingMembership, OutgoingMembership.actor_id, "admitted", "memberships_count"),
)


def recount(conn: Any) -> None:
    """Set every kept count to what its rows say (one UPDATE per count)."""
    for model, owner, state, counter in COUNTED:
        counted = (
            select(func.count())
            .select_from(model)
            .where(owner == col(LocalActor.id), model.state == state)
            .scalar_subquery()
        )
        conn.execute(update(LocalActor).values({counter: counted}))
