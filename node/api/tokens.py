"""API tokens and user accounts: creation and verification (only hashes are stored)."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlmodel import Session, select

from node.db import now_utc
from node.federation.actors.local import get_actor
from node.models import ApiToken, LocalActor, UserAccount

TOKEN_PREFIX = "sn_"  # noqa: S105  (a prefix, not a secret)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user cannot be created as asked."""


def hash_token(token: str) -> str:
    """SHA-256 of a bearer token (tokens are random, so a fast hash is the right one)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, slug: str, *, label: str = "") -> str:
    """A new bearer token for an actor's API; returns the token (never stored in clear)."""
    actor = get_actor(session, slug)
    if actor is None:
        raise LookupError(f"no organization or network with slug {slug!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert actor.id is not None
    session.add(ApiToken(actor_id=actor.id, token_hash=hash_token(token), label=label))
    return token


def actor_for_token(session: Session, token: str) -> LocalActor | None:
    """The actor a bearer token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None:
        return None
    row.last_used_at = now_utc()
    session.add(row)
    return session.get(LocalActor, row.actor_id)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """scrypt password hash in the form ``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = salt or secrets.token_bytes(16)
    n, r, p = 2**14, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def create_user(
    session: Session, email: str, *, password: str = "", admin: bool = False
) -> tuple[UserAccount, str]:
    """Create a user; returns it and the generated password ('' when one was given)."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise UserError(f"{email!r} is not an e-mail address")
    if session.exec(select(UserAccount).where(UserAccount.email == email)).first():
        raise UserError(f"a user with e-mail {email} already exists")
    generated = ""
    if not password:
        generated = password = secrets.token_urlsafe(12)
    elif len(password) < 10:
        raise UserError("the password must be at least 10 characters long")
    user = UserAccount(email=email, password_hash=hash_password(password), is_admin=admin)
    session.add(user)
    session.flush()
    return user, generated
