"""The page kit of the workspace: ``@staff_page(role=...)`` and the :class:`Desk` it hands to a
handler (see the package docstring for the contract and an example)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from node.features.workspace import nav
from node.features.workspace.accounts import RANK, StaffUser, actors_of, role_for
from node.features.workspace.sessions import COOKIE, csrf_ok, csrf_token, signed_in
from node.federation.actors.local import get_actor
from node.federation.context import NodeContext
from node.models import LocalActor
from node.web.i18n import N_
from node.web.render import ctx, html, page_language
from node.web.wording import words

SIGN_IN = "/workspace/sign-in"
SAFE_METHODS = {"GET", "HEAD"}
# Forms of the workspace: text fields and a few uploads (images), never more.
MAX_FIELDS = 200
MAX_FILES = 10
NO_STORE = {"Cache-Control": "no-store"}
FORM_EXPIRED = N_("This form could not be accepted: please go back, reload the page and try again.")


def reader_language(request: Request) -> str:
    """The language of a workspace page: ``?lang=`` when given (the public pages honour it
    too), else the reader's Accept-Language."""
    asked = request.query_params.get("lang", "")[:35]
    return page_language(request, {"ui_lang": asked} if asked else {})


@dataclass
class Seat:
    """A signed-in person's request, on a page of their own (account, the list of actors)."""

    request: Request
    node: NodeContext
    user: StaffUser
    csrf_token: str
    # the posted form (already read to check its CSRF token); None on GET
    form: FormData | None = None

    @property
    def engine(self) -> Engine:
        """The database engine (read with ``Session(desk.engine)``, write with
        ``node.db.session_scope(desk.engine)``)."""
        return self.node.engine

    def field(self, name: str, limit: int = 10_000) -> str:
        """A posted text field, trimmed ('' when absent); bounded to ``limit`` characters."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip()[:limit] if isinstance(value, str) else ""

    def number(self, name: str) -> int:
        """A posted row id (0 when absent, not a number, or beyond any stored id)."""
        value = self.field(name, 12)
        return int(value) if value.isdigit() and int(value) <= 2**31 - 1 else 0

    @property
    def lang(self) -> str:
        """The language of this person's pages: ``?lang=`` when asked (as on every public
        page), else their browser's (Accept-Language)."""
        return reader_language(self.request)

    def gettext(self, message: str, **values: Any) -> str:
        """An N_-marked message in :attr:`lang`, its ``%(name)s`` placeholders filled."""
        return words(self.lang, message, **values)

    def _context(self) -> dict[str, Any]:
        with Session(self.engine) as session:
            actors = actors_of(session, self.user)
        done = nav.DONE_MESSAGES.get(self.request.query_params.get("done", ""))
        return {"seat": self, "user": self.user, "csrf_token": self.csrf_token,
                "my_actors": actors, "done": done}  # fmt: skip

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """Render a template that extends ``workspace/base.html`` (never cached by browsers)."""
        merged = {"ui_lang": self.lang, **self._context(), **context}
        return html(self.request, template, status, headers=dict(NO_STORE), **merged)

    def redirect(self, path: str, *, done: str | None = None) -> Response:
        """303 to ``path`` (after a POST), with a confirmation key of ``nav.DONE_MESSAGES``."""
        query = "?" + urlencode({"done": done}) if done else ""
        return RedirectResponse(path + query, status_code=303)


@dataclass
class Desk(Seat):
    """A signed-in person working for one organization or network: ``actor`` with ``role``
    (``admin`` or ``editor``; node admins are ``admin`` everywhere)."""

    actor: LocalActor = field(default_factory=lambda: LocalActor(slug="", kind="", name=""))
    role: str = "editor"

    @property
    def base(self) -> str:
        """This actor's workspace URL path: ``/workspace/{slug}``."""
        return f"/workspace/{self.actor.slug}"

    def sections(self) -> list[nav.Section]:
        """The navigation entries this person's role may see."""
        return [
            s
            for s in nav.SECTIONS
            if RANK[self.role] >= RANK[s.role] and (not s.kinds or self.actor.kind in s.kinds)
        ]

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return super().render(template, status, desk=self, actor=self.actor, role=self.role,
                              **context)  # fmt: skip

    def redirect(self, path: str = "", *, done: str | None = None) -> Response:
        """303 to ``path`` under this actor's workspace (``""``: the dashboard)."""
        return super().redirect(self.base + path, done=done)


