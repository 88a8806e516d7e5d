"""Replies to an organization's items, moderated by it: one rule for the API and the workspace.

A reply waits (``pending``) when its author's server is limited or the organization moderates
replies; ``approved`` ones are shown under the item on its page, ``hidden`` ones nowhere.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from node.models import Interaction, Item, LocalActor

STATES = ("pending", "approved", "hidden")


def replies_to(
    session: Session, actor: LocalActor, state: str | None = None, limit: int = 200
) -> list[tuple[Interaction, Item]]:
    """Replies to ``actor``'s items (and the item each answers), newest first."""
    query = (
        select(Interaction, Item)
        .join(Item, col(Item.ap_id) == col(Interaction.object_id))
        .where(Item.actor_id == actor.id, Interaction.kind == "reply")
    )
    if state is not None:
        query = query.where(Interaction.state == state)
    rows = session.exec(query.order_by(col(Interaction.id).desc()).limit(limit)).all()
    return [(reply, item) for reply, item in rows]


def reply_of(session: Session, actor: LocalActor, number: int) -> Interaction | None:
    """Reply ``number`` if it answers one of ``actor``'s items (else None)."""
    row = session.get(Interaction, number) if 0 < number <= 2**31 - 1 else None
    if row is None or row.kind != "reply":
        return None
    item = session.exec(select(Item).where(Item.ap_id == row.object_id)).first()
    return row if item is not None and item.actor_id == actor.id else None


def moderate(session: Session, actor: LocalActor, number: int, state: str) -> Interaction | None:
    """Approve or hide reply ``number`` to one of ``actor``'s items; None when there is no
    such reply. Runs in the caller's transaction."""
    if state not in STATES:
        raise ValueError(f"a reply is one of {', '.join(STATES)}")
    row = reply_of(session, actor, number)
    if row is not None:
        row.state = state
        session.add(row)
    return row
