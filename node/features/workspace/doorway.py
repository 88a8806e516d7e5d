"""Forms shown before anyone is signed in (sign-in, an invitation, a reset link): CSRF by the
double-submit pattern of node/web/forms.py, a nonce in a ``SameSite=Strict`` cookie scoped to
``/workspace`` and a signed token in the form."""

from __future__ import annotations

import math

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from node.features.workspace.desk import FORM_EXPIRED, NO_STORE, reader_language, refusal
from node.web import forms, i18n
from node.web.i18n import N_
from node.web.render import ctx, html

COOKIE = "sn_ws_form"
PATH = "/workspace"
MAX_FORM = 20_000


def nonce_of(request: Request) -> tuple[str, bool]:
    """The browser's nonce, and whether it is new (then the response must set it)."""
    nonce = request.cookies.get(COOKIE)
    if forms.valid_nonce(nonce):
        assert nonce is not None
        return nonce, False
    return forms.new_nonce(), True


def page(
    request: Request, template: str, purpose: str, status: int = 200, **context: object
) -> Response:
    """Render a doorway form (``purpose`` binds its token to this kind of form)."""
    node = ctx(request)
    nonce, fresh = nonce_of(request)
    token = forms.form_token(node.settings.secret_key, nonce, purpose)
    response = html(request, template, status, headers=dict(NO_STORE), form_token=token,
                    ui_lang=reader_language(request), **context)  # fmt: skip
    if fresh:
        response.set_cookie(COOKIE, nonce, max_age=forms.MAX_AGE, path=PATH, httponly=True,
                            samesite="strict", secure=node.settings.scheme == "https")  # fmt: skip
    return response


async def read(request: Request, purpose: str) -> FormData | Response:
    """The posted form when its token is good, else the refusal to send (413, 403)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        return refusal(request, 413, N_("Too large"), N_("The form is larger than expected."))
    form = await request.form(max_files=0, max_fields=20)
    token = form.get("form_token")
    secret = ctx(request).settings.secret_key
    if not forms.check_token(secret, request.cookies.get(COOKIE), purpose,
                             token if isinstance(token, str) else None):  # fmt: skip
        return refusal(request, 403, N_("Form expired"), FORM_EXPIRED)
    return form


def text(form: FormData, name: str, limit: int = 1000) -> str:
    """A posted text field ('' when absent), bounded."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def too_many(request: Request, wait: float) -> Response:
    """429 for too many attempts, with Retry-After and words for the person."""
    minutes = max(1, math.ceil(wait / 60))
    lang = reader_language(request)
    message = i18n.translations(lang).ngettext(
        "Too many sign-in attempts from your address. Please wait %(num)d minute and try again.",
        "Too many sign-in attempts from your address. Please wait %(num)d minutes and try again.",
        minutes,
    ) % {"num": minutes}
    refused = refusal(request, 429, N_("Too many attempts"), message)
    refused.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return refused
