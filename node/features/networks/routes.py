"""Routes of networks: the collections (members, memberships, upcomingEvents) as
ActivityStreams, and the aggregated pages (timeline, calendar, member directory) as HTML.

Every collection URL answers browsers too: ``/actors/{slug}/members`` and ``…/events`` send
people to the directory and the calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.activitypub.mediatypes import wants_activity_json
from node.db import now_utc, read_session
from node.features.networks import collections, directory, kept_slices, timeline
from node.features.networks.cards import cell_html, entry_html
from node.features.networks.member_cards import directory_members_html
from node.features.networks.queries import (
    Day,
    Filters,
    month_grid,
)
from node.features.networks.upcoming import Cursor, Page
from node.federation.actors import id_pages
from node.federation.actors.local import get_actor
from node.models import LocalActor
from node.web.i18n import N_
from node.web.render import activity_json, ctx, html, json_error, not_found, page_language

PAGE_SIZE = 20
LIST_SIZE = 50  # events a page of the calendar's list shows
# events a page of a month shows; a busier month goes on by cursor (docs/benchmarks.md)
MONTH_SIZE = 100
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def _actor(request: Request, session: Session, network_only: bool) -> LocalActor | None:
    actor = get_actor(session, request.path_params["slug"])
    if actor is None or (network_only and actor.kind != "network"):
        return None
    return actor


def members_route(request: Request) -> Response:
    """``/actors/{slug}/members``: the network's members (HTML: the directory)."""
    node = ctx(request)
    if not wants_activity_json(request.headers.get("accept")):
        return RedirectResponse(
            f"{node.settings.base_url}/networks/{request.path_params['slug']}/members", 303
        )
    with read_session(node.engine) as session:
        network = _actor(request, session, True)
        if network is None:
            return json_error(404, "no such network")
        want = id_pages.asked(request.query_params)
        found = collections.members_collection(session, node, network, want)
    return _collection_answer(found)


def memberships_route(request: Request) -> Response:
    """``/actors/{slug}/memberships``: the networks an actor belongs to."""
    node = ctx(request)
    with read_session(node.engine) as session:
        actor = _actor(request, session, False)
        if actor is None:
            return not_found(request, N_("This account"))
        want = id_pages.asked(request.query_params)
        found = collections.memberships_collection(session, node, actor, want)
    return _collection_answer(found)


def _collection_answer(found: dict[str, Any] | str) -> Response:
    """A collection's document, or the redirect of an old ``?page=N`` link."""
    if isinstance(found, str):
        return RedirectResponse(found, status_code=301)
    return activity_json(found)


def events_route(request: Request) -> Response:
    """``/actors/{slug}/events``: FEP-8a8e ``upcomingEvents`` (HTML: the calendar)."""
    node = ctx(request)
    slug = request.path_params["slug"]
    with read_session(node.engine) as session:
        actor = _actor(request, session, False)
        if actor is None:
            return not_found(request, N_("This account"))
        if not wants_activity_json(request.headers.get("accept")):
            target = f"/networks/{slug}/calendar" if actor.kind == "network" else f"/@{slug}/events"
            return RedirectResponse(node.settings.base_url + target, 303)
        params = request.query_params
        after = params.get("after")
        paged = after is not None or "page" in params
        doc = collections.upcoming_events_collection(session, node, actor, after, paged)
    return activity_json(doc)


def _network_page(request: Request) -> tuple[Any, LocalActor | None, Session]:
    node = ctx(request)
    session = Session(node.engine)
    return node, _actor(request, session, True), session


def timeline_page(request: Request) -> Response:
    """``/networks/{slug}``: everything shown below the network, newest first, paged by cursor
    (``?before=`` / ``?after=``); an old ``?page=N`` link is sent to the same place."""
    node, network, session = _network_page(request)
    params = request.query_params
    with session:
        if network is None:
            return not_found(request, N_("This network"))
        base = f"/networks/{network.slug}"
        page = _page_number(request)
        if page is not None and page > 1:
            number = min(page, timeline.MAX_LEGACY_PAGE)
            at = timeline.cursor_at(session, network, (number - 1) * PAGE_SIZE)
            target = f"{base}?before={at.token()}" if at and number == page else base
            return RedirectResponse(node.settings.base_url + target, 301)
        before = timeline.Cursor.parse(params.get("before"))
        after = None if before else timeline.Cursor.parse(params.get("after"))
        found = timeline.page(session, node, network, PAGE_SIZE, before=before, after=after)
        cards = entry_html(request, found.entries, page_language(request, {}), "h2")
    return html(
        request,
        "network_timeline.html",
        network=network,
        cards=cards,
        section="timeline",
        previous=f"{base}?after={found.newer.token()}" if found.newer else None,
        next=f"{base}?before={found.older.token()}" if found.older else None,
    )


