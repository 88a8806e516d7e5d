"""Images organizers uploaded: the file's name under DATA_DIR/media/ and what we know of it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from node.models.columns import ts

ALT_MAX = 1_500


class Media(SQLModel, table=True):
    """One uploaded image, re-encoded: ``file_name`` is its content hash and extension (never a
    name the uploader chose); ``purpose`` is attachment, avatar or header."""

    __tablename__ = "media"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # Not unique: two organizations may upload the same picture (one file, two rows).
    file_name: str = Field(max_length=100, index=True)
    media_type: str = Field(max_length=32)
    width: int
    height: int
    size: int
    alt: str = Field(default="", max_length=ALT_MAX)
    purpose: str = Field(max_length=16)
    created_at: datetime = ts()
