"""``POST /items/{uid}/answer`` (the answer form on a call's page) and ``GET
/items/{uid}/answered`` (its thank-you page). The rules of an answer are in answers.py."""

from __future__ import annotations

import math

from anyio import to_thread
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.publishing import answers
from node.features.publishing import page_data as item_view
from node.models import Item, LocalActor
from node.urls import is_uid
from node.web import forms, messages
from node.web.i18n import N_
from node.web.render import ctx, html

MAX_FORM = 20_000


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return html(request, "error.html", status=status, title=title, message=message)


def _call(session: Session, request: Request) -> tuple[Item, LocalActor] | None:
    uid = request.path_params["uid"]
    if not is_uid(uid):
        return None
    item = session.exec(select(Item).where(Item.ap_id == ctx(request).urls.item(uid))).first()
    if item is None or item.deleted_at is not None or item.kind != "call":
        return None
    author = session.get(LocalActor, item.actor_id)
    return (item, author) if author is not None else None


def _form_page(
    request: Request,
    item: Item,
    author: LocalActor,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    """The form again, with what was typed and what to fix (a fresh token: one post each)."""
    node = ctx(request)
    lang = messages.ui_language(values.get("lang") or "en")
    t = messages.translator(lang)
    nonce = request.cookies.get(forms.COOKIE)
    if not forms.valid_nonce(nonce):
        nonce = forms.new_nonce()
    assert nonce is not None
    uid = request.path_params["uid"]
    response = html(
        request,
        "call_answer.html",
        status=status,
        item=item,
        author=author,
        title=item_view.text_of(item.document, "name", values.get("lang") or lang),
        lang=lang,
        t=t,
        answer=answers.form_context(node.settings.secret_key, nonce, item, uid, lang),
        values=values,
        errors={k: t[v] for k, v in errors.items()},
    )
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


def _too_many(request: Request) -> Response | None:
    limiter = ctx(request).limiters.answer
    wait = limiter.take(request.client.host) if limiter and request.client else 0.0
    if not wait:
        return None
    refused = _error(request, 429, N_("Too many answers"), N_("Please try again later."))
    refused.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return refused


async def answer_route(request: Request) -> Response:
    """``POST /items/{uid}/answer``: someone answers a call; stored for the organization only."""
    node = ctx(request)
    refused = _too_many(request)
    if refused is not None:
        return refused
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return _error(request, 411, N_("Length required"), N_("The form must say how long it is."))
    if int(declared) > MAX_FORM:
        return _error(request, 413, N_("Too large"), N_("The form is larger than expected."))
    form = await request.form(max_files=0, max_fields=10)
    values = {k: str(form.get(k, ""))[: answers.MESSAGE_MAX + 1] for k in answers.FIELDS}
    values["lang"] = values["lang"][:35]
    answer, errors = answers.validate_answer(values)
    token = values["token"]
    uid = request.path_params["uid"]
    cookie = request.cookies.get(forms.COOKIE)
    if not forms.check_token(node.settings.secret_key, cookie, uid, token):
        errors["form"] = "error_form"
    elif answer is not None and not node.spent_tokens.spend(token):
        errors["form"] = "error_form"  # a token is good for one answer

    def work() -> Response:
        with session_scope(node.engine) as session:
            found = _call(session, request)
            if found is None:
                return _error(
                    request, 404, N_("Not found"), N_("There is no such call on this node.")
                )
            item, author = found
            if answer is not None and not errors:
                try:
                    answers.store_answer(session, item, answer)
                except answers.AnswerError:
                    errors["form"] = "call_closed"
                else:
                    lang = f"?lang={values['lang']}" if values["lang"] else ""
                    return RedirectResponse(f"{item.ap_id}/answered{lang}", status_code=303)
            status = 409 if list(errors) == ["form"] else 422
            return _form_page(request, item, author, values, errors, status)

    return await to_thread.run_sync(work)


def answered_route(request: Request) -> Response:
    """``GET /items/{uid}/answered``: the thank-you page after an answer."""
    lang = messages.ui_language(request.query_params.get("lang") or "en")
    with Session(ctx(request).engine) as session:
        found = _call(session, request)
        if found is None:
            return _error(request, 404, N_("Not found"), N_("There is no such call on this node."))
        item, author = found
        title = item_view.text_of(item.document, "name", lang)
    return html(
        request,
        "call_answered.html",
        item=item,
        author=author,
        title=title,
        lang=lang,
        t=messages.translator(lang),
    )
