"""Post-event feedback: once an event has ended, its page asks for a rating (1-5) and a
comment; what people say is stored for the organization's Insight page, never published.

Who gave it is known when the link of the follow-up message says so (``?invite=`` with a
participant's key, node/features/publishing/feedback_followup.py) or when the e-mail given is
that of a registration on the page: then each participant gives feedback once. Anyone else who
was there may too; the per-address limit of the registration form counts those posts.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from node.db import as_utc, now_utc
from node.models import EventFeedback, Item, Participant

COMMENT_MAX = 2000
RATINGS = (1, 2, 3, 4, 5)


class FeedbackError(Exception):
    """Feedback that cannot be taken: ``reason`` is ``not-ended``, ``given`` or ``closed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedbackInput:
    """What the form carried, checked: a rating, a comment, who gave it (if known)."""

    rating: int
    comment: str
    participant_id: int | None = None


def participant_key(secret: str, item: Item, participant_id: int) -> str:
    """The key in a participant's feedback link: ``{id}.{HMAC}`` (the event bound in)."""
    message = f"feedback|{item.ap_id}|{participant_id}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]
    return f"{participant_id}.{mac}"


def participant_of_key(secret: str, item: Item, key: str) -> int | None:
    """The participant a link's key names, or None when it is not one of ours for ``item``."""
    ident, _, _ = key.partition(".")
    if not ident.isdigit() or len(ident) > 12 or len(key) > 64:
        return None
    expected = participant_key(secret, item, int(ident))
    return int(ident) if hmac.compare_digest(expected, key) else None


def has_ended(item: Item) -> bool:
    """Whether the event is over (an event without an end is never asked about)."""
    return (
        item.kind == "event" and item.end_time is not None and (as_utc(item.end_time) <= now_utc())
    )


def clean_comment(value: str) -> str | None:
    """The comment, trimmed; None when it is too long or carries control characters."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if len(text) > COMMENT_MAX:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        return None
    return text


def registration_of(session: Session, item: Item, email: str) -> int | None:
    """The registration on the page with this e-mail address (any case), if any."""
    if not email:
        return None
    row = session.exec(
        select(Participant.id).where(
            Participant.item_id == item.id,
            Participant.actor == "",
            func.lower(Participant.email) == email.lower(),
        )
    ).first()
    return row


def give(session: Session, item: Item, given: FeedbackInput) -> EventFeedback:
    """Store feedback on an ended event (FeedbackError when not yet, or given already)."""
    if item.deleted_at is not None or item.kind != "event":
        raise FeedbackError("closed")
    if not has_ended(item):
        raise FeedbackError("not-ended")
    assert item.id is not None
    row = EventFeedback(item_id=item.id, participant_id=given.participant_id,
                        rating=given.rating, comment=given.comment)  # fmt: skip
    # The unique index on (event, participant) decides, not a look first: two posts of the same
    # link at the same moment (a double click, a resent form) both pass any look, and the
    # second must be "already received", not a server error. Anonymous feedback (no
    # participant) is never a duplicate: NULLs are distinct in the index on both databases.
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise FeedbackError("given") from exc
    return row


def page_context(secret: str, item: Item, query: Any) -> dict[str, Any] | None:
    """What the event page's feedback section needs, or None before the event has ended."""
    if not has_ended(item) or item.source.get("status") == "cancelled":
        return None
    invite = str(query.get("invite", ""))[:64]
    return {
        "action": f"{item.ap_id}/feedback",
        "invite": invite if participant_of_key(secret, item, invite) is not None else "",
        "thanks": query.get("feedback") == "thanks",
        "ratings": RATINGS,
    }
