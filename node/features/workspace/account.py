"""A person's own account: ``/workspace/account`` (change the password, sign out everywhere)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from node.db import session_scope
from node.features.workspace.accounts import UserError, set_password
from node.features.workspace.desk import Seat, seat_page
from node.features.workspace.passwords import verify_password
from node.features.workspace.sessions import COOKIE, end_all_sessions, set_cookie, start_session
from node.models import UserAccount
from node.web.i18n import N_


@seat_page
def account(seat: Seat) -> Response:
    """``GET /workspace/account``."""
    return seat.render("workspace/account.html")


def _change(seat: Seat) -> str:
    """Check the current password, store the new one, end every session: the new token."""
    new = seat.field("password", 2000)
    if new != seat.field("confirm", 2000):
        raise UserError(N_("The two new passwords are not the same."))
    with session_scope(seat.engine) as session:
        user = session.get(UserAccount, seat.user.id)
        assert user is not None and user.id is not None
        if not verify_password(user.password_hash, seat.field("current", 2000)):
            raise UserError(N_("Your current password is not right."))
        set_password(session, user, new)
        end_all_sessions(session, user.id)
        return start_session(session, user.id, replacing=seat.request.cookies.get(COOKIE))


@seat_page
def change_password(seat: Seat) -> Response:
    """``POST /workspace/account/password``: other browsers are signed out, this one stays."""
    try:
        token = _change(seat)
    except UserError as exc:
        return seat.render("workspace/account.html", status=400, error=exc.in_language(seat.lang))
    response = RedirectResponse("/workspace/account?done=password", status_code=303)
    set_cookie(response, seat.node.settings, token)
    return response
