"""A network's page: ``/workspace/{slug}/networks`` — membership requests (admit, refuse),
members (remove), curation rules and their log, the items it filed (hide one). Every action is
the service of ``solnode admit``, ``remove``, ``network rules``, ``network hide``
(node/features/networks/), so the Accept, Reject, Remove and Undo go out as from the CLI."""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session, col, select
from starlette.responses import Response

from node.db import session_scope
from node.features.networks import membership, rules
from node.features.workspace.confirm import confirm_first, confirm_first_async
from node.features.workspace.desk import Desk, not_yours, refusal, staff_page
from node.features.workspace.remote_words import why_not
from node.features.workspace.replies import who
from node.federation.remote.actors import RemoteActorError
from node.models import Membership
from node.models.networks import NetworkItem
from node.web.i18n import N_

ITEMS_SHOWN = 50


def _page(desk: Desk, status: int = 200, error: str | None = None) -> Response:
    with Session(desk.engine) as session:
        rows = membership.members(session, desk.actor, None)
        assert desk.actor.id is not None
        current = rules.load_rules(session, desk.actor.id)
        log = rules.log_entries(session, desk.actor)
        items = session.exec(
            select(NetworkItem)
            .where(NetworkItem.network_id == desk.actor.id)
            .order_by(col(NetworkItem.id).desc())
            .limit(ITEMS_SHOWN)
        ).all()
    return desk.render("workspace/networks.html", status, error=error, rules=current,
                       kinds=rules.KINDS, log=log, items=items,
                       requests=[r for r in rows if r.state == membership.REQUESTED],
                       members=[r for r in rows if r.state == membership.ADMITTED])  # fmt: skip


@staff_page(role="editor")
def networks(desk: Desk) -> Response:
    """``GET /workspace/{slug}/networks`` (networks only)."""
    if desk.actor.kind != "network":
        return not_yours(desk.request)
    return _page(desk)


def _membership(desk: Desk) -> Membership | None:
    with Session(desk.engine) as session:
        row = session.get(Membership, desk.number("membership_id") or -1)
    return row if row is not None and row.network_id == desk.actor.id else None


def _no_member(desk: Desk) -> Response:
    return refusal(desk.request, 404, N_("No such member"),
                   N_("This network has no such member or request: reload the page."))  # fmt: skip


@staff_page(role="admin")
async def admit(desk: Desk) -> Response:
    """``POST /workspace/{slug}/networks/admit``: ``membership_id`` (Accept, then a Follow)."""
    row = await to_thread.run_sync(_membership, desk)
    if row is None:
        return _no_member(desk)
    try:
        await membership.admit(desk.node, desk.actor, row.member, who(desk))
    except (membership.MembershipError, RemoteActorError) as exc:
        return await to_thread.run_sync(_page, desk, 409, why_not(exc, desk.lang))
    return desk.redirect("/networks", done="member-admitted")


@staff_page(role="admin")
async def remove(desk: Desk) -> Response:
    """``POST /workspace/{slug}/networks/remove``: ``membership_id``, ``reason``, confirmed:
    a request is refused (Reject), a member removed (Remove, and unfollowed)."""
    row = await to_thread.run_sync(_membership, desk)
    if row is None:
        return _no_member(desk)
    member = row.state == membership.ADMITTED
    if member:
        told = N_(
            "It will be told it is no longer a member (a Remove goes to its server), the "
            "network stops following it and relays nothing more from it."
        )
        title, button = N_("Remove %(who)s?"), N_("Remove")
    else:
        told = N_("It will be told its request to join was refused (a Reject goes to its server).")
        title, button = N_("Refuse %(who)s?"), N_("Refuse")
    asking = await confirm_first_async(desk, title=desk.gettext(title, who=row.member),
                           button=desk.gettext(button), back="/networks",
                           consequence=desk.gettext(told))  # fmt: skip
    if asking is not None:
        return asking
    try:
        await membership.remove(desk.node, desk.actor, row.member, who(desk),
                                desk.field("reason", 2000))  # fmt: skip
    except (membership.MembershipError, RemoteActorError) as exc:
        return await to_thread.run_sync(_page, desk, 409, why_not(exc, desk.lang))
    return desk.redirect("/networks", done="member-removed" if member else "member-refused")


def _values(desk: Desk, name: str) -> list[str]:
    return [v for v in desk.field(name, 20_000).split(",") if v.strip()]


@staff_page(role="admin")
def set_rules(desk: Desk) -> Response:
    """``POST /workspace/{slug}/networks/rules``: ``kinds`` (checkboxes), ``tags`` and
    ``regions`` (comma-separated; empty: all)."""
    if desk.actor.kind != "network":
        return not_yours(desk.request)
    kinds = [k for k in (desk.form.getlist("kinds") if desk.form else []) if isinstance(k, str)]
    try:
        with session_scope(desk.engine) as session:
            rules.set_rules(session, desk.actor, who(desk), kinds=kinds,
                            tags=_values(desk, "tags"), regions=_values(desk, "regions"))  # fmt: skip
    except rules.RulesError as exc:
        return _page(desk, 400, desk.gettext(N_("The rules were not saved: %(reason)s."),
                                             reason=exc.in_language(desk.lang)))  # fmt: skip
    return desk.redirect("/networks", done="rules-saved")


@staff_page(role="admin")
def hide(desk: Desk) -> Response:
    """``POST /workspace/{slug}/networks/hide``: ``object_id``, ``reason``, confirmed."""
    object_id = desk.field("object_id", 2048)
    with Session(desk.engine) as session:
        row = session.exec(select(NetworkItem).where(
            NetworkItem.network_id == desk.actor.id, NetworkItem.object_id == object_id)).first()  # fmt: skip
    if row is None:
        return refusal(desk.request, 404, N_("No such item"),
                       N_("This network has not filed that item."))  # fmt: skip
    told = (N_("It leaves the network's timeline and calendar, and its Announce is taken back: "
               "followers' servers drop the boost.") if row.state == rules.RELAYED
            else N_("It leaves the network's timeline and calendar."))  # fmt: skip
    asking = confirm_first(desk, title=desk.gettext(N_("Hide this item from the network?")),
                           button=desk.gettext(N_("Hide")), back="/networks",
                           consequence=desk.gettext(told))  # fmt: skip
    if asking is not None:
        return asking
    try:
        with session_scope(desk.engine) as session:
            rules.hide_item(session, desk.node, desk.actor, object_id, who(desk),
                            desk.field("reason", 2000))  # fmt: skip
    except rules.RulesError as exc:
        return _page(desk, 404, exc.in_language(desk.lang))
    desk.node.notify_work()
    return desk.redirect("/networks", done="item-hidden")
