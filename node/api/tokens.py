"""API tokens: creation and verification (only hashes are stored). People's accounts and
passwords live in node/features/workspace/accounts.py."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from node.db import as_utc, now_utc
from node.federation.actors.local import get_actor
from node.models import ApiToken, LocalActor

TOKEN_PREFIX = "sn_"  # noqa: S105  (a prefix, not a secret)
# The last use is written at most this often per token: not a write on every request.
LAST_USE_EVERY = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 36_500


def hash_token(token: str) -> str:
    """SHA-256 of a bearer token (tokens are random, so a fast hash is the right one)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, slug: str, *, label: str = "", expires_in_days: int | None = None
) -> str:
    """A new bearer token for an actor's API; returns the token (never stored in clear).
    ``expires_in_days`` None: it never expires (until revoked)."""
    actor = get_actor(session, slug)
    if actor is None:
        raise LookupError(f"no organization or network with slug {slug!r}")
    if expires_in_days is not None and not 0 < expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"--expires-in must be between 1 and {MAX_EXPIRY_DAYS} days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now_utc() + timedelta(days=expires_in_days) if expires_in_days else None
    assert actor.id is not None
    session.add(
        ApiToken(actor_id=actor.id, token_hash=hash_token(token), label=label, expires_at=expires)
    )
    return token


class TokenRefused(LookupError):
    """A token we know of that may no longer be used (``reason``: expired or revoked)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def actor_for_token(session: Session, token: str) -> LocalActor | None:
    """The actor a bearer token belongs to; None for an unknown token; TokenRefused for an
    expired or revoked one. The last use is recorded at most once a minute."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None:
        return None
    now = now_utc()
    if row.revoked_at is not None:
        raise TokenRefused("revoked", "this token was revoked (solnode token create SLUG)")
    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        raise TokenRefused("expired", "this token has expired (solnode token create SLUG)")
    last = as_utc(row.last_used_at) if row.last_used_at is not None else None
    if last is None or now - last >= LAST_USE_EVERY:
        row.last_used_at = now
        session.add(row)
    return session.get(LocalActor, row.actor_id)


@dataclass(frozen=True)
class TokenInfo:
    """What ``solnode token list`` shows of a token (never the token itself)."""

    id: int
    slug: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and as_utc(self.expires_at) <= now_utc():
            return "expired"
        return "active"


def list_tokens(session: Session, slug: str | None = None) -> list[TokenInfo]:
    """The tokens of one actor (or of all), oldest first."""
    query = select(ApiToken, LocalActor).join(
        LocalActor, col(LocalActor.id) == col(ApiToken.actor_id)
    )
    if slug is not None:
        if get_actor(session, slug) is None:
            raise LookupError(f"no organization or network with slug {slug!r}")
        query = query.where(LocalActor.slug == slug)
    rows = session.exec(query.order_by(col(ApiToken.id))).all()
    return [
        TokenInfo(
            id=t.id or 0,
            slug=a.slug,
            label=t.label,
            created_at=as_utc(t.created_at),
            last_used_at=as_utc(t.last_used_at) if t.last_used_at else None,
            expires_at=as_utc(t.expires_at) if t.expires_at else None,
            revoked_at=as_utc(t.revoked_at) if t.revoked_at else None,
        )
        for t, a in rows
    ]


def revoke_token(session: Session, token_id: int) -> bool:
    """Revoke a token by its id; False when there is no such token (revoking twice is fine)."""
    row = session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now_utc()
        session.add(row)
    return True