def _month(request: Request) -> tuple[int, int] | None:
    match = _MONTH.match(request.query_params.get("month", ""))
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def _calendar_slice(
    session: Session,
    node: Any,
    network: LocalActor,
    filters: Filters,
    month: tuple[int, int] | None,
    after: Cursor | None,
    now: datetime,
) -> tuple[Page, tuple[list[list[Day]], dict[str, Markup]] | None]:
    """The list's page (events not over now) or the month's (events not over at its start
    and starting before its end), and the month's grid and cells."""
    if month is None:
        return kept_slices.list_page(session, node, network, filters, now, after, LIST_SIZE), None
    year, number = month
    first = datetime(year, number, 1, tzinfo=UTC)
    until = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=UTC)
    page = kept_slices.month_page(session, node, network, filters, first, until, after, MONTH_SIZE)
    return page, _drawn_month(page, year, number)


def _drawn_month(page: Page, year: int, number: int) -> tuple[list[list[Day]], dict[str, Markup]]:
    """The month's grid and each event's cell; drawn once for a kept page (the same object while
    nothing it shows has changed: kept_slices.month_page) and joined on every read after. The
    template only reads them."""

    def draw() -> tuple[list[list[Day]], dict[str, Markup]]:
        cells = {e.object_id: cell_html(e) for e in page.entries}
        return month_grid(year, number, page.entries), cells

    return kept_slices.drawn(page, draw)


def calendar_page(request: Request) -> Response:
    """``/networks/{slug}/calendar``: upcoming events as a list, or ``?month=YYYY-MM`` as a
    month grid (every event of the month, MONTH_SIZE at a time); filters ``region``, ``tag``,
    ``category``, ``online``; ``?after=`` the cursor of the next page."""
    node, network, session = _network_page(request)
    filters = Filters.from_query(request.query_params)
    month = _month(request)
    after = Cursor.parse(request.query_params.get("after"))
    with session:
        if network is None:
            return not_found(request, N_("This network"))
        now = now_utc()
        page, drawn = _calendar_slice(session, node, network, filters, month, after, now)
        # a month's cells name each event (its title, link and author: the entry has them);
        # only the list draws whole cards
        weeks, cells = drawn or (None, {})
        lang = page_language(request, {})
        cards = [] if weeks else entry_html(request, page.entries, lang, "h2")
    today = now.date()
    shown = month or (today.year, today.month)
    prev_month = (shown[0] - (shown[1] == 1), (shown[1] - 2) % 12 + 1)
    next_month = (shown[0] + (shown[1] == 12), shown[1] % 12 + 1)
    keep = filters.as_query()

    def link(**extra: str) -> str:
        query = urlencode({**keep, **extra})
        return f"/networks/{network.slug}/calendar" + (f"?{query}" if query else "")

    here = {"month": f"{month[0]:04d}-{month[1]:02d}"} if month else {}
    more = link(**here, after=page.next.token()) if page.next else None
    wanted = filters.calendar_query()
    filtered = node.urls.calendar(network.slug) + "?" + urlencode(wanted) if wanted else None
    return html(
        request,
        "network_calendar.html",
        network=network,
        section="calendar",
        filters=filters,
        filtered_calendar=filtered,
        cards=cards,
        cells=cells,
        weeks=weeks,
        month_start=date(shown[0], shown[1], 1),
        list_link=link(),
        month_link=link(month=f"{shown[0]:04d}-{shown[1]:02d}"),
        prev_link=link(month=f"{prev_month[0]:04d}-{prev_month[1]:02d}"),
        next_link=link(month=f"{next_month[0]:04d}-{next_month[1]:02d}"),
        today=today,
        more_link=more,
    )


def directory_page(request: Request) -> Response:
    """``/networks/{slug}/members``: the members with their region and ESSGlobal
    classification; filters ``region``, ``kind``, ``sector``."""
    node, network, session = _network_page(request)
    filters = Filters.from_query(request.query_params)
    with session:
        if network is None:
            return not_found(request, N_("This network"))
        raw_after = request.query_params.get("after", "")
        after = int(raw_after) if raw_after.isdigit() and len(raw_after) < 19 else None
        found = directory.directory_page(session, node, network, filters, after)
    members = directory_members_html(request, page_language(request, {}), found.members)
    more = None
    if found.after is not None:
        more = f"/networks/{network.slug}/members?" + urlencode(
            {**filters.as_query(), "after": str(found.after)}
        )
    return html(
        request,
        "network_directory.html",
        network=network,
        section="members",
        filters=filters,
        members=members,
        more=more,
    )


def routes() -> list[Route]:
    """The routes to add to the app (node/app.py)."""
    return [
        Route("/actors/{slug}/members", members_route),
        Route("/actors/{slug}/memberships", memberships_route),
        Route("/actors/{slug}/events", events_route),
        Route("/networks/{slug}", timeline_page),
        Route("/networks/{slug}/calendar", calendar_page),
        Route("/networks/{slug}/members", directory_page),
    ]
