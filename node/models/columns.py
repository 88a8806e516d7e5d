"""Column helpers shared by the tables: UTC timestamps, JSON documents, long text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text
from sqlmodel import Field

from node.db import now_utc

__all__ = ["json_dict", "json_list", "long_text", "opt_ts", "ts"]


def ts(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column that defaults to now (UTC)."""
    return Field(default_factory=now_utc, sa_type=DateTime(timezone=True), **kwargs)


def opt_ts(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column, empty by default."""
    return Field(default=None, sa_type=DateTime(timezone=True), **kwargs)


def json_dict(**kwargs: Any) -> Any:
    """A JSON column holding an object, ``{}`` by default."""
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False), **kwargs)


def json_list(**kwargs: Any) -> Any:
    """A JSON column holding a list, ``[]`` by default."""
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kwargs)


def long_text(**kwargs: Any) -> Any:
    """A TEXT column (no length limit), ``""`` by default."""
    return Field(default="", sa_column=Column(Text, nullable=False), **kwargs)
