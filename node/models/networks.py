"""The tables of networks: memberships both ways, what a network aggregated, its rules, relays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from node.models.columns import json_dict, json_list, opt_ts, ts

MEMBERSHIP_STATES = ("requested", "admitted", "rejected", "ended")


class Membership(SQLModel, table=True):
    """The network's side: an organization or network that asked to join one of our networks."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("network_id", "member", name="uq_membership_network_member"),
        Index("ix_membership_member_state", "member", "state"),
        # the directory's keyset order: one index range per page
        Index("ix_membership_network_state", "network_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # the member's actor id (on any server, this one included)
    member: str = Field(max_length=2048)
    # organization | network (a Group actor: its items arrive as Announces)
    kind: str = Field(default="organization", max_length=16)
    # requested | admitted | rejected | ended
    state: str = Field(default="requested", max_length=16)
    join_id: str = Field(default="", max_length=2048)
    join_document: dict[str, Any] = json_dict()
    requested_at: datetime = ts()
    decided_at: datetime | None = opt_ts()
    ended_at: datetime | None = opt_ts()
    updated_at: datetime = ts()


class OutgoingMembership(SQLModel, table=True):
    """The member's side: one of our actors asked to join a network (here or elsewhere)."""

    __tablename__ = "outgoing_membership"
    __table_args__ = (
        UniqueConstraint("actor_id", "network", name="uq_outgoing_membership_actor_network"),
        Index("ix_outgoing_membership_actor_state", "actor_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    network: str = Field(max_length=2048)
    join_id: str = Field(max_length=2048, index=True)
    # requested | admitted | rejected | ended
    state: str = Field(default="requested", max_length=16)
    created_at: datetime = ts()
    updated_at: datetime = ts()


class NetworkItem(SQLModel, table=True):
    """An item a network received from a member (or a followed calendar) and what it did with it.

    One row per (network, object id): the dedupe that stops loops. ``state`` is the relay
    decision: relayed (re-announced), held (outside the network's rules), hidden (by an admin),
    followed (from a followed source: shown, never re-announced).
    """

    __tablename__ = "network_item"
    __table_args__ = (
        UniqueConstraint("network_id", "object_id", name="uq_network_item_network_object"),
        Index("ix_network_item_network_start", "network_id", "start_time"),
        Index("ix_network_item_network_received", "network_id", "received_at"),
        # "still running" of the events begun before now: one range per class of duration,
        # closed on both sides, the end checked in the index (node/features/networks/upcoming.py)
        Index(
            "ix_network_item_network_span_start",
            "network_id",
            "span_class",
            "start_time",
            "ends_at",
        ),
        # the timeline's keyset order: one index range per page, at any depth
        Index("ix_network_item_network_published", "network_id", "published", "id"),
        # a network profile's latest calls and news: one range per kind, newest first
        Index("ix_network_item_network_kind_published", "network_id", "kind", "published", "id"),
        # a region's or a category's events: one range of the events that have it, in time
        # order (queries.shown_branches; a region matches the region or the country)
        Index("ix_network_item_network_category_start", "network_id", "category", "start_time"),
        Index(
            "ix_network_item_network_region_start",
            "network_id",
            text("lower(region)"),
            "start_time",
        ),
        Index(
            "ix_network_item_network_country_start",
            "network_id",
            text("lower(country)"),
            "start_time",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="local_actor.id", ondelete="CASCADE")
    object_id: str = Field(max_length=2048, index=True)
    author: str = Field(max_length=2048, index=True)
    # the member network it arrived through (an Announce); "" when it came from its author
    via: str = Field(default="", max_length=2048)
    # member | followed
    source: str = Field(default="member", max_length=16)
    # relayed | held | hidden | followed
    state: str = Field(default="relayed", max_length=16)
    reason: str = Field(default="", max_length=500)
    document: dict[str, Any] = json_dict()
    # the version of the cleaning rules the document was filed under (clean.RULES in
    # node/features/networks/clean.py): a document of the current rules is shown as stored, any
    # other (0: filed before versions were recorded) is cleaned again when shown
    clean_rules: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # event | news | call | note | other
    kind: str = Field(default="other", max_length=16, index=True)
    start_time: datetime | None = opt_ts()
    end_time: datetime | None = opt_ts()
    # when an event is over: its end, else 12 hours after its start (None: no start)
    ends_at: datetime | None = opt_ts()
    # its class of duration: 0 a day or less (or no start), k up to 4^k days (facts.SPANS)
    span_class: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    region: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2)
    # lower-case hashtags between spaces (" food coops "), so LIKE '% tag %' filters anywhere
    tags: str = Field(default="", max_length=2000)
    category: str = Field(default="", max_length=64)
    online: bool = False
    announce_id: str = Field(default="", max_length=2048)
    received_at: datetime = ts()
    # when its author published it (its ``published``), never later than it arrived: the
    # timeline's order (a new member's recent posts arrive at once, so arrival is no order)
    published: datetime = ts()
    updated_at: datetime = ts()


class NetworkRules(SQLModel, table=True):
    """What a network relays: empty lists mean "everything"; blocked domains never pass."""

    __tablename__ = "network_rules"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="local_actor.id", unique=True, ondelete="CASCADE")
    kinds: list[str] = json_list()
    tags: list[str] = json_list()
    regions: list[str] = json_list()
    blocked_domains: list[str] = json_list()
    updated_at: datetime = ts()


class Relay(SQLModel, table=True):
    """An ActivityPub relay this node subscribes to (its instance actor follows it)."""

    __tablename__ = "relay"

    id: int | None = Field(default=None, primary_key=True)
    # what the admin gave: the relay's inbox (Mastodon style) or its actor (LitePub style)
    url: str = Field(max_length=2048, unique=True, index=True)
    # mastodon | litepub
    style: str = Field(max_length=16)
    inbox: str = Field(max_length=2048)
    # the relay's actor id ("" until known: a Mastodon-style relay answers as its actor)
    actor: str = Field(default="", max_length=2048)
    follow_id: str = Field(max_length=2048, index=True)
    # pending | accepted | rejected
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = ts()


class CalendarStamp(SQLModel, table=True):
    """A generation per actor, bumped by database triggers (migration 0016) on every insert,
    update and delete of its items, aggregated items and series: a calendar's validator is read
    from here before any event is loaded. No foreign key: a deleted actor's rows are deleted
    too, and their triggers still bump."""

    __tablename__ = "calendar_stamp"

    actor_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    generation: int = 0
