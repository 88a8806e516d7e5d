"""SQLModel tables. Times are UTC; job times are epoch seconds (compared in SQL on both dialects).

Schema changes go through Alembic migrations in node/migrations; a test checks that the
migrations and these models agree on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from node.db import now_utc


def _ts(**kwargs: Any) -> Any:
    return Field(default_factory=now_utc, sa_type=DateTime(timezone=True), **kwargs)


def _opt_ts(**kwargs: Any) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False), **kwargs)


def _text(**kwargs: Any) -> Any:
    return Field(default="", sa_column=Column(Text, nullable=False), **kwargs)


class LocalActor(SQLModel, table=True):
    """An organization, a network, or the instance actor hosted on this node."""

    __tablename__ = "local_actor"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    # organization | network | application
    kind: str = Field(max_length=16, index=True)
    name: str = Field(max_length=200)
    summary: str = _text()
    manually_approves_followers: bool = False
    # networks only: admit members without an admin's approval
    auto_admit: bool = False
    discoverable: bool = True
    # profile: icon, image, website, fields, region, country, latitude, longitude, essglobal
    profile: dict[str, Any] = _json()
    rsa_private_pem: str = _text()
    rsa_public_pem: str = _text()
    ed_private_pem: str = _text()
    ed_public_pem: str = _text()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ApiToken(SQLModel, table=True):
    """A bearer token for one actor's API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = _ts()
    last_used_at: datetime | None = _opt_ts()


class UserAccount(SQLModel, table=True):
    """A person who administers the node or an actor (sign-in comes with the web UI)."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(default="", max_length=255)
    is_admin: bool = False
    created_at: datetime = _ts()


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
    public_key_pem: str = _text()
    # FEP-521a Multikeys: [{"id": ..., "publicKeyMultibase": ...}]
    multikeys: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    document: dict[str, Any] = _json()
    fetched_at: datetime = _ts()


class Follower(SQLModel, table=True):
    """A remote actor following one of our actors (pending until accepted)."""

    __tablename__ = "follower"
    __table_args__ = (UniqueConstraint("actor_id", "remote_id", name="uq_follower_actor_remote"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    remote_id: str = Field(max_length=2048, index=True)
    inbox: str = Field(default="", max_length=2048)
    shared_inbox: str = Field(default="", max_length=2048)
    follow_id: str = Field(default="", max_length=2048)
    # pending | accepted
    state: str = Field(default="accepted", max_length=16)
    created_at: datetime = _ts()


class Following(SQLModel, table=True):
    """One of our actors following a remote actor (networks, relays, outside calendars)."""

    __tablename__ = "following"
    __table_args__ = (UniqueConstraint("actor_id", "target_id", name="uq_following_actor_target"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    target_id: str = Field(max_length=2048, index=True)
    follow_id: str = Field(max_length=2048, index=True)
    # pending | accepted | rejected
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = _ts()


class InboxActivity(SQLModel, table=True):
    """An activity accepted at an inbox: stored raw before it is processed by an inbox job."""

    __tablename__ = "inbox_activity"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    type: str = Field(max_length=64)
    actor: str = Field(max_length=2048, index=True)
    # slug of the personal inbox it arrived at; None for the shared inbox
    recipient: str | None = Field(default=None, max_length=64)
    raw: str = _text()
    signer: str = Field(default="", max_length=2048)
    verified_by: str = Field(default="", max_length=32)
    received_at: datetime = _ts()
    processed_at: datetime | None = _opt_ts()
    result: str = Field(default="", max_length=500)


class Item(SQLModel, table=True):
    """Something one of our actors published: an event, a call for collaboration, news, a note."""

    __tablename__ = "item"
    __table_args__ = (Index("ix_item_actor_published", "actor_id", "published"),)

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # event | call | news | note
    kind: str = Field(max_length=16, index=True)
    # the ActivityStreams object as served
    document: dict[str, Any] = _json()
    # what the author gave (API fields), for editing
    source: dict[str, Any] = _json()
    start_time: datetime | None = _opt_ts(index=True)
    end_time: datetime | None = _opt_ts()
    parent_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    # an occurrence of a recurring series: the series and the occurrence's index in it
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    series_index: int | None = None
    published: datetime = _ts()
    updated: datetime = _ts()
    deleted_at: datetime | None = _opt_ts()


class Series(SQLModel, table=True):
    """A recurring event: the template as the author gave it; occurrences are Items published
    a few at a time ahead (node/features/publishing/service/series.py)."""

    __tablename__ = "series"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=100, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # the API JSON of the series (with its recurrence), for editing and for new occurrences
    source: dict[str, Any] = _json()
    # occurrences 0 .. published_count-1 have been published (or skipped, being over)
    published_count: int = 0
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    deleted_at: datetime | None = _opt_ts()


class ItemTag(SQLModel, table=True):
    """A hashtag of an item, lower-cased, for the tag pages."""

    __tablename__ = "item_tag"
    __table_args__ = (UniqueConstraint("item_id", "tag", name="uq_item_tag_item_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True, ondelete="CASCADE")
    tag: str = Field(max_length=64, index=True)


class Participant(SQLModel, table=True):
    """Someone taking part in one of our events: a remote actor who sent a Join, or a person
    who registered on the event page (no actor; a name and maybe an e-mail address)."""

    __tablename__ = "participant"
    __table_args__ = (Index("ix_participant_item_state", "item_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", ondelete="CASCADE")
    # remote actor id; empty for a registration on the event page
    actor: str = Field(default="", max_length=2048, index=True)
    # the Join activity's id (a urn:uuid: for registrations on the page)
    join_id: str = Field(max_length=2048, unique=True, index=True)
    join_document: dict[str, Any] = _json()
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    # pending | accepted | rejected | left
    state: str = Field(default="pending", max_length=16)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class OutboxActivity(SQLModel, table=True):
    """An activity one of our actors sent; kept so its id can be dereferenced and paged."""

    __tablename__ = "outbox_activity"
    __table_args__ = (Index("ix_outbox_actor_published", "actor_id", "published"),)

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    actor_id: int = Field(foreign_key="local_actor.id", ondelete="CASCADE")
    type: str = Field(max_length=64)
    object_id: str = Field(default="", max_length=2048, index=True)
    document: dict[str, Any] = _json()
    # the exact bytes to send, when they are not ours to re-serialise: an activity a network
    # forwards to its followers (inbox forwarding) goes out as it arrived; "" = the document
    raw: str = _text()
    public: bool = True
    published: datetime = _ts()


class Interaction(SQLModel, table=True):
    """A remote Like, Announce or reply that targets one of our items."""

    __tablename__ = "interaction"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    # like | announce | reply
    kind: str = Field(max_length=16)
    actor: str = Field(max_length=2048)
    object_id: str = Field(max_length=2048, index=True)
    content: str = _text()
    document: dict[str, Any] = _json()
    # pending | approved | hidden
    state: str = Field(default="approved", max_length=16)
    created_at: datetime = _ts()


class Tombstone(SQLModel, table=True):
    """An id that was deleted: never served again as content, never created again."""

    __tablename__ = "tombstone"

    id: int | None = Field(default=None, primary_key=True)
    ap_id: str = Field(max_length=2048, unique=True, index=True)
    former_type: str = Field(default="", max_length=64)
    deleted_at: datetime = _ts()


class Job(SQLModel, table=True):
    """One unit of background work; see node/federation/jobs.py for the claim/lease/retry protocol."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_ready", "state", "run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = _json()
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


