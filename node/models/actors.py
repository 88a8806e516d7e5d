"""Local and remote actors: our organizations, networks and instance actor; the fediverse's cached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from node.models.columns import json_dict, long_text, ts


class LocalActor(SQLModel, table=True):
    """An organization, a network, or the instance actor hosted on this node."""

    __tablename__ = "local_actor"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    # organization | network | application
    kind: str = Field(max_length=16, index=True)
    name: str = Field(max_length=200)
    summary: str = long_text()
    manually_approves_followers: bool = False
    # networks only: admit members without an admin's approval
    auto_admit: bool = False
    discoverable: bool = True
    # profile: icon, image, website, fields, region, country, latitude, longitude, essglobal
    profile: dict[str, Any] = json_dict()
    rsa_private_pem: str = long_text()
    rsa_public_pem: str = long_text()
    ed_private_pem: str = long_text()
    ed_public_pem: str = long_text()
    # the actor it moved to (`solnode move`): its document says movedTo, followers were sent Move
    moved_to: str = Field(default="", max_length=2048, sa_column_kwargs={"server_default": ""})
    # public activities in its outbox, counted as send() stores them: the outbox's
    # totalItems without a count(*) over a network's million Announces per request
    outbox_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # accepted followers and followings, admitted members (a network's) and memberships (the
    # networks it belongs to), kept by database triggers on those tables (migration 0018) in
    # the transaction of every change: totalItems and profile counts without a count(*)
    followers_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    following_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    members_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    memberships_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = ts()
    updated_at: datetime = ts()


class RemoteActor(SQLModel, table=True):
    """A cached actor document of another server, with its keys."""

    __tablename__ = "remote_actor"

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(default="Person", max_length=32)
    preferred_username: str = Field(default="", max_length=255)
    domain: str = Field(default="", max_length=255, index=True)
    name: str = Field(default="", max_length=500)
    inbox: str = Field(default="", max_length=2048)
    shared_inbox: str = Field(default="", max_length=2048)
    url: str = Field(default="", max_length=2048)
    followers_url: str = Field(default="", max_length=2048)
    public_key_id: str = Field(default="", max_length=2048, index=True)
    public_key_pem: str = long_text()
    # FEP-521a Multikeys: [{"id": ..., "publicKeyMultibase": ...}]
    multikeys: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    document: dict[str, Any] = json_dict()
    fetched_at: datetime = ts()
