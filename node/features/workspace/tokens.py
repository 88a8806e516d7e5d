"""API tokens of an organization or network (admins only): ``/workspace/{slug}/tokens`` —
create one with a label and an expiry (shown once), list them with their status, creation,
last use and expiry, revoke one. The services of ``solnode token create|list|revoke``
(node/api/tokens.py)."""

from __future__ import annotations

from sqlmodel import Session
from starlette.responses import Response

from node.api.tokens import MAX_EXPIRY_DAYS, create_token, list_tokens, revoke_token
from node.db import session_scope
from node.features.workspace.confirm import confirm_first
from node.features.workspace.desk import Desk, refusal, staff_page
from node.web.i18n import N_
from node.web.wording import Worded, in_language

EXPIRY_CHOICES = (("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year"),
                  ("", "never (until revoked)"))  # fmt: skip
MAX_LABEL = 200


def _page(desk: Desk, status: int = 200, **context: object) -> Response:
    with Session(desk.engine) as session:
        tokens = list_tokens(session, desk.actor.slug)
    return desk.render("workspace/tokens.html", status, tokens=tokens, choices=EXPIRY_CHOICES,
                       max_days=MAX_EXPIRY_DAYS, **context)  # fmt: skip


@staff_page(role="admin")
def tokens(desk: Desk) -> Response:
    """``GET /workspace/{slug}/tokens``."""
    return _page(desk)


def _days(text: str) -> int | None:
    """The expiry in days ('' never); a Worded error (a ValueError) otherwise."""
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_EXPIRY_DAYS:
        raise Worded(
            N_("The expiry is a number of days between 1 and %(most)d."), most=MAX_EXPIRY_DAYS
        )
    return int(text)


@staff_page(role="admin")
def create(desk: Desk) -> Response:
    """``POST /workspace/{slug}/tokens/create``: ``label``, ``expires_in`` (days, '' never);
    the token is shown on the answer, once."""
    label = desk.field("label", MAX_LABEL + 1)
    try:
        if len(label) > MAX_LABEL:
            raise Worded(N_("The label is longer than %(most)d characters."), most=MAX_LABEL)
        days = _days(desk.field("expires_in", 12))
        with session_scope(desk.engine) as session:
            token = create_token(session, desk.actor.slug, label=label, expires_in_days=days)
    except ValueError as exc:
        error = in_language(exc, desk.lang)
        return _page(desk, 400, error=error, label=label)
    return _page(desk, new_token=token, new_label=label, new_days=days)


@staff_page(role="admin")
def revoke(desk: Desk) -> Response:
    """``POST /workspace/{slug}/tokens/revoke``: ``token_id``, confirmed."""
    number = desk.number("token_id")
    with Session(desk.engine) as session:
        found = next((t for t in list_tokens(session, desk.actor.slug) if t.id == number), None)
    if found is None:
        return refusal(desk.request, 404, N_("No such token"),
                       N_("This organization or network has no API token with that number."))  # fmt: skip
    label = found.label or desk.gettext(N_("no label"))
    told = N_(
        "Every program using this token will be refused from now on (401). This cannot be "
        "undone: make a new token if one is needed again."
    )
    asking = confirm_first(desk,
                           title=desk.gettext(N_("Revoke token #%(number)s (%(label)s)?"),
                                              number=number, label=label),
                           button=desk.gettext(N_("Revoke")), back="/tokens",
                           consequence=desk.gettext(told))  # fmt: skip
    if asking is not None:
        return asking
    with session_scope(desk.engine) as session:
        revoke_token(session, number)
    return desk.redirect("/tokens", done="token-revoked")
