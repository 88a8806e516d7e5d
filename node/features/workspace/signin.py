"""Signing in and out: ``/workspace/sign-in``, ``/workspace/sign-out``,
``/workspace/sign-out-everywhere``, and ``/workspace`` itself (the actors one works for)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.workspace import doorway
from node.features.workspace.accounts import authenticate
from node.features.workspace.desk import Seat, seat_page
from node.features.workspace.sessions import (
    COOKIE,
    clear_cookie,
    end_all_sessions,
    end_session,
    set_cookie,
    start_session,
)
from node.web.i18n import N_
from node.web.render import ctx

PURPOSE = "workspace-sign-in"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the workspace, never another site."""
    if value and value.startswith("/workspace") and "//" not in value and "\\" not in value:
        return value[:500]
    return "/workspace"


async def sign_in_form(request: Request) -> Response:
    """``GET /workspace/sign-in``."""
    return doorway.page(request, "workspace/sign_in.html", PURPOSE,
                        next=safe_next(request.query_params.get("next")))  # fmt: skip


def _sign_in(request: Request, email: str, password: str) -> str | None:
    node = ctx(request)
    with session_scope(node.engine) as session:
        user = authenticate(session, email, password)
        if user is None or user.id is None:
            return None
        # A token the browser had before is never adopted: a new one, the old one ended.
        return start_session(session, user.id, replacing=request.cookies.get(COOKIE))


async def sign_in(request: Request) -> Response:
    """``POST /workspace/sign-in``: e-mail and password; limited per address."""
    node = ctx(request)
    limiter = node.limiters.signin
    wait = limiter.take(request.client.host) if limiter and request.client else 0.0
    if wait:
        return doorway.too_many(request, wait)
    form = await doorway.read(request, PURPOSE)
    if isinstance(form, Response):
        return form
    email, target = doorway.text(form, "email", 320), safe_next(doorway.text(form, "next", 500))
    token = await run_in_threadpool(_sign_in, request, email, doorway.text(form, "password"))
    if token is None:
        return doorway.page(request, "workspace/sign_in.html", PURPOSE, status=400, email=email,
                            next=target, error=N_("The e-mail or the password is wrong."))  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, node.settings, token)
    return response


def _signed_out(seat: Seat, response: Response) -> Response:
    clear_cookie(response, seat.node.settings)
    return response


@seat_page
def sign_out(seat: Seat) -> Response:
    """``POST /workspace/sign-out``: this browser only."""
    end_session(seat.engine, seat.request.cookies.get(COOKIE))
    return _signed_out(seat, RedirectResponse("/workspace/sign-in", status_code=303))


@seat_page
def sign_out_everywhere(seat: Seat) -> Response:
    """``POST /workspace/sign-out-everywhere``: every browser of this person, this one too."""
    with session_scope(seat.engine) as session:
        end_all_sessions(session, seat.user.id)
    return _signed_out(seat, RedirectResponse("/workspace/sign-in", status_code=303))


@seat_page
def home(seat: Seat) -> Response:
    """``GET /workspace``: the organizations and networks this person works for."""
    return seat.render("workspace/home.html")
