"""``/items/{uid}/interact`` (join from your server) and ``/items/{uid}/registrations/{token}``: a registration's own page (the confirmation after
registering, then the place to see or cancel it), and ``…/cancel``.

The token in the address is the only key, so the page is never cached or indexed and sends no
``Referer`` to the links on it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from anyio import to_thread
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.participation import registrations
from node.features.publishing import page_data as item_view
from node.features.publishing import registration_view
from node.features.publishing.event_links import TEXTS
from node.federation.remote.fetch import RemoteActorError
from node.federation.remote.interact import interaction_url
from node.web import forms, i18n, messages
from node.web.i18n import N_
from node.web.render import ctx, html, page_language

__all__ = ["cancel_route", "confirm_route", "interact_route", "registration_route"]

MAX_FORM = 4_000

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def _language(request: Request) -> str:
    return item_view.choose_language(
        request.query_params.get("lang"), request.headers.get("accept-language", ""), ()
    ).ui


def _not_found(request: Request) -> Response:
    return html(
        request,
        "error.html",
        status=404,
        title=N_("Not found"),
        message=N_("There is no such registration: check the address you were given."),
    )


def registration_route(request: Request) -> Response:
    """``GET /items/{uid}/registrations/{token}``."""
    with Session(ctx(request).engine) as session:
        found = registration_view.load_event(session, request)
        token = request.path_params["token"]
        row = registrations.find(session, found[0], token) if found else None
        if found is None or row is None:
            return _not_found(request)
        item, author = found
        page = registration_view.context(
            request, item, author, row, token=token, lang=_language(request)
        )
    response = html(request, "registration.html", **page)
    response.headers.update(PRIVATE_HEADERS)
    return response


async def cancel_route(request: Request) -> Response:
    """``POST /items/{uid}/registrations/{token}/cancel``: the person cancels; back to their
    registration's page, which now says so."""
    node = ctx(request)
    token = request.path_params["token"]

    def work() -> bool:
        with session_scope(node.engine) as session:
            found = registration_view.load_event(session, request)
            row = registrations.find(session, found[0], token) if found else None
            if found is None or row is None:
                return False
            if row.state in ("pending", "accepted"):
                registrations.cancel(session, found[0], row)
            return True

    if not await to_thread.run_sync(work):
        return _not_found(request)
    target = node.settings.url(request.url.path.removesuffix("/cancel"))
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(target + query, status_code=303)


async def confirm_route(request: Request) -> Response:
    """``POST /items/{uid}/registrations/{token}/confirm``: the person, who opened the e-mailed
    link, confirms (``SOLNODE_REGISTRATION_CONFIRM``); a button, not the link itself, so that a
    mail scanner fetching links confirms nothing. Back to the page, which the browser remembers."""
    node = ctx(request)
    token = request.path_params["token"]

    def work() -> Response | None:
        with session_scope(node.engine) as session:
            found = registration_view.load_event(session, request)
            row = registrations.find(session, found[0], token) if found else None
            if found is None or row is None:
                return _not_found(request)
            try:
                registrations.confirm(session, found[0], row)
            except registrations.ParticipationError as exc:
                key = "registration_expired" if exc.reason == "expired" else exc.reason
                t = messages.translator(_language(request))
                message = TEXTS.get(key) or t.get(key) or t["closed"]
                return html(request, "error.html", status=409, title=TEXTS["your_registration"],
                            message=message)  # fmt: skip
            return None

    refused = await to_thread.run_sync(work)
    if refused is not None:
        return refused
    item_path = request.url.path.removesuffix("/confirm")
    target = RedirectResponse(
        node.settings.url(item_path) + (f"?{request.url.query}" if request.url.query else ""),
        status_code=303,
    )
    with Session(node.engine) as session:
        found = registration_view.load_event(session, request)
    if found is not None:
        registration_view.remember(target, request, found[0], token)
    return target


def interact_token_scope(uid: str) -> str:
    """What the follow/join form's token is bound to (not the registration form's)."""
    return f"{uid}#interact"


def _interact_error(request: Request, status: int, message: str) -> Response:
    return html(
        request,
        "error.html",
        status=status,
        title=N_("Follow or join from your server"),
        message=message,
    )


async def interact_route(request: Request) -> Response:
    """``POST /items/{uid}/interact``: the visitor's handle in, a redirect to their server's
    page for following or joining out (its WebFinger's remote-interaction template)."""
    node = ctx(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > MAX_FORM:
        return _interact_error(request, 413, N_("The form is larger than expected."))
    form = await request.form(max_files=0, max_fields=5)
    handle, token = str(form.get("handle", ""))[:400].strip(), str(form.get("interact_token", ""))
    uid = request.path_params["uid"]
    if not forms.check_token(
        node.settings.secret_key,
        request.cookies.get(forms.COOKIE),
        interact_token_scope(uid),
        token,
    ):
        return _interact_error(
            request, 409, N_("The form has expired: go back, reload the page and try again.")
        )

    def event_id() -> tuple[str, str] | None:
        with Session(node.engine) as session:
            found = registration_view.load_event(session, request)
            doc = found[0].document if found else {}
            return (found[0].ap_id, str(doc.get("name", ""))) if found else None

    found = await to_thread.run_sync(event_id)
    if found is None:
        return _not_found(request)
    ident, title = found
    try:
        target = await interaction_url(node, handle, ident)
    except RemoteActorError as exc:
        status = 422 if exc.reason == "bad_handle" else 502
        lang = page_language(request, {})
        hint = i18n.gettext(lang, N_("Type it as you@your.server.")) if status == 422 else f"{exc}."
        sentence = N_(
            "We could not send you to your server. %(hint)s You can also search for %(ident)s "
            "in your fediverse app."
        )
        message = i18n.gettext(lang, sentence) % {"hint": hint, "ident": ident}
        return _interact_error(request, status, message)
    # A page with the link, not a redirect: the visitor sees where they are going, and the
    # page's CSP (form-action 'self') would stop a form's redirect to another site anyway.
    return html(
        request,
        "interact.html",
        t=messages.localized(TEXTS, _language(request)) | messages.translator(_language(request)),
        title=title,
        target=target,
        host=urlsplit(target).netloc,
        event_url=ident,
    )
