"""The feed and calendar routes: ``/@{slug}/calendar.ics`` (filters ``?region=&tag=&category=
&online=``), ``/@{slug}/feed.{rss,atom,json}``, ``/tags/{tag}/calendar.ics``,
``/tags/{tag}/feed.{rss,atom,json}`` (feeds take ``?kind=``), ``/regions/{region}/calendar.ics``
and ``/categories/{category}/calendar.ics`` (the whole node's), and ``/series/{uid}`` (the UID
of a series, leading to its next date).

Every answer carries an ETag (a hash of the body) and Last-Modified (the newest ``updated``), and
is a 304 to a matching If-None-Match or, without one, to an If-Modified-Since not older than it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.content.fields.types import CATEGORIES
from node.db import as_utc, now_utc, read_session
from node.features.feeds import cache, collector, ical, stamps, writers
from node.features.feeds import entries as feed_entries
from node.features.feeds.entries import KINDS, FeedEntry
from node.features.feeds.series import group_series
from node.features.networks.queries import Filters
from node.features.publishing.listings import TAG_RE
from node.features.publishing.service.series import published_occurrences
from node.federation.actors.local import SLUG_RE, get_actor
from node.federation.context import NodeContext
from node.models import Item, LocalActor, Series
from node.models.networks import NetworkItem
from node.urls import is_uid
from node.web.render import ctx

CALENDAR_TYPE = "text/calendar; charset=utf-8"
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=300"


def _not_found(why: str = "Not found.") -> Response:
    return Response(why + "\n", status_code=404, media_type="text/plain")


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def conditional(
    request: Request,
    body: bytes | None,
    media_type: str,
    last_modified: datetime | None,
    etag: str | None = None,
) -> Response:
    """The body, or a 304 when the client already has it (``body`` None: only a 304 is
    possible, the caller knows the client has it)."""
    etag = etag or etag_of(body or b"")
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    modified = last_modified.astimezone(UTC).replace(microsecond=0) if last_modified else None
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    fresh = False
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, etag)
    elif modified is not None and (since := request.headers.get("if-modified-since")):
        try:
            fresh = modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            fresh = False
    if fresh or body is None:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _kind(request: Request) -> str | None:
    """``?kind=``: "" for every kind, None when it names none."""
    kind = request.query_params.get("kind", "")
    return kind if not kind or kind in KINDS else None


def _remembered(
    request: Request, known: stamps.Answer | None, store: cache.RenderCache, media_type: str
) -> Response | None:
    """The answer last written under an unchanged validator (``known``), when its body is still
    in ``store`` or the reader already holds it (If-None-Match: a 304); None to write anew."""
    if known is None:
        return None
    body = store.get(known.body_key)
    match = request.headers.get("if-none-match")
    if body is not None or (match is not None and _etag_matches(match, known.etag)):
        return conditional(request, body, media_type, known.last_modified, known.etag)
    return None


def _calendar(
    request: Request,
    session: Session,
    scope: tuple[LocalActor | None, str, str],
    load: Callable[[datetime], list[FeedEntry]],
) -> Response:
    """A calendar of ``scope`` (its actor or None for the whole node, its name, its URL):
    answered from its validator when nothing it shows changed (node/features/feeds/stamps.py),
    else loaded (``load``: its events not over at the day's start) and written."""
    actor, name, source_url = scope
    today = now_utc().date()
    key = stamps.validator(session, actor, today, name, source_url)
    answers = stamps.answers(ctx(request).engine)
    remembered = _remembered(request, answers.get(key), cache.calendars, CALENDAR_TYPE)
    if remembered is not None:
        return remembered
    node = ctx(request)
    since = datetime(today.year, today.month, today.day, tzinfo=UTC)
    body, answer = collector.paused.run(
        lambda: _written(session, node, name, source_url, load(since))
    )
    if stamps.validator(session, actor, today, name, source_url) == key:  # nothing came between
        answers.put(key, answer)
    return conditional(request, body, CALENDAR_TYPE, answer.last_modified, answer.etag)


def _written(
    session: Session, node: NodeContext, name: str, source_url: str, found: list[FeedEntry]
) -> tuple[bytes, stamps.Answer]:
    """The body of a calendar of ``found`` (from the render cache, else written) and its answer."""
    entries, series = group_series(session, node, found)
    body_key = cache.calendar_key(name, source_url, entries, series)
    body = cache.calendars.get_or_render(
        body_key, lambda: ical.calendar(name, entries, source_url, series)
    )
    return body, stamps.Answer(etag_of(body), ical.latest(found), body_key)


def _filtered(request: Request) -> tuple[Filters, str]:
    """The calendar filters of the query (``region``, ``tag``, ``category``, ``online``), and
    the query string that repeats them."""
    kept = Filters.from_query(request.query_params).calendar_query()
    filters = Filters.from_query(kept)
    return filters, ("?" + urlencode(kept) if kept else "")


def _label(filters: Filters) -> str:
    parts = [filters.region, f"#{filters.tag}" if filters.tag else "", category_label(filters)]
    if filters.online is not None:
        parts.append("online" if filters.online else "in person")
    return ", ".join(p for p in parts if p)


def category_label(filters: Filters) -> str:
    return filters.category.replace("_", " ").capitalize()


def actor_calendar_route(request: Request) -> Response:
    node = ctx(request)
    slug = request.path_params["slug"]
    filters, query = _filtered(request)
    with read_session(node.engine) as session:
        actor = get_actor(session, slug) if SLUG_RE.match(slug) and len(slug) <= 64 else None
        if actor is None:
            return _not_found()
        label = _label(filters)
        name = f"{actor.name} ({label})" if label else actor.name
        return _calendar(
            request,
            session,
            (actor, name, node.urls.calendar(slug) + query),
            lambda since: feed_entries.calendar_events(session, node, actor, filters, since=since),
        )


def tag_calendar_route(request: Request) -> Response:
    node = ctx(request)
    tag = request.path_params["tag"]
    if not TAG_RE.match(tag):
        return _not_found()
    with read_session(node.engine) as session:
        return _calendar(
            request,
            session,
            (None, f"#{tag}", node.urls.tag(tag) + "/calendar.ics"),
            lambda _since: feed_entries.tag_events(session, node, tag),
        )


def region_calendar_route(request: Request) -> Response:
    """Every event on this node (its organizations' and what its networks aggregated) in a
    region, a locality or a country (two-letter code), matched without regard to case."""
    node = ctx(request)
    region = request.path_params["region"].strip()
    if not region or len(region) > 200 or not region.isprintable():
        return _not_found("Name a region, a city or a two-letter country code.")
    filters = Filters(region=region)
    with read_session(node.engine) as session:
        name = f"{region}: events on {node.settings.instance_name}"
        return _calendar(
            request,
            session,
            (None, name, node.urls.region_calendar(region)),
            lambda since: feed_entries.calendar_events(session, node, None, filters, since=since),
        )


def category_calendar_route(request: Request) -> Response:
    """Every event on this node in one category (Mobilizon's and FEP-8a8e's names)."""
    node = ctx(request)
    category = request.path_params["category"].strip().upper()
    filters = Filters(category=category)
    with read_session(node.engine) as session:
        if not known_category(session, category):
            return _not_found(
                f"No category {category[:64]!r}; categories are: " + ", ".join(sorted(CATEGORIES))
            )
        name = f"{category_label(filters)}: events on {node.settings.instance_name}"
        return _calendar(
            request,
            session,
            (None, name, node.urls.category_calendar(category)),
            lambda since: feed_entries.calendar_events(session, node, None, filters, since=since),
        )


def known_category(session: Session, category: str) -> bool:
    """One of ours, or one a network here received (Mobilizon's CLIMAT_ENVIRONMENT…)."""
    if category in CATEGORIES:
        return True
    found = select(NetworkItem.id).where(NetworkItem.category == category).limit(1)
    return session.exec(found).first() is not None


def series_route(request: Request) -> Response:
    """``/series/{uid}``, a series' iCalendar UID: a 303 to the page of its next date (the
    last one when all are over)."""
    node = ctx(request)
    uid = request.path_params["uid"]
    with read_session(node.engine) as session:
        series = (
            session.exec(select(Series).where(Series.uid == uid)).first() if is_uid(uid) else None
        )
        if series is None:
            return _not_found("No such series.")
        if series.deleted_at is not None:
            return Response("This series was stopped.\n", status_code=410, media_type="text/plain")
        dates = published_occurrences(session, series)
        now = now_utc()
        upcoming = [i for i in dates if i.end_time is None or as_utc(i.end_time) >= now]
        chosen = upcoming or dates[-1:]
        if not chosen:
            return _not_found("This series has no dates left.")
        return RedirectResponse(chosen[0].ap_id, status_code=303)


def _write(fmt: str, info: writers.FeedInfo, found: list[FeedEntry]) -> bytes:
    if fmt == "rss":
        return writers.rss(info, found)
    if fmt == "atom":
        return writers.atom(info, found)
    return writers.json_feed(info, found)


def actor_feed_route(request: Request) -> Response:
    node = ctx(request)
    slug, fmt, kind = request.path_params["slug"], request.path_params["fmt"], _kind(request)
    if fmt not in FEED_TYPES or kind is None:
        return _not_found()
    with read_session(node.engine) as session:
        actor = get_actor(session, slug) if SLUG_RE.match(slug) and len(slug) <= 64 else None
        if actor is None:
            return _not_found()
        info = writers.FeedInfo(
            title=actor.name,
            description=ical.plain_text(actor.summary),
            home=node.urls.profile(slug),
            self_url=node.urls.profile(slug) + "/feed",
            query=f"?kind={kind}" if kind else "",
        )
        return _feed(
            request,
            session,
            (actor, fmt, info),
            lambda: feed_entries.actor_feed(session, node, actor, kind or None),
        )


def _feed(
    request: Request,
    session: Session,
    scope: tuple[LocalActor, str, writers.FeedInfo],
    load: Callable[[], list[FeedEntry]],
) -> Response:
    """An actor's feed (``scope``: the actor, the format, what the feed says of itself),
    answered from its validator when nothing it shows changed, as a calendar is
    (node/features/feeds/stamps.py: the same generation moves with every item the feed lists,
    of any kind), else loaded (``load``) and written. Feed readers poll: most polls find the
    feed unchanged, and writing one cost ~5 ms of CPU (docs/benchmarks.md)."""
    actor, fmt, info = scope
    media_type = FEED_TYPES[fmt]
    parts = ("feed", fmt, info.url(fmt), info.title, info.description, info.home)
    key = stamps.validator(session, actor, now_utc().date(), *parts)
    answers = stamps.answers(ctx(request).engine)
    remembered = _remembered(request, answers.get(key), cache.feeds, media_type)
    if remembered is not None:
        return remembered
    found = load()
    written = _write(fmt, info, found)
    # keyed by the body itself: a validator is only unique within one database
    body_key = hashlib.blake2b(written, digest_size=32).digest()
    body = cache.feeds.get_or_render(body_key, lambda: written)
    answer = stamps.Answer(etag_of(body), ical.latest(found), body_key)
    if stamps.validator(session, actor, now_utc().date(), *parts) == key:  # nothing came between
        answers.put(key, answer)
    return conditional(request, body, media_type, answer.last_modified, answer.etag)


def tag_feed_route(request: Request) -> Response:
    node = ctx(request)
    tag, fmt, kind = request.path_params["tag"], request.path_params["fmt"], _kind(request)
    if fmt not in FEED_TYPES or kind is None or not TAG_RE.match(tag):
        return _not_found()
    with read_session(node.engine) as session:
        found = feed_entries.tag_feed(session, node, tag, kind or None)
    info = writers.FeedInfo(
        title=f"#{tag}",
        description=f"#{tag} on {node.settings.instance_name}",
        home=node.urls.tag(tag),
        self_url=node.urls.tag(tag) + "/feed",
        query=f"?kind={kind}" if kind else "",
    )
    return conditional(request, _write(fmt, info, found), FEED_TYPES[fmt], ical.latest(found))


def event_calendar_route(request: Request) -> Response:
    """``/items/{uid}/event.ics``: the one event, to add to a calendar (a download)."""
    node = ctx(request)
    uid = request.path_params["uid"]
    with read_session(node.engine) as session:
        item = (
            session.exec(select(Item).where(Item.ap_id == node.urls.item(uid))).first()
            if is_uid(uid)
            else None
        )
        author = session.get(LocalActor, item.actor_id) if item is not None else None
        if item is None or author is None or item.kind != "event" or item.deleted_at is not None:
            return _not_found()
        entry = feed_entries.entry_of(item, author.name, node.urls.profile(author.slug))
    page = str(item.document.get("url", item.ap_id))
    body = ical.calendar(str(item.document.get("name", "")), [entry], page)
    response = conditional(request, body, CALENDAR_TYPE, entry.updated)
    response.headers["Content-Disposition"] = f'attachment; filename="{uid}.ics"'
    return response


def routes() -> list[Route]:
    """Before ``/@{slug}/{section}`` in the route list, which would take these paths."""
    return [
        Route("/@{slug}/calendar.ics", actor_calendar_route),
        Route("/@{slug}/feed.{fmt}", actor_feed_route),
        Route("/tags/{tag}/calendar.ics", tag_calendar_route),
        Route("/tags/{tag}/feed.{fmt}", tag_feed_route),
        Route("/regions/{region}/calendar.ics", region_calendar_route),
        Route("/categories/{category}/calendar.ics", category_calendar_route),
        Route("/series/{uid}", series_route),
        Route("/items/{uid}/event.ics", event_calendar_route),
    ]
