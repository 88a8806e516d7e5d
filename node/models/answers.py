"""Answers to calls for collaboration sent with the form on the call's page: for the
organization's eyes only, never published."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from node.models.columns import long_text, ts


class CallAnswer(SQLModel, table=True):
    """Someone without a fediverse account answered one of our calls: who, how to reach them,
    what they wrote. The organization (``actor_id``) reads them in its workspace."""

    __tablename__ = "call_answer"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="CASCADE")
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    contact: str = Field(max_length=320)
    message: str = long_text()
    created_at: datetime = ts()
