"""Public HTML pages of items: an event (with its programme, other dates, how to take part and
the registration form), a call or news item (the lists of them: list_pages.py).

``/items/{uid}`` serves ActivityStreams to ActivityPub clients (node/features/publishing/object_routes.py; app.py
chooses by the Accept header) and these pages to browsers, in the language the reader asks for
(``?lang=``, else Accept-Language), with schema.org JSON-LD and Open Graph tags. No JavaScript.
"""

from __future__ import annotations

import math
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from node.content.fields import EventInput
from node.content.places import public_view
from node.db import as_utc, now_utc, session_scope
from node.features.participation import handlers as participation
from node.features.participation.handlers import ParticipationError
from node.features.participation.registrations import register_on_page
from node.features.publishing import (
    answers,
    event_links,
    feedback,
    registration_view,
    replies,
)
from node.features.publishing import page_data as item_view
from node.features.publishing.page_data import Language
from node.models import Item, LocalActor, Series
from node.urls import is_uid
from node.web import forms, messages, schema_org
from node.web.i18n import N_
from node.web.render import ctx, html

MAX_FORM = 10_000


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return html(request, "error.html", status=status, title=title, message=message)


def _languages(item: Item) -> tuple[str, ...]:
    langs = item.source.get("languages")
    return tuple(str(x) for x in langs) if isinstance(langs, list) else ()


def _participation(
    session: Session, request: Request, item: Item, nonce: str, lang: Language
) -> dict[str, Any]:
    assert item.id is not None
    node = ctx(request)
    source = item.source
    capacity = source.get("maximumAttendeeCapacity")
    count = participation.accepted_count(session, item.id)
    uid = node.urls.item_uid(item.ap_id) or ""
    return {
        "mode": source.get("joinMode", "free"),
        "state": participation.join_state(session, item),
        "count": count,
        "remaining": max(0, capacity - count) if isinstance(capacity, int) else None,
        "external": source.get("externalParticipationUrl"),
        "action": f"{item.ap_id}/register",
        "token": forms.form_token(node.settings.secret_key, nonce, uid),
        "interact": forms.form_token(node.settings.secret_key, nonce, f"{uid}#interact"),
        "lang": lang.content,
        "mine": registration_view.remembered(session, request, item),
    }


def _event_extras(session: Session, item: Item, lang: str) -> dict[str, Any]:
    """The conference a session belongs to, the sessions of a conference, a series' dates, the
    status notes."""
    extras: dict[str, Any] = {"parent": None, "programme": [], "other_dates": [], "notes": []}
    if item.parent_id is not None:
        parent = session.get(Item, item.parent_id)
        if parent is not None and parent.deleted_at is None:
            extras["parent"] = item_view.card(parent, lang)
    children = list(
        session.exec(select(Item).where(Item.parent_id == item.id, col(Item.deleted_at).is_(None)))
    )
    sessions = [c for c in children if c.kind == "event"]
    zone = str(item.document.get("timezone", "UTC"))
    extras["programme"] = item_view.programme(sessions, zone, lang)
    extras["notes"] = [
        {"html": n.document.get("content", ""), "published": n.published}
        for n in sorted(children, key=lambda c: c.published)
        if n.kind == "note"
    ]
    if item.series_id is not None:
        series = session.get(Series, item.series_id)
        dates = list(
            session.exec(
                select(Item).where(
                    Item.series_id == item.series_id,
                    col(Item.deleted_at).is_(None),
                    Item.id != item.id,
                )
            )
        )
        upcoming = item_view.upcoming_first(dates, now_utc())
        extras["other_dates"] = [item_view.card(d, lang) for d in upcoming[:6]]
        extras["series_uid"] = series.uid if series else None
    return extras


