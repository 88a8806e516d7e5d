"""The federation engine's tables: activities in and out, the job queue, host health.

Job times are epoch seconds, compared in SQL on both dialects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from node.models.columns import json_dict, long_text, opt_ts, ts


class InboxActivity(SQLModel, table=True):
    """An activity accepted at an inbox: stored raw before it is processed by an inbox job."""

    __tablename__ = "inbox_activity"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(max_length=64)
    # no index: nothing reads inbox rows by sender, and every POST paid its B-tree (0027)
    actor: str = Field(max_length=2048)
    # slug of the personal inbox it arrived at; None for the shared inbox
    recipient: str | None = Field(default=None, max_length=64)
    raw: str = long_text()
    signer: str = Field(default="", max_length=2048)
    verified_by: str = Field(default="", max_length=32)
    received_at: datetime = ts()
    processed_at: datetime | None = opt_ts()
    result: str = Field(default="", max_length=500)


class OutboxActivity(SQLModel, table=True):
    """An activity one of our actors sent; kept so its id can be dereferenced and paged."""

    __tablename__ = "outbox_activity"
    # (published, id): the outbox's keyset order, one index range per page
    __table_args__ = (Index("ix_outbox_actor_published", "actor_id", "published", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", ondelete="CASCADE")
    type: str = Field(max_length=64)
    object_id: str = Field(default="", max_length=2048, index=True)
    document: dict[str, Any] = json_dict()
    # the exact bytes to send, when they are not ours to re-serialise: an activity a network
    # forwards to its followers (inbox forwarding) goes out as it arrived; "" = the document
    raw: str = long_text()
    public: bool = True
    published: datetime = ts()


class Job(SQLModel, table=True):
    """One unit of background work; see node/federation/jobs.py for the claim/lease/retry protocol."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_ready", "state", "run_at"),
        Index("ix_job_host", "host", "state", "run_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = json_dict()
    dedupe_key: str | None = Field(default=None, max_length=512, unique=True)
    # ready | done | dead
    state: str = Field(default="ready", max_length=8)
    run_at: float = 0.0
    attempts: int = 0
    locked_until: float | None = None
    locked_by: str | None = Field(default=None, max_length=128)
    last_error: str = Field(default="", max_length=2000)
    last_status: int | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    # A deliver job's inbox host (circuit key): a dead host's backlog is held in one UPDATE.
    host: str | None = Field(default=None, max_length=255)


class HostState(SQLModel, table=True):
    """Delivery health of a remote host, for the circuit breaker."""

    __tablename__ = "host_state"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255, unique=True, index=True)
    consecutive_failures: int = 0
    first_failure_at: float | None = None
    open_until: float | None = None
    last_error: str = Field(default="", max_length=500)
