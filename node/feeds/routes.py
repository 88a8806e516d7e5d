"""The feed and calendar routes: ``/@{slug}/calendar.ics``, ``/@{slug}/feed.{rss,atom,json}``,
``/tags/{tag}/calendar.ics``, ``/tags/{tag}/feed.{rss,atom,json}`` (feeds take ``?kind=``).

Every answer carries an ETag (a hash of the body) and Last-Modified (the newest ``updated``), and
is a 304 to a matching If-None-Match or, without one, to an If-Modified-Since not older than it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from node.actors.local import SLUG_RE, get_actor
from node.feeds import entries as feed_entries
from node.feeds import ical, writers
from node.feeds.entries import KINDS, FeedEntry
from node.web.item_pages import TAG_RE
from node.web.render import ctx

CALENDAR_TYPE = "text/calendar; charset=utf-8"
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=300"


def _not_found() -> Response:
    return Response("Not found\n", status_code=404, media_type="text/plain")


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def conditional(
    request: Request, body: bytes, media_type: str, last_modified: datetime | None
) -> Response:
    """The body, or a 304 when the client already has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
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
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _kind(request: Request) -> str | None:
    """``?kind=``: "" for every kind, None when it names none."""
    kind = request.query_params.get("kind", "")
    return kind if not kind or kind in KINDS else None


def actor_calendar_route(request: Request) -> Response:
    node = ctx(request)
    slug = request.path_params["slug"]
    with Session(node.engine) as session:
        actor = get_actor(session, slug) if SLUG_RE.match(slug) and len(slug) <= 64 else None
        if actor is None:
            return _not_found()
        found = feed_entries.actor_events(session, node, actor)
    body = ical.calendar(actor.name, found, node.urls.profile(slug) + "/calendar.ics")
    return conditional(request, body, CALENDAR_TYPE, ical.latest(found))


def tag_calendar_route(request: Request) -> Response:
    node = ctx(request)
    tag = request.path_params["tag"]
    if not TAG_RE.match(tag):
        return _not_found()
    with Session(node.engine) as session:
        found = feed_entries.tag_events(session, node, tag)
    body = ical.calendar(f"#{tag}", found, node.urls.tag(tag) + "/calendar.ics")
    return conditional(request, body, CALENDAR_TYPE, ical.latest(found))


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
    with Session(node.engine) as session:
        actor = get_actor(session, slug) if SLUG_RE.match(slug) and len(slug) <= 64 else None
        if actor is None:
            return _not_found()
        found = feed_entries.actor_feed(session, node, actor, kind or None)
    info = writers.FeedInfo(
        title=actor.name,
        description=ical.plain_text(actor.summary),
        home=node.urls.profile(slug),
        self_url=node.urls.profile(slug) + "/feed",
        query=f"?kind={kind}" if kind else "",
    )
    return conditional(request, _write(fmt, info, found), FEED_TYPES[fmt], ical.latest(found))


def tag_feed_route(request: Request) -> Response:
    node = ctx(request)
    tag, fmt, kind = request.path_params["tag"], request.path_params["fmt"], _kind(request)
    if fmt not in FEED_TYPES or kind is None or not TAG_RE.match(tag):
        return _not_found()
    with Session(node.engine) as session:
        found = feed_entries.tag_feed(session, node, tag, kind or None)
    info = writers.FeedInfo(
        title=f"#{tag}",
        description=f"#{tag} on {node.settings.instance_name}",
        home=node.urls.tag(tag),
        self_url=node.urls.tag(tag) + "/feed",
        query=f"?kind={kind}" if kind else "",
    )
    return conditional(request, _write(fmt, info, found), FEED_TYPES[fmt], ical.latest(found))


def routes() -> list[Route]:
    """Before ``/@{slug}/{section}`` in the route list, which would take these paths."""
    return [
        Route("/@{slug}/calendar.ics", actor_calendar_route),
        Route("/@{slug}/feed.{fmt}", actor_feed_route),
        Route("/tags/{tag}/calendar.ics", tag_calendar_route),
        Route("/tags/{tag}/feed.{fmt}", tag_feed_route),
    ]