def render_item(
    request: Request,
    session: Session,
    item: Item,
    author: LocalActor,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The page of one item (an event page for events)."""
    node = ctx(request)
    lang = item_view.choose_language(
        request.query_params.get("lang") or (values or {}).get("lang"),
        request.headers.get("accept-language", ""),
        _languages(item),
    )
    page_url = str(item.document.get("url", item.ap_id))
    nonce = _form_nonce(request)
    context = _page_context(session, item, author, lang, page_url)
    context |= {"errors": errors or {}, "values": values or {}}
    context |= replies.page_context(request.query_params, session, item, lang.content, page_url)
    title = context["title"]
    inp = item_view.event_input(item) if item.kind == "event" else None
    text = schema_org.description(str(item.source.get("content", "")), title)
    if inp is not None:
        text = _add_event(context, request, session, item, author, inp, nonce, lang, page_url)
    if item.kind == "call":
        _add_call(context, item, lang.content)
        uid = node.urls.item_uid(item.ap_id) or ""
        secret = node.settings.secret_key
        context["answer"] = answers.form_context(secret, nonce, item, uid, lang.content)
    doc = item.document
    image = doc.get("image") if isinstance(doc.get("image"), dict) else None
    context["description"] = text
    context["og"] = schema_org.open_graph(
        title=title,
        url=page_url,
        text=text,
        kind=item.kind,
        site=node.settings.instance_name,
        locale=lang.content if _languages(item) else None,
        image=image,
    )
    template = "event.html" if inp is not None else "item.html"
    headers = event_links.EVENT_PAGE_HEADERS if inp is not None else None
    response = html(request, template, status=status, headers=headers, **context)
    if inp is not None or item.kind == "call":
        # The registration (or answer) form's nonce: the token in the form is only valid with this cookie.
        response.set_cookie(
            forms.COOKIE,
            nonce,
            max_age=forms.MAX_AGE,
            path="/items",
            httponly=True,
            samesite="strict",
            secure=node.settings.scheme == "https",
        )
    return response


def _form_nonce(request: Request) -> str:
    """The visitor's form nonce from its cookie, or a new one."""
    nonce = request.cookies.get(forms.COOKIE)
    if not forms.valid_nonce(nonce):
        nonce = forms.new_nonce()
    assert nonce is not None
    return nonce


def _page_context(
    session: Session, item: Item, author: LocalActor, lang: Language, page_url: str
) -> dict[str, Any]:
    """What every item page shows: title, text, tags, replies, language switcher."""
    t = messages.localized(event_links.TEXTS, lang.ui) | messages.translator(lang.ui)
    doc = item.document
    return {
        "item": item,
        "doc": doc,
        "published": as_utc(item.published),
        "author": author,
        "lang": lang.ui,
        "t": t,
        "alternates": item_view.switcher(lang, page_url),
        "title": item_view.text_of(doc, "name", lang.content) or t["published"],
        "title_lang": item_view.lang_of(doc, "name", lang.content),
        "content_html": item_view.text_of(doc, "content", lang.content),
        "content_lang": item_view.lang_of(doc, "content", lang.content),
        "tags": [
            {"name": str(tag.get("name", "")).lstrip("#"), "href": tag.get("href")}
            for tag in doc.get("tag", [])
            if isinstance(tag, dict)
        ],
    }


def _add_event(
    context: dict[str, Any],
    request: Request,
    session: Session,
    item: Item,
    author: LocalActor,
    inp: EventInput,
    nonce: str,
    lang: Language,
    page_url: str,
) -> str:
    """Add an event's facts, registration, programme and schema.org JSON-LD to ``context``;
    return the page's description."""
    inp = public_view(inp, page_url)  # an approval-only event's online link is not public
    facts = item_view.facts(inp, lang.content)
    facts["online_private"] = facts["online_url"] == page_url
    context["links"] = event_links.links(inp, facts["title"], page_url, item.ap_id)
    context |= {"f": facts, "p": _participation(session, request, item, nonce, lang)}
    context |= _event_extras(session, item, lang.content)
    context["fb"] = feedback.page_context(
        ctx(request).settings.secret_key, item, request.query_params
    )
    context["jsonld"] = schema_org.event_jsonld(
        inp,
        url=page_url,
        organizer=author.name,
        organizer_url=ctx(request).urls.profile(author.slug),
        name=facts["title"],
        text=inp.content_map.get(lang.content, inp.content),
        parent_url=context["parent"]["url"] if context["parent"] else None,
    )
    context["status_label"] = context["t"].get(f"status_{inp.status}")
    return str(context["jsonld"].get("description") or facts["when"])


def _add_call(context: dict[str, Any], item: Item, lang: str) -> None:
    """Add a call for collaboration's facts; its text replaces the stored content."""
    context["call"] = item_view.call_facts(item, lang)
    if context["call"] is not None:
        context["content_html"] = context["call"]["content_html"]
        context["content_lang"] = context["call"]["content_lang"]


def _load(session: Session, request: Request) -> tuple[Item, LocalActor] | Response:
    node = ctx(request)
    uid = request.path_params["uid"]
    item = (
        session.exec(select(Item).where(Item.ap_id == node.urls.item(uid))).first()
        if is_uid(uid)
        else None
    )
    if item is None:
        return _error(request, 404, N_("Not found"), N_("There is no such post on this node."))
    if item.deleted_at is not None:
        return _error(request, 410, N_("Deleted"), N_("This post was deleted by its author."))
    author = session.get(LocalActor, item.actor_id)
    assert author is not None
    return item, author


def item_page(request: Request) -> Response:
    """``GET /items/{uid}`` for browsers."""
    with Session(ctx(request).engine) as session:
        found = _load(session, request)
        if isinstance(found, Response):
            return found
        return render_item(request, session, *found)


async def register_route(request: Request) -> Response:
    """``POST /items/{uid}/register``: someone without a fediverse account takes part (a
    limited number of posts per address, each with a fresh form token)."""
    node = ctx(request)
    limiter = node.limiters.register
    wait = limiter.take(request.client.host) if limiter and request.client else 0.0
    if wait:
        seconds = max(1, math.ceil(wait))
        refused = _error(request, 429, N_("Too many registrations"), N_("Please try again later."))
        refused.headers["Retry-After"] = str(seconds)
        return refused
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return _error(request, 411, N_("Length required"), N_("The form must say how long it is."))
    if int(declared) > MAX_FORM:
        return _error(request, 413, N_("Too large"), N_("The form is larger than expected."))
    form = await request.form(max_files=0, max_fields=10)
    values = {k: str(form.get(k, ""))[:400] for k in ("name", "email", "token", "lang")}
    t_lang = values["lang"] or "en"
    t = messages.translator(t_lang)
    errors = registration_view.form_errors(request, values, t)
    name, email = registration_view.clean_name(values["name"]), values["email"].strip()

    def work() -> Response:
        with session_scope(node.engine) as session:
            found = _load(session, request)
            if isinstance(found, Response):
                return found
            item, author = found
            if item.kind != "event":
                return _error(request, 404, N_("Not found"), N_("Only events take registrations."))
            if not errors:
                browser = request.cookies.get(forms.COOKIE) or ""
                confirm = node.settings.registration_confirm
                try:
                    done = register_on_page(session, item, name, email, browser, confirm=confirm)
                except ParticipationError as exc:
                    errors["form"] = t["full"] if exc.reason == "full" else t["closed"]
                else:
                    return registration_view.answer(
                        request, session, item, author, done, values["lang"]
                    )
            status = 409 if "form" in errors and len(errors) == 1 else 422
            return render_item(
                request, session, item, author, errors=errors, values=values, status=status
            )

    return await to_thread.run_sync(work)
