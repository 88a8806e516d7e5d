"""The page of one registration on an event page: the confirmation right after registering,
and later the person's own page to see it (and, for an approval-only event once approved, the
online link) and cancel it. Its address holds the registration's secret token
(node/features/participation/registrations.py)."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.content.places import PRIVATE_LINK_MODES
from node.features.mail import jobs as mail_jobs
from node.features.participation import registrations
from node.features.publishing import page_data as item_view
from node.features.publishing.event_links import TEXTS
from node.models import Item, LocalActor, Participant
from node.urls import is_uid
from node.web import forms, messages
from node.web.render import ctx, html

__all__ = [
    "answer",
    "clean_name",
    "context",
    "form_errors",
    "load_event",
    "page_address",
    "queue_confirmation",
    "remember",
    "remembered",
]

# The browser keeps its registration's token for the event page: "you are registered" instead
# of the form. Only for this event's paths, never sent to scripts or other sites.
REMEMBER_COOKIE = "solnode_registration"
REMEMBER_AGE = 365 * 86_400

NAME_MAX = 100


def clean_name(value: str) -> str:
    """The name as given, or "" if it is not a plain name of at most ``NAME_MAX`` characters."""
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        return ""
    return text if len(text) <= NAME_MAX else ""


def form_errors(request: Request, values: dict[str, str], t: dict[str, str]) -> dict[str, str]:
    """What is wrong with a registration form (its token is spent here: one post each)."""
    node = ctx(request)
    uid = request.path_params["uid"]
    errors: dict[str, str] = {}
    if not forms.check_token(
        node.settings.secret_key, request.cookies.get(forms.COOKIE), uid, values["token"]
    ):
        errors["form"] = t["error_form"]
    elif not node.spent_tokens.spend(values["token"]):
        errors["form"] = t["error_form"]  # a token is good for one post
    if not clean_name(values["name"]):
        errors["name"] = t["error_name"]
    email = values["email"].strip()
    if email and (len(email) > 320 or not forms.EMAIL.match(email)):
        errors["email"] = t["error_email"]
    elif not email and node.settings.registration_confirm:
        errors["email"] = TEXTS["error_email_needed"]
    return errors


def load_event(session: Session, request: Request) -> tuple[Item, LocalActor] | None:
    """The live event of the ``uid`` in the path, with its organizer."""
    uid = request.path_params["uid"]
    if not is_uid(uid):
        return None
    item = session.exec(select(Item).where(Item.ap_id == ctx(request).urls.item(uid))).first()
    if item is None or item.deleted_at is not None or item.kind != "event":
        return None
    author = session.get(LocalActor, item.actor_id)
    return (item, author) if author is not None else None


def page_address(item: Item, token: str) -> str:
    """The address of a registration's own page."""
    return f"{item.ap_id}/registrations/{token}"


def _online_link(item: Item, row: Participant) -> str | None:
    """The online link, for an accepted participant of an approval-only event (everyone else
    sees it on the public page already, or must not see it)."""
    if row.state != "accepted" or item.source.get("joinMode") not in PRIVATE_LINK_MODES:
        return None
    inp = item_view.event_input(item)
    return inp.location.online_url if inp and inp.location else None


def context(
    request: Request,
    item: Item,
    author: LocalActor,
    row: Participant,
    *,
    token: str | None,
    lang: str,
) -> dict[str, Any]:
    """What registration.html shows (``token`` None: a second registration of the same person,
    told so without the page's address)."""
    t = messages.localized(TEXTS, lang) | messages.translator(lang)
    inp = item_view.event_input(item)
    title = item_view.text_of(item.document, "name", lang) or item.ap_id
    state = "duplicate" if token is None else row.state
    return {
        "t": t,
        "lang": lang,
        "title": title,
        "item": item,
        "author": author,
        "event_url": str(item.document.get("url", item.ap_id)),
        "when": messages.when(inp.start_time, inp.end_time, inp.timezone, lang) if inp else "",
        "state": state,
        "message": t[f"registration_{state}"],
        "name": row.name if token else "",
        "online_url": _online_link(item, row) if token else None,
        "cancel_action": f"{page_address(item, token)}/cancel?lang={lang}" if token else None,
        "can_cancel": token is not None and row.state in ("pending", "accepted"),
        "can_confirm": token is not None and row.state == "unconfirmed",
        "confirm_action": f"{page_address(item, token)}/confirm?lang={lang}" if token else None,
        # whether a confirmation e-mail went out (else the page says none will come)
        "mail": bool(token and row.email and ctx(request).settings.smtp_url),
        "email": row.email if token else "",
    }


def queue_confirmation(
    request: Request, session: Session, item: Item, row: Participant, token: str
) -> None:
    """Queue the confirmation e-mail of a new registration, when the person gave an address and
    the node sends e-mail (``SOLNODE_SMTP_URL``); it goes out in this transaction or not at all."""
    node = ctx(request)
    if not row.email or not node.settings.smtp_url:
        return
    name = item_view.text_of(item.document, "name", "en") or item.ap_id
    inp = item_view.event_input(item)
    when = messages.when(inp.start_time, inp.end_time, inp.timezone, "en") if inp else ""
    state = TEXTS[f"registration_{row.state}"]
    action = "confirm, see or cancel" if row.state == "unconfirmed" else "see or cancel"
    text = (
        f"Hello {row.name},\n\n{state}\n\n{name}\n{when}\n\n"
        f"To {action} your registration: {page_address(item, token)}\n"
        "Anyone who has this link can cancel it: keep it to yourself.\n\n"
        f"-- {node.settings.instance_name}\n"
    )
    mail_jobs.enqueue(session, to=row.email, subject=f"Your registration: {name}", text=text)


def answer(
    request: Request,
    session: Session,
    item: Item,
    author: LocalActor,
    done: registrations.Registration,
    asked_lang: str,
) -> Response:
    """The answer to a registration form that was accepted: the registration's own page (its
    address is the secret: 303 there, and the browser remembers it); a second registration of
    the same person is told so without it; one waiting for its e-mailed confirmation is told to
    look in the mailbox, and neither its address nor a cookie is given to the browser, or a
    script could confirm what it registered without reading any mail."""
    lang, query = asked_lang or "en", f"?lang={asked_lang}" if asked_lang else ""
    if done.token is None:  # one registration per person: say so, and no more
        page = context(request, item, author, done.row, token=None, lang=lang)
        return html(request, "registration.html", **page)
    queue_confirmation(request, session, item, done.row, done.token)
    if done.row.state == "unconfirmed":
        page = context(request, item, author, done.row, token=None, lang=lang)
        page |= {"state": "check_mail", "message": page["t"]["registration_check_mail"].format(
            email=done.row.email)}  # fmt: skip
        return html(request, "registration.html", status=202, **page)
    target = RedirectResponse(page_address(item, done.token) + query, status_code=303)
    return remember(target, request, item, done.token)


def remember(response: Response, request: Request, item: Item, token: str) -> Response:
    """Keep a new registration's token in this browser, for the event's pages."""
    response.set_cookie(
        REMEMBER_COOKIE,
        token,
        max_age=REMEMBER_AGE,
        path=urlsplit(item.ap_id).path,
        httponly=True,
        samesite="lax",
        secure=ctx(request).settings.scheme == "https",
    )
    return response


def remembered(session: Session, request: Request, item: Item) -> str | None:
    """The address of this browser's live registration for ``item``, if it has one."""
    token = request.cookies.get(REMEMBER_COOKIE, "")
    row = registrations.find(session, item, token) if token else None
    if row is None or row.state not in ("pending", "accepted"):
        return None
    return page_address(item, token)
