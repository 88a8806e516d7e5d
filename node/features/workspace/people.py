"""The People page of an organization or network: ``/workspace/{slug}/people``: followers
(those waiting for approval first), each event's participants, replies waiting for moderation,
and the reports other servers sent about the actor or its items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.responses import Response

from node.db import as_utc
from node.features.follows import follower_pages
from node.features.follows.follower_pages import FollowerRow
from node.features.participation.replies import replies_to
from node.features.workspace.desk import Desk, staff_page
from node.features.workspace.figures import title_of
from node.models import Interaction, Item, LocalActor, Participant, Report
from node.urls import Urls
from node.web import i18n

SHOWN = 200  # rows of a list on one page
FOLLOWERS_SHOWN = 50  # followers (and those waiting) on one page


@dataclass(frozen=True)
class EventPeople:
    """An event with how many take part and how many wait."""

    id: int
    title: str
    url: str
    start: str  # in the event's own zone, the offset named, in the page's language
    accepted: int
    pending: int


def _start(item: Item, lang: str) -> str:
    """When an event starts, in its own zone with the offset named (``Sat 15 May 2027, 10:00
    UTC+02:00``), in ``lang``."""
    if item.start_time is None:
        return ""
    zone = str(item.source.get("timezone") or "UTC")
    try:
        tz = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        tz = ZoneInfo("UTC")
    return i18n.day_time_zone(as_utc(item.start_time).astimezone(tz), lang)


def events_with_people(session: Session, actor: LocalActor, lang: str = "en") -> list[EventPeople]:
    """The actor's events (newest start first) with their participant counts."""
    events = session.exec(
        select(Item)
        .where(Item.actor_id == actor.id, Item.kind == "event", col(Item.deleted_at).is_(None))
        .order_by(col(Item.start_time).desc())
        .limit(SHOWN)
    ).all()
    counts: dict[tuple[int, str], int] = {}
    ids = [e.id for e in events if e.id is not None]
    if ids:
        rows = session.exec(
            select(Participant.item_id, Participant.state, func.count())
            .where(col(Participant.item_id).in_(ids))
            .group_by(col(Participant.item_id), col(Participant.state))
        ).all()
        counts = {(item_id, state): int(n) for item_id, state, n in rows}
    return [
        EventPeople(id=e.id or 0, title=title_of(e.document), url=e.ap_id,
                    start=_start(e, lang),
                    accepted=counts.get((e.id or 0, "accepted"), 0),
                    pending=counts.get((e.id or 0, "pending"), 0))
        for e in events
    ]  # fmt: skip


def reports_about(session: Session, actor: LocalActor, urls: Urls) -> list[Report]:
    """Open reports other servers sent about ``actor`` or one of its items, oldest first."""
    mine = select(Item.ap_id).where(Item.actor_id == actor.id)
    item_ids = set(session.exec(mine).all())
    me = urls.actor(actor.slug)
    reports = session.exec(select(Report).where(Report.state == "open").order_by(col(Report.id)))
    return [
        r for r in reports if r.target_actor == me or item_ids.intersection(r.target_objects or [])
    ]


def report_of(session: Session, actor: LocalActor, urls: Urls, number: int) -> Report | None:
    """Open report ``number`` if it is about ``actor`` or its items."""
    return next((r for r in reports_about(session, actor, urls) if r.id == number), None)


@dataclass(frozen=True)
class FollowerList:
    """One page of a People page's list of followers (newest first) and the addresses of the
    pages either side (None at the ends)."""

    rows: list[FollowerRow]
    newer: str | None
    older: str | None


def _cursor(desk: Desk, name: str) -> int | None:
    raw = desk.request.query_params.get(name, "")
    return min(int(raw), follower_pages.NO_ID) if raw.isdigit() and len(raw) <= 18 else None


def follower_list(session: Session, desk: Desk, state: str, prefix: str) -> FollowerList:
    """The page of followers in ``state`` that the People page's ``?{prefix}before=`` or
    ``?{prefix}after=`` cursor names (the newest without one): one bounded index range
    (node/features/follows/follower_pages.py), whatever the number of followers."""
    after = _cursor(desk, f"{prefix}after")
    before = None if after is not None else _cursor(desk, f"{prefix}before")
    found = follower_pages.window(
        session, desk.actor.id or 0, (state,), limit=FOLLOWERS_SHOWN, max_id=before, min_id=after
    )
    lang = desk.request.query_params.get("lang", "")
    kept = f"&lang={quote(lang)}" if lang else ""
    anchor = "#waiting-title" if state == "pending" else "#followers-title"

    def link(name: str, at: int | None) -> str | None:
        return None if at is None else f"{desk.base}/people?{prefix}{name}={at}{kept}{anchor}"

    return FollowerList(found.rows, link("after", found.newer), link("before", found.older))


@staff_page(role="editor")
def people(desk: Desk) -> Response:
    """``GET /workspace/{slug}/people``: those waiting for approval first, then the followers,
    each list a page at a time (``?waiting_before=``/``?waiting_after=``, ``?before=``/
    ``?after=``)."""
    with Session(desk.engine) as session:
        pending: list[tuple[Interaction, Item]] = replies_to(session, desk.actor, "pending", SHOWN)
        context: dict[str, Any] = {
            "waiting": follower_list(session, desk, "pending", "waiting_"),
            "followers": follower_list(session, desk, "accepted", ""),
            # kept on local_actor by migration 0018's triggers: no count(*) per request
            "follower_count": desk.actor.followers_count,
            "events": events_with_people(session, desk.actor, desk.lang),
            "replies": [(reply, title_of(item.document), item.ap_id) for reply, item in pending],
            "reports": reports_about(session, desk.actor, desk.node.urls),
        }
    return desk.render("workspace/people.html", **context)
