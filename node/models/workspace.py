"""The workspace: who works for which organization or network, sign-in sessions, and the
one-use links (invitations, password resets) an admin hands out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from node.models.columns import json_dict, long_text, opt_ts, ts


class StaffRole(SQLModel, table=True):
    """One person's role (``admin`` or ``editor``) for one organization or network."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("user_id", "actor_id", name="uq_staff_role_user_actor"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    created_at: datetime = ts()


class WebSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, only its SHA-256 is stored."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = ts()
    expires_at: datetime = ts()


class AccountLink(SQLModel, table=True):
    """A one-use link: an invitation to work for an actor (``invite``) or a password reset
    (``reset``) of an existing person. Only the SHA-256 of its token is stored."""

    __tablename__ = "account_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    kind: str = Field(max_length=16)
    # reset: whose password; invite: set once the invitation is taken
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    # invite: for which organization or network, with which role
    actor_id: int | None = Field(
        default=None, foreign_key="local_actor.id", index=True, ondelete="CASCADE"
    )
    role: str = Field(default="", max_length=16)
    created_by: int | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = ts()
    expires_at: datetime = ts()
    used_at: datetime | None = opt_ts()


class Draft(SQLModel, table=True):
    """Something an organization prepares in the workspace and has not published: an event,
    a repeating event (``series``), a call or news, as the API's JSON. It is not public and
    nothing is sent for it; with ``publish_at`` a ``publish-draft`` job publishes it then (and
    the row goes away); ``problem`` says why that failed, if it did."""

    __tablename__ = "draft"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True, ondelete="CASCADE")
    # event | series | call | news
    kind: str = Field(max_length=16)
    source: dict[str, Any] = json_dict()
    publish_at: datetime | None = opt_ts(index=True)
    # a series: how many dates to keep published ahead (None: the service's default)
    ahead: int | None = None
    problem: str = long_text()
    created_at: datetime = ts()
    updated_at: datetime = ts()
