"""Facts about the node itself, kept with its data: today the base URL the data was created
with (every stored id starts with it, so it may never change silently)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class NodeMeta(SQLModel, table=True):
    """One named value (``base_url``)."""

    __tablename__ = "node_meta"

    key: str = Field(max_length=64, primary_key=True)
    value: str = Field(default="", max_length=2048)
