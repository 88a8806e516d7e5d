"""``POST /items/{uid}/feedback``: the feedback form on an ended event's page (the rules are
in feedback.py). Guarded like the registration form: the per-address limit
``SOLNODE_RATE_LIMIT_REGISTER``, a one-use form token bound to the page's cookie."""

from __future__ import annotations

import math

from anyio import to_thread
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.publishing import feedback
from node.models import Item, Participant
from node.urls import is_uid
from node.web import forms, messages
from node.web.i18n import N_
from node.web.render import ctx, html

MAX_FORM = 10_000
FIELDS = ("rating", "comment", "email", "invite", "token", "lang")
REASONS = {
    "not-ended": (409, N_("Not over yet"), N_("Feedback opens when the event has ended.")),
    "given": (
        409,
        N_("Already received"),
        N_("Thank you: your feedback on this event is already in."),
    ),
    "closed": (404, N_("Not found"), N_("Only events that took place take feedback.")),
}


def _error(request: Request, status: int, title: str, message: str) -> Response:
    return html(request, "error.html", status=status, title=title, message=message)


def _checked(request: Request, values: dict[str, str]) -> str | None:
    """What is wrong with the posted form (a message), or None."""
    node = ctx(request)
    t = messages.translator(values["lang"] or "en")
    token = values["token"]
    uid = request.path_params["uid"]
    if not forms.check_token(node.settings.secret_key, request.cookies.get(forms.COOKIE), uid,
                             token) or not node.spent_tokens.spend(token):  # fmt: skip
        return t["error_form"]
    if values["rating"] not in {str(r) for r in feedback.RATINGS}:
        return t["error_rating"]
    if feedback.clean_comment(values["comment"]) is None:
        return t["error_comment"]
    email = values["email"].strip()
    if email and (len(email) > 320 or not forms.EMAIL.match(email)):
        return t["error_email"]
    return None


def _store(request: Request, values: dict[str, str]) -> Response:
    node = ctx(request)
    uid = request.path_params["uid"]
    with session_scope(node.engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == node.urls.item(uid))).first()
        if item is None:
            return _error(request, 404, N_("Not found"), N_("There is no such post on this node."))
        who = feedback.participant_of_key(node.settings.secret_key, item, values["invite"])
        if who is not None and session.get(Participant, who) is None:
            who = None  # a participant since removed: the feedback is still welcome
        who = who or feedback.registration_of(session, item, values["email"].strip())
        given = feedback.FeedbackInput(int(values["rating"]),
                                       feedback.clean_comment(values["comment"]) or "", who)  # fmt: skip
        try:
            feedback.give(session, item, given)
        except feedback.FeedbackError as exc:
            session.rollback()
            return _error(request, *REASONS[exc.reason])
        target = f"{item.ap_id}?feedback=thanks"
    if values["lang"] in messages.UI_LANGUAGES:
        target += f"&lang={values['lang']}"
    return RedirectResponse(target + "#feedback", status_code=303)


async def feedback_route(request: Request) -> Response:
    """``POST /items/{uid}/feedback``: a rating and a comment on an event that has ended."""
    node = ctx(request)
    limiter = node.limiters.register
    wait = limiter.take(request.client.host) if limiter and request.client else 0.0
    if wait:
        refused = _error(request, 429, N_("Too many posts"), N_("Please try again later."))
        refused.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return refused
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return _error(request, 411, N_("Length required"), N_("The form must say how long it is."))
    if int(declared) > MAX_FORM:
        return _error(request, 413, N_("Too large"), N_("The form is larger than expected."))
    if not is_uid(request.path_params["uid"]):
        return _error(request, 404, N_("Not found"), N_("There is no such post on this node."))
    form = await request.form(max_files=0, max_fields=10)
    values = {k: str(form.get(k, ""))[: feedback.COMMENT_MAX + 100] for k in FIELDS}
    problem = _checked(request, values)
    if problem is not None:
        return _error(request, 422, N_("Please check the form"), problem)
    return await to_thread.run_sync(lambda: _store(request, values))
