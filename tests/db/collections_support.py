"""Big relationship collections written directly, as the handlers leave them: a hub's followers
(some still pending, some of another actor in between) and a network's members (some requested
or ended), inserted in bulk so the triggers of migration 0018 count them as they count any
insert."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from node.db import session_scope
from node.federation.actors.local import create_actor
from node.models import Follower, LocalActor
from node.models.networks import Membership

BATCH = 1_000


def _insert(engine: Engine, rows: list[Any]) -> None:
    for start in range(0, len(rows), BATCH):
        with session_scope(engine) as session:
            session.add_all(rows[start : start + BATCH])


def actor(engine: Engine, slug: str, kind: str = "organization") -> LocalActor:
    with session_scope(engine) as session:
        found = create_actor(session, slug, kind=kind, name=slug.title())
        session.flush()
        session.expunge(found)
    return found


def followers(engine: Engine, hub: LocalActor, other: LocalActor, n: int) -> list[str]:
    """``n`` followers of ``hub`` (every 50th pending), each next to one of ``other``; returns
    the accepted ones, newest first (the collection's order)."""
    rows: list[Any] = []
    accepted: list[str] = []
    for i in range(n):
        who = f"https://s{i % 97}.example/users/u{i}"
        state = "pending" if i % 50 == 7 else "accepted"
        rows.append(Follower(actor_id=hub.id or 0, remote_id=who, state=state, inbox=who))
        rows.append(Follower(actor_id=other.id or 0, remote_id=who, state="accepted", inbox=who))
        if state == "accepted":
            accepted.append(who)
    _insert(engine, rows)
    return accepted[::-1]


def members(engine: Engine, network: LocalActor, n: int) -> list[str]:
    """``n`` membership rows of ``network`` (every 40th requested, every 60th ended); returns
    the admitted members, oldest first (the collection's order)."""
    rows: list[Any] = []
    admitted: list[str] = []
    for i in range(n):
        who = f"https://m{i % 89}.example/actors/org{i}"
        state = "requested" if i % 40 == 3 else "ended" if i % 60 == 5 else "admitted"
        rows.append(Membership(network_id=network.id or 0, member=who, state=state))
        if state == "admitted":
            admitted.append(who)
    _insert(engine, rows)
    return admitted


def analyze(engine: Engine) -> None:
    """Planner statistics, as autovacuum leaves them after a bulk load."""
    with engine.begin() as conn:
        for table in ("follower", "membership", "local_actor"):
            conn.execute(text(f"ANALYZE {table}"))
