"""Who works for an organization or network (admins only): ``/workspace/{slug}/staff`` lists
them; give a role to someone with an account, take it away, invite someone with a link, hand
out a password reset link."""

from __future__ import annotations

from sqlmodel import Session
from starlette.responses import Response

from node.db import session_scope
from node.features.workspace import links
from node.features.workspace.accounts import ROLES, UserError, find_user, grant, revoke, staff_of
from node.features.workspace.desk import Desk, staff_page
from node.models import UserAccount
from node.web.i18n import N_


def _page(desk: Desk, status: int = 200, error: str | None = None, **values: object) -> Response:
    """The staff page; ``error``: an N_-marked message (``%(name)s`` filled from ``values``)."""
    error = desk.gettext(error, **values) if error else None
    with Session(desk.engine) as session:
        people = staff_of(session, desk.actor)
        resettable = {u.id for u, _ in people if links.may_reset(session, desk.user, desk.actor, u)}
        invitations = links.pending_invitations(session, desk.actor)
    return desk.render("workspace/staff.html", status, people=people, roles=ROLES,
                       resettable=resettable, invitations=invitations, error=error)  # fmt: skip


def _user_id(desk: Desk, name: str = "user_id") -> int:
    value = desk.field(name, 12)
    return int(value) if value.isdigit() and int(value) < 2**31 else 0


@staff_page(role="admin")
def staff(desk: Desk) -> Response:
    """``GET /workspace/{slug}/staff``."""
    return _page(desk)


@staff_page(role="admin")
def give_role(desk: Desk) -> Response:
    """``POST /workspace/{slug}/staff/grant``: ``email`` (an existing account) and ``role``."""
    try:
        with session_scope(desk.engine) as session:
            user = find_user(session, desk.field("email", 320))
            if user is None:
                raise UserError(
                    N_("Nobody has an account with this e-mail: send an invitation instead.")
                )
            grant(session, user, desk.actor, desk.field("role", 16))
    except UserError as exc:
        return _page(desk, 400, exc.message, **exc.values)
    return desk.redirect("/staff", done="granted")


@staff_page(role="admin")
def take_role(desk: Desk) -> Response:
    """``POST /workspace/{slug}/staff/revoke``: ``user_id``."""
    with session_scope(desk.engine) as session:
        target = _user_id(desk)
        admins = [u.id for u, role in staff_of(session, desk.actor) if role == "admin"]
        if admins == [target] and not desk.user.is_node_admin:
            return _page(desk, 400, N_("Every organization and network keeps at least one "
                                       "admin: make someone else admin first."))  # fmt: skip
        removed = revoke(session, target, desk.actor)
    if not removed:
        return _page(desk, 400, N_("This person does not work here."))
    return desk.redirect("/staff", done="revoked")


@staff_page(role="admin")
def invite(desk: Desk) -> Response:
    """``POST /workspace/{slug}/staff/invite``: ``role``; shows the link once."""
    try:
        with session_scope(desk.engine) as session:
            path = links.make_invitation(session, desk.actor, desk.field("role", 16), desk.user)
    except links.LinkError as exc:
        return _page(desk, 400, exc.message, **exc.values)
    return desk.render("workspace/link.html", link=desk.node.settings.base_url + path,
                       what="invitation", days=links.LIFETIME[links.INVITE].days)  # fmt: skip


@staff_page(role="admin")
def withdraw(desk: Desk) -> Response:
    """``POST /workspace/{slug}/staff/withdraw``: ``link_id`` of an unused invitation."""
    with session_scope(desk.engine) as session:
        gone = links.withdraw(session, desk.actor, _user_id(desk, "link_id"))
    if not gone:
        return _page(desk, 400, N_("There is no such invitation."))
    return desk.redirect("/staff", done="saved")


@staff_page(role="admin")
def reset_link(desk: Desk) -> Response:
    """``POST /workspace/{slug}/staff/reset``: ``user_id``; shows the reset link once."""
    with session_scope(desk.engine) as session:
        user = session.get(UserAccount, _user_id(desk) or -1)
        allowed = user is not None and links.may_reset(session, desk.user, desk.actor, user)
        path = links.make_reset(session, user, desk.user) if user and allowed else None
    if user is None or path is None:
        return _page(desk, 403, N_("Only a node admin can reset the password of this person."))
    return desk.render("workspace/link.html", link=desk.node.settings.base_url + path,
                       what="reset", days=links.LIFETIME[links.RESET].days, email=user.email)  # fmt: skip
