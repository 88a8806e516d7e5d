"""What organizations publish and what the fediverse does with it: items, series, tags,
participants, interactions, tombstones of deleted objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from node.db import as_utc
from node.models.columns import json_dict, long_text, opt_ts, ts
from node.models.spans import event_class


class Item(SQLModel, table=True):
    """Something one of our actors published: an event, a call for collaboration, news, a note."""

    __tablename__ = "item"
    __table_args__ = (
        # (published, id): the timeline's keyset order, one index range per page
        Index("ix_item_actor_published", "actor_id", "published", "id"),
        # a profile's sections: the latest of one kind (0020)
        Index("ix_item_actor_kind_published", "actor_id", "kind", "published", "id"),
        # an organization's events in start order, paged by cursor (0023)
        Index("ix_item_actor_kind_start", "actor_id", "kind", "start_time", "id"),
        # what still runs of the events begun before a moment, one range per class of duration
        # closed on both sides: an organization's, and the node's (0026)
        Index(
            "ix_item_actor_kind_span_start", "actor_id", "kind", "span_class", "start_time", "id"
        ),
        Index("ix_item_kind_span_start", "kind", "span_class", "start_time", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # event | call | news | note
    kind: str = Field(max_length=16, index=True)
    # the ActivityStreams object as served
    document: dict[str, Any] = json_dict()
    # what the author gave (API fields), for editing
    source: dict[str, Any] = json_dict()
    start_time: datetime | None = opt_ts(index=True)
    end_time: datetime | None = opt_ts()
    parent_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    # an occurrence of a recurring series: the series and the occurrence's index in it
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    series_index: int | None = None
    published: datetime = ts()
    updated: datetime = ts()
    deleted_at: datetime | None = opt_ts()
    # its class of duration (node/models/spans.py: 0 a day or less, or without a start; k up to
    # 4^k days; without an end it lasts spans.NO_END), kept by the ORM on every insert and
    # update (:meth:`__declare_last__`): what still runs at a moment is one range a class (0026)
    span_class: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    @classmethod
    def __declare_last__(cls) -> None:
        """Once the mapper is configured: every flush of an item classes its times, whichever
        path wrote them (publishing, editing, a series' occurrences, notes, the demo)."""
        event.listen(cls, "before_insert", _classed)
        event.listen(cls, "before_update", _classed)


def _classed(_mapper: Any, _connection: Any, item: Item) -> None:
    start, end = item.start_time, item.end_time  # naive when read back from SQLite
    item.span_class = event_class(start and as_utc(start), end and as_utc(end))


class Series(SQLModel, table=True):
    """A recurring event: the template as the author gave it; occurrences are Items published
    a few at a time ahead (node/features/publishing/service/series.py)."""

    __tablename__ = "series"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=100, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # the API JSON of the series (with its recurrence), for editing and for new occurrences
    source: dict[str, Any] = json_dict()
    # occurrences 0 .. published_count-1 have been published (or skipped, being over)
    published_count: int = 0
    # how many dates not over are kept published ahead (None: service.AHEAD)
    ahead: int | None = None
    created_at: datetime = ts()
    updated_at: datetime = ts()
    deleted_at: datetime | None = opt_ts()


class ItemTag(SQLModel, table=True):
    """A hashtag of an item, lower-cased, for the tag pages."""

    __tablename__ = "item_tag"
    __table_args__ = (
        UniqueConstraint("item_id", "tag", name="uq_item_tag_item_tag"),
        # a hashtag's items, newest (highest item id) first, paged by cursor (0023)
        Index("ix_item_tag_tag_item", "tag", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="CASCADE")
    tag: str = Field(max_length=64, index=True)


class Participant(SQLModel, table=True):
    """Someone taking part in one of our events: a remote actor who sent a Join, or a person
    who registered on the event page (no actor; a name and maybe an e-mail address)."""

    __tablename__ = "participant"
    __table_args__ = (
        Index("ix_participant_item_state", "item_id", "state"),
        # one registration per person per event, even for two submits at the same moment
        Index("ix_participant_item_person", "item_id", "person_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", ondelete="CASCADE")
    # remote actor id; empty for a registration on the event page
    actor: str = Field(default="", max_length=2048, index=True)
    # the Join activity's id (a urn:uuid: for registrations on the page)
    join_id: str = Field(max_length=2048, unique=True, index=True)
    join_document: dict[str, Any] = json_dict()
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    # pending | accepted | rejected | left
    state: str = Field(default="pending", max_length=16)
    # who registered on the page: "email:<address>" or "browser:<hash>"; None from the fediverse
    person_key: str | None = Field(default=None, max_length=400)
    # SHA-256 (hex) of the secret token in the registration's own page address
    manage_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    created_at: datetime = ts()
    updated_at: datetime = ts()


class Interaction(SQLModel, table=True):
    """A remote Like, Announce or reply that targets one of our items."""

    __tablename__ = "interaction"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    # like | announce | reply
    kind: str = Field(max_length=16)
    actor: str = Field(max_length=2048)
    object_id: str = Field(max_length=2048, index=True)
    content: str = long_text()
    document: dict[str, Any] = json_dict()
    # pending | approved | hidden
    state: str = Field(default="approved", max_length=16)
    created_at: datetime = ts()


class Tombstone(SQLModel, table=True):
    """An id that was deleted: never served again as content, never created again."""

    __tablename__ = "tombstone"

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    former_type: str = Field(default="", max_length=64)
    deleted_at: datetime = ts()
