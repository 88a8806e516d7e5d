"""The public list pages: an organization's sections (``/@{slug}/events``, ``?past=1``,
``/@{slug}/calls``, ``/@{slug}/news``) and a hashtag's items (``/tags/{tag}``), paged by
cursor (listings.py): ``?after=`` the next page, ``?before=`` the previous one.

An old ``?page=N`` link (bookmarked, crawled) is redirected to the cursor of the same place
now, found in one statement (``listings.cursor_at``); one past the end or beyond
``MAX_LEGACY_PAGE`` is redirected to the first page. The redirect is a 302: a page number of a
list that grows at its top never named a fixed place. A cursor we did not make is answered
400 with a page that says so, never a guess.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node import keyset
from node.db import now_utc
from node.features.publishing import listings
from node.features.publishing import page_data as item_view
from node.features.publishing.listings import TAG_RE, Listing, Ranges
from node.features.publishing.page_data import Language
from node.federation.actors.local import SLUG_RE, get_actor
from node.web import messages
from node.web.i18n import N_
from node.web.render import ctx, html

_CURSORS = ("page", "after", "before")


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return html(request, "error.html", status=status, title=title, message=message)


def _bad_cursor(request: Request) -> Response:
    return _error(
        request,
        400,
        N_("Bad request"),
        N_("This page link is broken or out of date: start again from the first page of the list."),
    )


def _own_url(request: Request, *, drop: tuple[str, ...]) -> str:
    """This page's URL on the configured base URL (never the request's ``Host``), without the
    ``drop`` query parameters."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in drop]
    query = f"?{urlencode(kept)}" if kept else ""
    return ctx(request).settings.url(request.url.path) + query


def _with(base: str, name: str, value: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}{name}={value}"


def listed(request: Request, session: Session, lst: Ranges) -> Listing | Response:
    """The page of ``lst`` the request asks for, or the answer to an old or broken link."""
    params = request.query_params
    after_raw, before_raw = params.get("after") or None, params.get("before") or None
    number = listings.page_number(params.get("page"))
    if number is not None and number > 1 and after_raw is None and before_raw is None:
        at = None
        if number <= listings.MAX_LEGACY_PAGE:
            at = listings.cursor_at(session, lst, (number - 1) * listings.PAGE_SIZE)
        base = _own_url(request, drop=_CURSORS)
        return RedirectResponse(_with(base, "after", keyset.token(*at)) if at else base, 302)
    after, before = lst.parse(after_raw), lst.parse(before_raw)
    if (after_raw is not None and after is None) or (before_raw is not None and before is None):
        return _bad_cursor(request)
    return listings.read(session, lst, after=after, before=before)


def _list_page(
    request: Request, listing: Listing, heading: str, lang: Language, **extra: Any
) -> Response:
    t = messages.translator(lang.ui)
    base = _own_url(request, drop=(*_CURSORS, "lang"))
    first = _own_url(request, drop=_CURSORS)
    suffix = f"&lang={lang.content}" if request.query_params.get("lang") else ""
    return html(
        request,
        "item_list.html",
        heading=heading,
        cards=[
            item_view.card(i, lang.content, listing.sessions.get(i.id or 0, 0))
            for i in listing.items
        ],
        lang=lang.ui,
        t=t,
        alternates=item_view.switcher(lang, base),
        first=None if listing.first else first,
        previous=_with(base, "before", listing.previous) + suffix if listing.previous else None,
        next=_with(base, "after", listing.next) + suffix if listing.next else None,
        **extra,
    )


def section_route(request: Request) -> Response:
    """``/@{slug}/events`` (``?past=1``), ``/@{slug}/calls``, ``/@{slug}/news``."""
    node = ctx(request)
    name = request.path_params["section"]
    if name == "events" and request.query_params.get("past"):
        name = "past"
    lang = item_view.choose_language(
        request.query_params.get("lang"), request.headers.get("accept-language", ""), ()
    )
    t = messages.translator(lang.ui)
    slug = request.path_params["slug"]
    with Session(node.engine) as session:
        actor = get_actor(session, slug) if SLUG_RE.match(slug) and len(slug) <= 64 else None
        if actor is None or name not in listings.SECTIONS:
            return _error(request, 404, N_("Not found"), N_("There is no such page on this node."))
        found = listed(request, session, listings.section_list(actor, name, now_utc()))
    if isinstance(found, Response):
        return found
    titles = {"events": "upcoming_events", "past": "past_events", "calls": "calls", "news": "news"}
    return _list_page(request, found, f"{actor.name}: {t[titles[name]]}", lang, actor=actor)


def tag_route(request: Request) -> Response:
    """``/tags/{tag}``: what this node's organizations published with a hashtag."""
    node = ctx(request)
    tag = request.path_params["tag"]
    if not TAG_RE.match(tag):
        return _error(request, 404, N_("Not found"), N_("There is no such hashtag."))
    lang = item_view.choose_language(
        request.query_params.get("lang"), request.headers.get("accept-language", ""), ()
    )
    with Session(node.engine) as session:
        found = listed(request, session, listings.tag_list(tag))
    if isinstance(found, Response):
        return found
    heading = messages.translator(lang.ui)["tagged"].format(tag=tag[:64])
    return _list_page(request, found, heading, lang, feed_tag=tag)
