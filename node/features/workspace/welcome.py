"""Pages behind one-use links: ``/workspace/invitations/{token}`` (join an organization or
network, with a new account or an existing one) and ``/workspace/reset/{token}`` (choose a
new password). Both sign the person in with a new session."""

from __future__ import annotations

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.workspace import doorway, links
from node.features.workspace.accounts import (
    UserError,
    authenticate,
    create_user,
    find_user,
    grant,
    set_password,
)
from node.features.workspace.desk import reader_language, refusal
from node.features.workspace.sessions import COOKIE, end_all_sessions, set_cookie, start_session
from node.web.i18n import N_
from node.web.render import ctx

INVITE_PURPOSE = "workspace-invitation"
RESET_PURPOSE = "workspace-reset"


def _gone(request: Request) -> Response:
    return refusal(request, 404, N_("Link not valid"),
                   N_("This link was used already or has expired. Ask an admin for a new one."))  # fmt: skip


def _live(request: Request, kind: str) -> links.LiveLink | None:
    with Session(ctx(request).engine) as session:
        return links.live(session, kind, str(request.path_params.get("token", "")))


def _new_password(form: FormData) -> str:
    password = doorway.text(form, "password", 2000)
    if password != doorway.text(form, "confirm", 2000):
        raise UserError(N_("The two passwords are not the same."))
    return password


async def invitation_form(request: Request) -> Response:
    """``GET /workspace/invitations/{token}``."""
    link = await run_in_threadpool(_live, request, links.INVITE)
    if link is None:
        return _gone(request)
    return doorway.page(request, "workspace/invitation.html", INVITE_PURPOSE, link=link)


def _join(request: Request, form: FormData) -> str:
    """Take the invitation: the role for the actor, a new session; the session's token."""
    with session_scope(ctx(request).engine) as session:
        link = links.live(session, links.INVITE, str(request.path_params.get("token", "")))
        if link is None or link.actor is None:
            raise links.LinkError(N_("This link was used already or has expired."))
        email, password = doorway.text(form, "email", 320), doorway.text(form, "password", 2000)
        if find_user(session, email) is not None:
            user = authenticate(session, email, password)
            if user is None:
                raise UserError(N_("This e-mail has an account here: give its password."))
        else:
            chosen = _new_password(form)
            if not chosen:
                raise UserError(N_("Choose a password for your new account."))
            user, _ = create_user(session, email, password=chosen)
        links.use(session, link)
        grant(session, user, link.actor, link.row.role)
        assert user.id is not None
        return start_session(session, user.id, replacing=request.cookies.get(COOKIE))


async def invitation(request: Request) -> Response:
    """``POST /workspace/invitations/{token}``: join with a new account or an existing one."""
    node = ctx(request)
    limiter = node.limiters.signin
    wait = limiter.take(request.client.host) if limiter and request.client else 0.0
    if wait:
        return doorway.too_many(request, wait)
    link = await run_in_threadpool(_live, request, links.INVITE)
    if link is None or link.actor is None:
        return _gone(request)
    form = await doorway.read(request, INVITE_PURPOSE)
    if isinstance(form, Response):
        return form
    try:
        token = await run_in_threadpool(_join, request, form)
    except (UserError, links.LinkError) as exc:
        return doorway.page(request, "workspace/invitation.html", INVITE_PURPOSE, status=400,
                            link=link, error=exc.in_language(reader_language(request)), email=doorway.text(form, "email", 320))  # fmt: skip
    response = RedirectResponse(f"/workspace/{link.actor.slug}", status_code=303)
    set_cookie(response, node.settings, token)
    return response


async def reset_form(request: Request) -> Response:
    """``GET /workspace/reset/{token}``."""
    link = await run_in_threadpool(_live, request, links.RESET)
    if link is None:
        return _gone(request)
    return doorway.page(request, "workspace/reset.html", RESET_PURPOSE, link=link)


def _reset(request: Request, form: FormData) -> str:
    with session_scope(ctx(request).engine) as session:
        link = links.live(session, links.RESET, str(request.path_params.get("token", "")))
        if link is None or link.user is None or link.user.id is None:
            raise links.LinkError(N_("This link was used already or has expired."))
        set_password(session, link.user, _new_password(form))
        links.use(session, link)
        end_all_sessions(session, link.user.id)
        return start_session(session, link.user.id)


async def reset(request: Request) -> Response:
    """``POST /workspace/reset/{token}``: a new password; every other session ends."""
    node = ctx(request)
    link = await run_in_threadpool(_live, request, links.RESET)
    if link is None:
        return _gone(request)
    form = await doorway.read(request, RESET_PURPOSE)
    if isinstance(form, Response):
        return form
    try:
        token = await run_in_threadpool(_reset, request, form)
    except (UserError, links.LinkError) as exc:
        return doorway.page(request, "workspace/reset.html", RESET_PURPOSE, status=400,
                            link=link, error=exc.in_language(reader_language(request)))  # fmt: skip
    response = RedirectResponse("/workspace?done=password", status_code=303)
    set_cookie(response, node.settings, token)
    return response
