"""One-use links an admin copies and hands over (no e-mail needed): an invitation to work for
an organization or network, and a password reset. Only the SHA-256 of a link's token is
stored; a link works once and not after it expires."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from node.db import as_utc, now_utc
from node.features.workspace.accounts import RANK, StaffUser
from node.models import AccountLink, LocalActor, StaffRole, UserAccount
from node.web.i18n import N_
from node.web.wording import Worded

INVITE = "invite"
RESET = "reset"
LIFETIME = {INVITE: timedelta(days=7), RESET: timedelta(days=1)}
PATHS = {INVITE: "/workspace/invitations/", RESET: "/workspace/reset/"}


class LinkError(Worded):
    """A link cannot be made or used (the message says why, for the person)."""


@dataclass(frozen=True)
class LiveLink:
    """A link that may still be used, with what it is for."""

    row: AccountLink
    actor: LocalActor | None
    user: UserAccount | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _make(
    session: Session,
    kind: str,
    made_by: StaffUser,
    *,
    actor_id: int | None = None,
    user_id: int | None = None,
    role: str = "",
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccountLink(
            token_hash=_digest(token),
            kind=kind,
            created_by=made_by.id,
            expires_at=now_utc() + LIFETIME[kind],
            actor_id=actor_id,
            user_id=user_id,
            role=role,
        )
    )
    return PATHS[kind] + token


def make_invitation(session: Session, actor: LocalActor, role: str, made_by: StaffUser) -> str:
    """The path of a new invitation to work for ``actor`` as ``role``."""
    if role not in RANK:
        raise LinkError(N_("Choose admin or editor."))
    return _make(session, INVITE, made_by, actor_id=actor.id, role=role)


def may_reset(session: Session, admin: StaffUser, actor: LocalActor, user: UserAccount) -> bool:
    """Whether ``admin`` (an admin of ``actor``) may hand out a reset link for ``user``: node
    admins for anyone; others only for people who work for this actor and no other, so that
    nobody takes over an account that acts for organizations they do not administer."""
    if admin.is_node_admin:
        return True
    if user.is_admin:
        return False
    roles = session.exec(select(StaffRole).where(StaffRole.user_id == user.id)).all()
    return bool(roles) and all(r.actor_id == actor.id for r in roles)


def make_reset(session: Session, user: UserAccount, made_by: StaffUser) -> str:
    """The path of a new password reset link for ``user``."""
    return _make(session, RESET, made_by, user_id=user.id)


def live(session: Session, kind: str, token: str) -> LiveLink | None:
    """The unused, unexpired link of this kind with this token, or None."""
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(AccountLink).where(
            AccountLink.token_hash == _digest(token), AccountLink.kind == kind
        )
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now_utc():
        return None
    actor = session.get(LocalActor, row.actor_id) if row.actor_id else None
    user = session.get(UserAccount, row.user_id) if row.user_id else None
    if (kind == INVITE and actor is None) or (kind == RESET and user is None):
        return None
    return LiveLink(row=row, actor=actor, user=user)


def use(session: Session, link: LiveLink) -> None:
    """Mark the link used: it never works again. One UPDATE that only an unused link passes,
    so two people racing with the same link cannot both use it (LinkError for the second)."""
    done = session.exec(
        update(AccountLink)
        .where(col(AccountLink.id) == link.row.id, col(AccountLink.used_at).is_(None))
        .values(used_at=now_utc())
    )
    if done.rowcount != 1:
        raise LinkError(N_("This link was used already."))


def pending_invitations(session: Session, actor: LocalActor) -> list[AccountLink]:
    """Invitations to ``actor`` not used yet and not expired (their tokens are not kept)."""
    rows = session.exec(
        select(AccountLink).where(
            AccountLink.kind == INVITE, AccountLink.actor_id == actor.id,
            AccountLink.used_at == None,  # noqa: E711  (SQL IS NULL)
        )
    ).all()  # fmt: skip
    now = now_utc()
    return [r for r in rows if as_utc(r.expires_at) > now]


def withdraw(session: Session, actor: LocalActor, link_id: int) -> bool:
    """Withdraw an unused invitation of ``actor``; False when there is none with this id."""
    row = session.get(AccountLink, link_id) if 0 < link_id < 2**31 else None
    if row is None or row.kind != INVITE or row.actor_id != actor.id or row.used_at is not None:
        return False
    session.delete(row)
    return True
