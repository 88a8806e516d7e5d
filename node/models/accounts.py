"""Who may act on this node: API tokens of an actor, user accounts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from node.models.columns import opt_ts, ts


class ApiToken(SQLModel, table=True):
    """A bearer token for one actor's API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = ts()
    last_used_at: datetime | None = opt_ts()
    # None: the token never expires (``solnode token create SLUG --expires-in DAYS`` sets one).
    expires_at: datetime | None = opt_ts()
    # Set by ``solnode token revoke ID``; a revoked token is kept so that it can be told apart.
    revoked_at: datetime | None = opt_ts()


class UserAccount(SQLModel, table=True):
    """A person who administers the node or an actor (sign-in comes with the web UI)."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(default="", max_length=255)
    is_admin: bool = False
    created_at: datetime = ts()
