"""Follow relations both ways: who follows our actors, whom our actors follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from node.models.columns import ts


class Follower(SQLModel, table=True):
    """A remote actor following one of our actors (pending until accepted)."""

    __tablename__ = "follower"
    __table_args__ = (
        UniqueConstraint("actor_id", "remote_id", name="uq_follower_actor_remote"),
        # the followers collection's keyset order: one index range per page
        Index("ix_follower_actor_state", "actor_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    remote_id: str = Field(max_length=2048, index=True)
    inbox: str = Field(default="", max_length=2048)
    shared_inbox: str = Field(default="", max_length=2048)
    follow_id: str = Field(default="", max_length=2048)
    # pending | accepted
    state: str = Field(default="accepted", max_length=16)
    created_at: datetime = ts()


class Following(SQLModel, table=True):
    """One of our actors following a remote actor (networks, relays, outside calendars)."""

    __tablename__ = "following"
    __table_args__ = (
        UniqueConstraint("actor_id", "target_id", name="uq_following_actor_target"),
        Index("ix_following_actor_state", "actor_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    target_id: str = Field(max_length=2048, index=True)
    follow_id: str = Field(max_length=2048, index=True)
    # pending | accepted | rejected
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = ts()
