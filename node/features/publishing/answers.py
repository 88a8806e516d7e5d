"""Answers to calls for collaboration from people without a fediverse account: the short form
on the call's page (name, how to reach them, a message) lands in the organization's workspace.

An answer is stored and never published: no activity, no page shows it. The form is
CSRF-protected like the registration form (node/web/forms.py: a signed token tied to a
``SameSite=Strict`` cookie, good for one post) and limited per client address
(``SOLNODE_RATE_LIMIT_ANSWER``). The workspace reads them with :func:`answers_for` and shows
:func:`answer_count` on its dashboard.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from node.db import as_utc, now_utc
from node.models import CallAnswer, Item, LocalActor
from node.web import forms

NAME_MAX = 100
CONTACT_MAX = 320
MESSAGE_MAX = 4_000
FIELDS = ("name", "contact", "message", "token", "lang")


class AnswerError(Exception):
    """The call takes no answers (``closed``, or ``not_a_call``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AnswerInput:
    """A validated answer."""

    name: str
    contact: str
    message: str


def _plain(value: str, limit: int, *, lines: bool = False) -> str | None:
    """NFC, stripped, no control characters (new lines allowed in a message); None if too long
    or holding one (PostgreSQL refuses NUL, and a terminal in a workspace export would obey
    escape codes)."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    allowed = {"\n", "\t"} if lines else set()
    if any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in text):
        return None
    return text if len(text) <= limit else None


def validate_answer(values: dict[str, str]) -> tuple[AnswerInput | None, dict[str, str]]:
    """The answer, or the fields in error (``name``, ``contact``, ``message``) with the message
    key (node/web/messages.py) that explains each."""
    errors: dict[str, str] = {}
    name = _plain(values.get("name", ""), NAME_MAX)
    if not name:
        errors["name"] = "error_name"
    contact = _plain(values.get("contact", ""), CONTACT_MAX)
    if not contact:
        errors["contact"] = "error_contact"
    message = _plain(values.get("message", ""), MESSAGE_MAX, lines=True)
    if not message:
        errors["message"] = "error_message"
    if errors or name is None or contact is None or message is None:
        return None, errors
    return AnswerInput(name, contact, message), {}


def is_open(item: Item) -> bool:
    """Whether a call still takes answers (no deadline, or one not passed)."""
    return item.kind == "call" and (item.end_time is None or as_utc(item.end_time) >= now_utc())


def store_answer(session: Session, item: Item, answer: AnswerInput) -> CallAnswer:
    """Keep an answer for the organization that published the call."""
    if item.kind != "call":
        raise AnswerError("not_a_call")
    if not is_open(item):
        raise AnswerError("closed")
    assert item.id is not None
    row = CallAnswer(
        item_id=item.id,
        actor_id=item.actor_id,
        name=answer.name,
        contact=answer.contact,
        message=answer.message,
    )
    session.add(row)
    session.flush()
    return row


def answers_for(
    session: Session, actor: LocalActor, *, limit: int = 100, before: int | None = None
) -> list[tuple[CallAnswer, Item]]:
    """The answers to ``actor``'s calls, newest first, each with its call (keyset paging: pass
    the last id seen as ``before``)."""
    query = (
        select(CallAnswer, Item)
        .join(Item, col(Item.id) == col(CallAnswer.item_id))
        .where(CallAnswer.actor_id == actor.id)
    )
    if before is not None:
        query = query.where(col(CallAnswer.id) < before)
    rows = session.exec(query.order_by(col(CallAnswer.id).desc()).limit(limit))
    return [(answer, item) for answer, item in rows]


def answer_count(session: Session, actor: LocalActor) -> int:
    """How many answers ``actor``'s calls have received (for the workspace dashboard)."""
    query = select(func.count()).select_from(CallAnswer).where(CallAnswer.actor_id == actor.id)
    return int(session.exec(query).one())


def form_context(secret: str, nonce: str, item: Item, uid: str, lang: str) -> dict[str, Any]:
    """What the answer form on a call's page needs: where it posts, its token, whether open."""
    return {
        "open": is_open(item),
        "action": f"{item.ap_id}/answer",
        "token": forms.form_token(secret, nonce, uid),
        "lang": lang,
    }