class HostState(SQLModel, table=True):
    """Delivery health of a remote host, for the circuit breaker."""

    __tablename__ = "host_state"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255, unique=True, index=True)
    consecutive_failures: int = 0
    first_failure_at: float | None = None
    open_until: float | None = None
    last_error: str = Field(default="", max_length=500)


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
    created_at: datetime = _ts()


class DomainAllow(SQLModel, table=True):
    """A server that may post to us when SOLNODE_FEDERATION_MODE is allowlist."""

    __tablename__ = "domain_allow"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=255, unique=True, index=True)
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = _ts()


class ActorBlock(SQLModel, table=True):
    """A remote actor whose activities are refused at the inbox."""

    __tablename__ = "actor_block"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=2048, unique=True, index=True)
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = _ts()


class Report(SQLModel, table=True):
    """An incoming Flag: someone reports one of our actors or items to this node's admins."""

    __tablename__ = "report"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=2048, unique=True, index=True)
    reporter: str = Field(max_length=2048)
    target_actor: str = Field(default="", max_length=2048)
    target_objects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content: str = _text()
    # open | resolved
    state: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = _ts()
    resolved_at: datetime | None = _opt_ts()


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
    created_at: datetime = _ts(index=True)


# The network tables live in node/models/networks.py (this module would pass ~400 lines);
# imported here so that `import node.models` registers every table (and re-exported).
from node.models.networks import Membership as Membership  # noqa: E402
from node.models.networks import NetworkItem as NetworkItem  # noqa: E402
from node.models.networks import NetworkRules as NetworkRules  # noqa: E402
from node.models.networks import OutgoingMembership as OutgoingMembership  # noqa: E402
from node.models.networks import Relay as Relay  # noqa: E402
