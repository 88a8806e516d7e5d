"""Moderation: domain blocks and allows, actor blocks, reports, the moderation log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from node.models.columns import long_text, opt_ts, ts


class DomainBlock(SQLModel, table=True):
    """A server we refuse (reject) or keep at a distance (limit); subdomains included."""

    __tablename__ = "domain_block"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True, index=True)
    # reject: refused at the inbox, never fetched or delivered to | limit: accepted, held back
    severity: str = Field(max_length=16)
    reason: str = Field(default="", max_length=1000)
    # "manual", or the blocklist URL (or file) an import took it from
    source: str = Field(default="manual", max_length=2048)
    created_at: datetime = ts()


class DomainAllow(SQLModel, table=True):
    """A server that may post to us when SOLNODE_FEDERATION_MODE is allowlist."""

    __tablename__ = "domain_allow"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True, index=True)
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = ts()


class ActorBlock(SQLModel, table=True):
    """A remote actor whose activities are refused at the inbox."""

    __tablename__ = "actor_block"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=2048, unique=True, index=True)
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = ts()


class Report(SQLModel, table=True):
    """An incoming Flag: someone reports one of our actors or items to this node's admins."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    reporter: str = Field(max_length=2048)
    target_actor: str = Field(default="", max_length=2048)
    target_objects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content: str = long_text()
    # open | resolved
    state: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = ts()
    resolved_at: datetime | None = opt_ts()


class ModerationLog(SQLModel, table=True):
    """Who decided what about whom, why and when: the accountability trail of moderation."""

    __tablename__ = "moderation_log"

    id: int | None = Field(default=None, primary_key=True)
    # "cli:<os user>", "admin:<email>", or a remote actor id for reports received
    who: str = Field(max_length=2048)
    # block_domain, unblock_domain, allow_domain, disallow_domain, block_actor, unblock_actor,
    # report_received, report_sent, report_resolved, blocklist_import
    action: str = Field(max_length=32, index=True)
    target: str = Field(default="", max_length=2048)
    reason: str = Field(default="", max_length=2000)
    # a network's own curation decision (node/features/networks/rules.py); None for the node's
    network_id: int | None = Field(
        default=None, foreign_key="local_actor.id", index=True, ondelete="CASCADE"
    )
    created_at: datetime = ts(index=True)
