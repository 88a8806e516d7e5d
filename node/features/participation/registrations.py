"""Registrations on the event page by people without a fediverse account.

One registration per person per event: the person is their e-mail address when they give one,
else the browser they register from (a hash of its form cookie). A unique index on
(event, person) makes this hold for two submits at the same moment too; the loser of that race
finds the winner's row. Each new registration gets a secret token: its SHA-256 is stored, the
token itself is only in the address of the registration's own page, where the person sees it
(and, for an approval-only event once approved, the online link) and can cancel it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from node.db import as_utc, now_utc
from node.features.participation.handlers import (
    ParticipationError,
    join_state,
    refresh_count,
)
from node.models import Item, Participant
from node.web.i18n import N_

__all__ = [
    "ACTIVE",
    "ParticipationError",
    "Registration",
    "cancel",
    "confirm",
    "find",
    "person_key",
    "register_on_page",
    "token_hash",
]

# Why a registration is not open, one whole sentence per state (join_state's codes).
CLOSED = {
    "closed": N_("registration is closed"),
    "full": N_("registration is full"),
}

# states in which someone counts as registered (a second registration is refused)
ACTIVE = ("unconfirmed", "pending", "accepted", "rejected")
# With SOLNODE_REGISTRATION_CONFIRM, a registration waits in "unconfirmed" (taking no place) until
# the person opens the e-mailed link; after this long the link expires and they may register again.
CONFIRM_WITHIN = timedelta(hours=48)


def _expired(row: Participant) -> bool:
    return row.state == "unconfirmed" and as_utc(row.updated_at) < now_utc() - CONFIRM_WITHIN


@dataclass(frozen=True, slots=True)
class Registration:
    """The outcome of a registration: the row, and the secret token of its page (None when the
    person was already registered: the page's address is never given to a second comer, who
    could be anyone who knows the e-mail address)."""

    row: Participant
    token: str | None

    @property
    def duplicate(self) -> bool:
        """The person was already registered; nothing new was stored."""
        return self.token is None


def token_hash(token: str) -> str:
    """What is stored of a registration's secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def person_key(email: str, browser: str) -> str:
    """Who registers: their e-mail address (case-folded), else their browser's form cookie."""
    if email:
        return "email:" + email.strip().casefold()
    return "browser:" + hashlib.sha256(browser.encode()).hexdigest()


def _existing(session: Session, item_id: int, key: str) -> Participant | None:
    return session.exec(
        select(Participant).where(Participant.item_id == item_id, Participant.person_key == key)
    ).first()


def _state_for(session: Session, item: Item) -> str:
    state = join_state(session, item)
    if state != "open":
        said = CLOSED.get(state, N_("registration is %(state)s"))
        raise ParticipationError(state, said, state=state)
    return "accepted" if item.source.get("joinMode", "free") == "free" else "pending"


def register_on_page(
    session: Session,
    item: Item,
    name: str,
    email: str,
    browser: str,
    *,
    confirm: bool = False,
) -> Registration:
    """Someone without a fediverse account registers on the event page (once); ``confirm``:
    it waits, taking no place, until they open the e-mailed link (:func:`confirm`)."""
    assert item.id is not None
    key = person_key(email, browser)
    row = _existing(session, item.id, key)
    if row is not None and row.state in ACTIVE and not _expired(row):
        return Registration(row, None)
    state = _state_for(session, item)  # refused now if the event is closed or full
    if confirm:
        state = "unconfirmed"
    token = secrets.token_urlsafe(24)
    if row is None:
        row = Participant(
            item_id=item.id, join_id=f"urn:uuid:{uuid.uuid4()}", person_key=key, email=email
        )
    row.name, row.state, row.manage_hash = name, state, token_hash(token)
    row.updated_at = now_utc()
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same person, at the same moment, in another transaction: theirs stands.
        winner = _existing(session, item.id, key)
        if winner is None:
            raise
        return Registration(winner, None)
    if state == "accepted":
        refresh_count(session, item)
    return Registration(row, token)


def find(session: Session, item: Item, token: str) -> Participant | None:
    """The registration whose page has ``token`` in its address, if it is of ``item``."""
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(Participant).where(Participant.manage_hash == token_hash(token))
    ).first()
    return row if row is not None and row.item_id == item.id else None


def confirm(session: Session, item: Item, row: Participant) -> None:
    """The person opened the e-mailed link and confirmed: the registration now counts (or
    waits for the organizer). ParticipationError when it expired or the event filled up."""
    if row.state != "unconfirmed":
        return
    if _expired(row):
        raise ParticipationError("expired", N_("the confirmation link expired: register again"))
    row.state = _state_for(session, item)
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    if row.state == "accepted":
        refresh_count(session, item)


def cancel(session: Session, item: Item, row: Participant) -> None:
    """The person cancels their registration; the place is free again."""
    if row.state == "left":
        return
    was_accepted = row.state == "accepted"
    row.state = "left"
    row.updated_at = now_utc()
    session.add(row)
    session.flush()
    if was_accepted:
        refresh_count(session, item)