DeskHandler = Callable[[Desk], Awaitable[Response] | Response]
SeatHandler = Callable[[Seat], Awaitable[Response] | Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def refusal(request: Request, status: int, title: str, message: str) -> Response:
    """An error page of the workspace (403, 404, 429…), never cached. ``title`` and
    ``message``: N_-marked English (error.html translates them) or words already translated."""
    return html(request, "error.html", status, headers=dict(NO_STORE), title=title,
                message=message, ui_lang=reader_language(request))  # fmt: skip


def not_yours(request: Request) -> Response:
    """404: the same answer whether the actor does not exist or is not this person's."""
    return refusal(request, 404, N_("Not found"), N_("There is no such page in your workspace."))


def to_sign_in(request: Request) -> Response:
    """303 to the sign-in page, coming back here afterwards (GET pages only)."""
    target = request.url.path if request.method in SAFE_METHODS else "/workspace"
    return RedirectResponse(f"{SIGN_IN}?next={quote(target)}", status_code=303)


async def _call(handler: Callable[[Any], Awaitable[Response] | Response], arg: Any) -> Response:
    if inspect.iscoroutinefunction(handler):
        result: Response = await handler(arg)
        return result
    return await run_in_threadpool(handler, arg)  # type: ignore[arg-type]


async def _seat(request: Request) -> Seat | Response:
    """The signed-in person with a checked form, or the answer that refuses the request."""
    node = ctx(request)
    token = request.cookies.get(COOKIE)
    user = await run_in_threadpool(signed_in, node.engine, token)
    if user is None or token is None:
        return to_sign_in(request)
    seat = Seat(request=request, node=node, user=user,
                csrf_token=csrf_token(node.settings.secret_key, token))  # fmt: skip
    if request.method not in SAFE_METHODS:
        seat.form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    return seat


def _forged(seat: Seat) -> Response | None:
    if seat.form is None:
        return None
    token = seat.request.cookies.get(COOKIE, "")
    if csrf_ok(seat.node.settings.secret_key, token, seat.field("csrf", 200)):
        return None
    return refusal(seat.request, 403, N_("Form expired"), FORM_EXPIRED)


def _actor_and_role(
    engine: Engine, user: StaffUser, slug: str
) -> tuple[LocalActor | None, str | None]:
    with Session(engine) as session:
        actor = get_actor(session, slug) if len(slug) <= 64 else None
        if actor is None or actor.kind == "application":
            return None, None
        return actor, role_for(session, user, actor)


def staff_page(role: str = "editor") -> Callable[[DeskHandler], Endpoint]:
    """Make ``handler(desk)`` the endpoint of a page under ``/workspace/{slug}…`` (see the
    package docstring): signed in, a role for ``{slug}`` (404 without one, 403 below ``role``),
    a valid CSRF token on every non-GET (403)."""
    if role not in RANK:
        raise ValueError(f"unknown workspace role {role!r}")

    def wrap(handler: DeskHandler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            seat = await _seat(request)
            if isinstance(seat, Response):
                return seat
            slug = str(request.path_params.get("slug", ""))
            actor, have = await run_in_threadpool(
                _actor_and_role, seat.node.engine, seat.user, slug
            )
            if actor is None or have is None:
                return not_yours(request)
            if RANK[have] < RANK[role]:
                return refusal(request, 403, N_("Admins only"),
                               N_("Only an admin of this organization or network may do this."))  # fmt: skip
            forged = _forged(seat)
            if forged is not None:
                return forged
            desk = Desk(**vars(seat), actor=actor, role=have)
            return await _call(handler, desk)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        endpoint.workspace_role = role  # type: ignore[attr-defined]
        return endpoint

    return wrap


def seat_page(handler: SeatHandler) -> Endpoint:
    """Make ``handler(seat)`` the endpoint of a signed-in person's own page (no actor)."""

    async def endpoint(request: Request) -> Response:
        seat = await _seat(request)
        if isinstance(seat, Response):
            return seat
        forged = _forged(seat)
        if forged is not None:
            return forged
        return await _call(handler, seat)

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
