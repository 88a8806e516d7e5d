"""Sign-in sessions: a random token in an ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure`` on
https), only its SHA-256 in ``web_session``; a new token at every sign-in (a token set before
is never adopted: session fixation), gone at sign-out, all of a person's gone at "sign out
everywhere" and at a password change.

The CSRF token of a signed-in form is ``HMAC(secret_key, session token)``: it changes with the
session, and another site can neither read it nor compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select
from starlette.responses import Response

from node.db import as_utc, now_utc, session_scope
from node.features.workspace.accounts import StaffUser, staff_user
from node.models import UserAccount, WebSession
from node.settings import Settings

COOKIE = "sn_session"
COOKIE_PATH = "/workspace"
LIFETIME = timedelta(days=14)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user_id: int, *, replacing: str | None = None) -> str:
    """A new session for the person (the one the browser had, if any, ends): its token."""
    if replacing:
        session.exec(delete(WebSession).where(col(WebSession.token_hash) == _digest(replacing)))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_digest(token), user_id=user_id, expires_at=now_utc() + LIFETIME)
    )
    return token


def signed_in(engine: Engine, token: str | None) -> StaffUser | None:
    """The person whose live session this token is, or None (unknown, expired, malformed)."""
    if not token or len(token) > 100:
        return None
    with Session(engine) as session:
        row = session.exec(
            select(WebSession, UserAccount)
            .join(UserAccount, col(UserAccount.id) == col(WebSession.user_id))
            .where(WebSession.token_hash == _digest(token))
        ).first()
    if row is None or as_utc(row[0].expires_at) <= now_utc():
        return None
    return staff_user(row[1])


def end_session(engine: Engine, token: str | None) -> None:
    """Sign this browser out (nothing happens for an unknown token)."""
    if token:
        with session_scope(engine) as session:
            session.exec(delete(WebSession).where(col(WebSession.token_hash) == _digest(token)))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Sign the person out on every browser."""
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))


def csrf_token(secret: str, token: str) -> str:
    """The CSRF token of the forms shown in this session."""
    return hmac.new(secret.encode(), b"workspace-csrf|" + token.encode(), "sha256").hexdigest()


def csrf_ok(secret: str, token: str, posted: str | None) -> bool:
    """Whether a posted CSRF token belongs to this session."""
    return bool(posted) and hmac.compare_digest(csrf_token(secret, token), str(posted)[:200])


def set_cookie(response: Response, settings: Settings, token: str) -> None:
    """Put the session token in its cookie."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.scheme == "https",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    """Forget the session cookie in the browser."""
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.scheme == "https",
    )
