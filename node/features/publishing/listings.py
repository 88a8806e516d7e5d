"""The lists of items on public pages: an organization's upcoming and past events, its calls and
news, a hashtag's items; one page at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from node.db import now_utc
from node.models import Item, ItemTag, LocalActor

Section = Literal["events", "past", "calls", "news"]
SECTIONS: tuple[Section, ...] = ("events", "past", "calls", "news")
PAGE_SIZE = 12
PROFILE_SIZE = 4
# A hashtag as a URL segment (/tags/<tag>, and the tag feeds in node/features/feeds/routes.py).
TAG_RE = re.compile(r"^\w{1,64}$")


@dataclass(frozen=True)
class Listing:
    """One page of a list: its items, the page number and whether there are more (no count:
    nothing shows one, and a ``count(*)`` per section per request read every item)."""

    items: list[Item]
    page: int
    has_next: bool
    # sessions of the conferences on this page, by conference id (a card says "N sessions")
    sessions: dict[int, int] = field(default_factory=dict)


def _visible() -> list[Any]:
    # Sessions are listed in their conference's programme, status notes under their event.
    return [col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None)]


def section_query(actor: LocalActor, section: Section, now: datetime) -> SelectOfScalar[Item]:
    """The query of one section of a profile, in the order it is shown."""
    query = select(Item).where(Item.actor_id == actor.id, *_visible())
    if section == "events":
        return query.where(Item.kind == "event", col(Item.end_time) >= now).order_by(
            col(Item.start_time), col(Item.id)
        )
    if section == "past":
        return query.where(Item.kind == "event", col(Item.end_time) < now).order_by(
            col(Item.start_time).desc(), col(Item.id).desc()
        )
    if section == "calls":
        # Open calls first (no deadline, or a deadline ahead), newest first within each.
        still_open = or_(col(Item.end_time).is_(None), col(Item.end_time) >= now)
        return query.where(Item.kind == "call").order_by(
            still_open.desc(), col(Item.published).desc(), col(Item.id).desc()
        )
    return query.where(Item.kind == "news").order_by(
        col(Item.published).desc(), col(Item.id).desc()
    )


def _page(session: Session, query: SelectOfScalar[Item], page: int, size: int) -> Listing:
    rows = list(session.exec(query.offset((page - 1) * size).limit(size + 1)))
    return Listing(rows[:size], page, len(rows) > size, session_counts(session, rows[:size]))


def session_counts(session: Session, items: list[Item]) -> dict[int, int]:
    """How many live sessions each of these events has (only those that have any)."""
    ids = [i.id for i in items if i.kind == "event" and i.id is not None]
    if not ids:
        return {}
    query = (
        select(Item.parent_id, func.count())
        .where(col(Item.parent_id).in_(ids), Item.kind == "event", col(Item.deleted_at).is_(None))
        .group_by(col(Item.parent_id))
    )
    return {int(parent): int(n) for parent, n in session.exec(query) if parent is not None}


def section(
    session: Session, actor: LocalActor, name: Section, page: int = 1, size: int = PAGE_SIZE
) -> Listing:
    """One page of a profile section."""
    return _page(session, section_query(actor, name, now_utc()), page, size)


def tagged(session: Session, tag: str, page: int = 1) -> Listing:
    """Items with a hashtag (any organization of this node), newest first."""
    query = (
        select(Item)
        .join(ItemTag, col(ItemTag.item_id) == col(Item.id))
        .where(ItemTag.tag == tag.lower()[:64], *_visible())
        .order_by(col(Item.published).desc(), col(Item.id).desc())
    )
    return _page(session, query, page, PAGE_SIZE)


def _latest_calls(session: Session, actor: LocalActor, now: datetime, size: int) -> Listing:
    """The profile's first calls in the calls page's order (open first, newest first within
    each): the open ones, then if there is room the closed ones, each read newest first from
    the ``(actor_id, kind, published, id)`` range, instead of one sort of all the calls."""
    query = (
        select(Item)
        .where(Item.actor_id == actor.id, Item.kind == "call", *_visible())
        .order_by(col(Item.published).desc(), col(Item.id).desc())
    )
    still_open = or_(col(Item.end_time).is_(None), col(Item.end_time) >= now)
    rows = list(session.exec(query.where(still_open).limit(size + 1)))
    if len(rows) <= size:
        closed = query.where(col(Item.end_time) < now).limit(size + 1 - len(rows))
        rows += list(session.exec(closed))
    return Listing(rows[:size], 1, len(rows) > size)


def profile_sections(session: Session, actor: LocalActor) -> dict[str, Listing]:
    """The first few of each section, for the profile page: one bounded index range each, and
    no count (see :class:`Listing`)."""
    now = now_utc()
    return {
        "events": _page(session, section_query(actor, "events", now), 1, PROFILE_SIZE),
        "calls": _latest_calls(session, actor, now, PROFILE_SIZE),
        "news": _page(session, section_query(actor, "news", now), 1, PROFILE_SIZE),
    }


def page_number(raw: str | None) -> int:
    """``?page=``: a whole number from 1, anything else is page 1."""
    if raw is None or not raw.isdigit():
        return 1
    return max(1, min(int(raw), 10_000))
