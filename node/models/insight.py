"""What the workspace's Insight pages read beyond what federation already records: the
feedback participants gave after an event, and a daily count of each actor's followers.

Followers over time: the ``follower`` table keeps only the present (an Undo deletes the row),
so its history cannot be derived from it afterwards. A ``followers-snapshot`` job
(node/features/workspace/follower_history.py) writes one :class:`FollowerCount` row per actor
and UTC day, then schedules itself for the next day; the Insight page adds today's live count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from node.models.columns import long_text, ts


class EventFeedback(SQLModel, table=True):
    """A rating (1-5) and a comment on an event that has ended, from its page's form: for the
    organization's eyes only, never published. ``participant_id`` is set when the link of the
    follow-up message (or a registration's e-mail) said who gave it: one per participant."""

    __tablename__ = "event_feedback"
    __table_args__ = (
        UniqueConstraint("item_id", "participant_id", name="uq_event_feedback_item_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="CASCADE")
    participant_id: int | None = Field(default=None, foreign_key="participant.id",
                                       ondelete="CASCADE")  # fmt: skip
    rating: int
    comment: str = long_text()
    created_at: datetime = ts()


class FollowerCount(SQLModel, table=True):
    """How many followers an actor had (accepted, and waiting for approval) on a UTC day."""

    __tablename__ = "follower_count"
    __table_args__ = (UniqueConstraint("actor_id", "day", name="uq_follower_count_actor_day"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # YYYY-MM-DD (UTC): compared as text the same way on both dialects
    day: str = Field(max_length=10)
    accepted: int = 0
    pending: int = 0
