"""People who work in the workspace: accounts, passwords, and their roles for organizations
and networks (``admin`` or ``editor``; node admins may act on every actor)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from node.features.workspace.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    TOO_SHORT,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from node.federation.actors.local import get_actor
from node.models import LocalActor, StaffRole, UserAccount
from node.web.forms import EMAIL as EMAIL_RE
from node.web.i18n import N_
from node.web.wording import Worded

ROLES = ("editor", "admin")  # lowest first
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
# Compared against when the e-mail is unknown, so a wrong address costs as long as a wrong
# password (no timing difference tells which e-mails have accounts).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$wVjVF23mqBbpl2n5lY5XnA$LrtqDcdj2hEEWSDO1ZsHYfoI4BiVG6Qu9PV4W/HT4yc"


class UserError(Worded):
    """A person or a role cannot be created or changed as asked (the message says why)."""


@dataclass(frozen=True)
class StaffUser:
    """The signed-in person, as the workspace sees them."""

    id: int
    email: str
    is_node_admin: bool


def staff_user(user: UserAccount) -> StaffUser:
    """The plain view of an account row."""
    assert user.id is not None
    return StaffUser(id=user.id, email=user.email, is_node_admin=user.is_admin)


def normalize_email(email: str) -> str:
    """The e-mail as stored (trimmed, lower case); UserError when it is not one."""
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise UserError(N_("%(email)s is not an e-mail address"), email=repr(email[:80]))
    return email


def find_user(session: Session, email: str) -> UserAccount | None:
    """The account with this e-mail, if any."""
    return session.exec(
        select(UserAccount).where(UserAccount.email == email.strip().lower())
    ).first()


def create_user(
    session: Session, email: str, *, password: str = "", admin: bool = False
) -> tuple[UserAccount, str]:
    """Create a person; returns the account and the generated password ('' when one was given)."""
    email = normalize_email(email)
    if find_user(session, email) is not None:
        raise UserError(N_("a user with e-mail %(email)s already exists"), email=email)
    generated = ""
    if not password:
        generated = password = secrets.token_urlsafe(12)
    problem = password_problem(password)
    if problem:
        raise UserError(problem, count=MIN_LENGTH if problem == TOO_SHORT else MAX_LENGTH)
    user = UserAccount(email=email, password_hash=hash_password(password), is_admin=admin)
    session.add(user)
    session.flush()
    return user, generated


def authenticate(session: Session, email: str, password: str) -> UserAccount | None:
    """The account when e-mail and password match (its hash upgraded if needed), else None."""
    user = find_user(session, email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def set_password(session: Session, user: UserAccount, password: str) -> None:
    """Give ``user`` a new password (UserError when it is too short or too long)."""
    problem = password_problem(password)
    if problem:
        raise UserError(problem, count=MIN_LENGTH if problem == TOO_SHORT else MAX_LENGTH)
    user.password_hash = hash_password(password)
    session.add(user)


def role_for(session: Session, user: StaffUser, actor: LocalActor) -> str | None:
    """The person's role for ``actor``: node admins are admins everywhere; None: no role."""
    if user.is_node_admin:
        return "admin"
    row = session.exec(
        select(StaffRole).where(StaffRole.user_id == user.id, StaffRole.actor_id == actor.id)
    ).first()
    return row.role if row else None


def actors_of(session: Session, user: StaffUser) -> list[tuple[LocalActor, str]]:
    """The organizations and networks the person works for, with their role, by name."""
    if user.is_node_admin:
        actors = session.exec(
            select(LocalActor)
            .where(LocalActor.kind != "application")
            .order_by(col(LocalActor.name))
        ).all()
        return [(a, "admin") for a in actors]
    rows = session.exec(
        select(LocalActor, StaffRole)
        .join(StaffRole, col(StaffRole.actor_id) == col(LocalActor.id))
        .where(StaffRole.user_id == user.id)
        .order_by(col(LocalActor.name))
    ).all()
    return [(a, r.role) for a, r in rows]


def grant(session: Session, user: UserAccount, actor: LocalActor, role: str) -> StaffRole:
    """Give ``user`` ``role`` for ``actor`` (replacing the role they had there)."""
    if role not in RANK:
        raise UserError(
            N_("the role must be one of %(roles)s, not %(role)s"),
            roles=", ".join(ROLES),
            role=repr(role[:40]),
        )
    row = session.exec(
        select(StaffRole).where(StaffRole.user_id == user.id, StaffRole.actor_id == actor.id)
    ).first()
    if row is None:
        assert user.id is not None and actor.id is not None
        row = StaffRole(user_id=user.id, actor_id=actor.id, role=role)
    row.role = role
    session.add(row)
    session.flush()
    return row


def grant_by_email(session: Session, email: str, slug: str, role: str) -> StaffRole:
    """``solnode user grant EMAIL SLUG --role ROLE``: the account and actor must exist."""
    user = find_user(session, email)
    if user is None:
        raise UserError(N_("no user with e-mail %(email)s"), email=email.strip().lower()[:320])
    actor = get_actor(session, slug)
    if actor is None or actor.kind == "application":
        raise UserError(N_("no organization or network with slug %(slug)s"), slug=repr(slug[:64]))
    return grant(session, user, actor, role)


def revoke(session: Session, user_id: int, actor: LocalActor) -> bool:
    """Take away a person's role for ``actor``; False when they had none."""
    row = session.exec(
        select(StaffRole).where(StaffRole.user_id == user_id, StaffRole.actor_id == actor.id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    return True


def staff_of(session: Session, actor: LocalActor) -> list[tuple[UserAccount, str]]:
    """Who works for ``actor`` (node admins aside), by e-mail."""
    rows = session.exec(
        select(UserAccount, StaffRole)
        .join(StaffRole, col(StaffRole.user_id) == col(UserAccount.id))
        .where(StaffRole.actor_id == actor.id)
        .order_by(col(UserAccount.email))
    ).all()
    return [(u, r.role) for u, r in rows]
