"""Every route of the workspace. Other features append their pages under ``/workspace/{slug}/``
to the list in :func:`routes` (handlers made with ``@staff_page``); node/wiring.py includes it.

The person's own pages come first: a slug never shadows them (``sign-in``, ``account``…).
"""

from __future__ import annotations

from starlette.routing import Route

from node.features.workspace import (
    account,
    dashboard,
    followers,
    insight,
    manage_pages,
    networks,
    participants,
    people,
    profile_page,
    publish_pages,
    replies,
    signin,
    staff,
    tokens,
    welcome,
)


def routes() -> list[Route]:
    """The workspace's routes (paths under /workspace)."""
    return [
        Route("/workspace", signin.home),
        Route("/workspace/sign-in", signin.sign_in_form, methods=["GET"]),
        Route("/workspace/sign-in", signin.sign_in, methods=["POST"]),
        Route("/workspace/sign-out", signin.sign_out, methods=["POST"]),
        Route("/workspace/sign-out-everywhere", signin.sign_out_everywhere, methods=["POST"]),
        Route("/workspace/account", account.account),
        Route("/workspace/account/password", account.change_password, methods=["POST"]),
        Route("/workspace/invitations/{token}", welcome.invitation_form, methods=["GET"]),
        Route("/workspace/invitations/{token}", welcome.invitation, methods=["POST"]),
        Route("/workspace/reset/{token}", welcome.reset_form, methods=["GET"]),
        Route("/workspace/reset/{token}", welcome.reset, methods=["POST"]),
        # pages of one organization or network (add yours below)
        Route("/workspace/{slug}", dashboard.dashboard),
        Route("/workspace/{slug}/staff", staff.staff),
        Route("/workspace/{slug}/staff/grant", staff.give_role, methods=["POST"]),
        Route("/workspace/{slug}/staff/revoke", staff.take_role, methods=["POST"]),
        Route("/workspace/{slug}/staff/invite", staff.invite, methods=["POST"]),
        Route("/workspace/{slug}/staff/withdraw", staff.withdraw, methods=["POST"]),
        Route("/workspace/{slug}/staff/reset", staff.reset_link, methods=["POST"]),
        *_publishing(),
        Route("/workspace/{slug}/profile", profile_page.profile_form, methods=["GET"]),
        Route("/workspace/{slug}/profile", profile_page.save_profile, methods=["POST"]),
        *people_routes(),
        *network_routes(),
        Route("/workspace/{slug}/insight", insight.overview),
        Route("/workspace/{slug}/items/{item_id}/insight", insight.item),
    ]


def _publishing() -> list[Route]:
    """The publishing forms, the list of what was published, and the changes to one item."""
    base, item = "/workspace/{slug}/publish", "/workspace/{slug}/publish/items/{uid}"
    return [
        Route(base, manage_pages.overview),
        Route(base + "/new/{kind}", publish_pages.new_form, methods=["GET"]),
        Route(base + "/new/{kind}", publish_pages.submit_new, methods=["POST"]),
        Route(base + "/drafts/delete", manage_pages.delete_draft, methods=["POST"]),
        Route(item, manage_pages.item_page),
        Route(item + "/edit", manage_pages.edit_form, methods=["GET"]),
        Route(item + "/edit", manage_pages.submit_edit, methods=["POST"]),
        Route(item + "/status", manage_pages.change_status, methods=["POST"]),
        Route(item + "/delete", manage_pages.delete_confirm, methods=["GET"]),
        Route(item + "/delete", manage_pages.delete, methods=["POST"]),
    ]


def people_routes() -> list[Route]:
    """The People page: followers, each event's participants, replies, reports."""
    base, event = "/workspace/{slug}", "/workspace/{slug}/events/{item_id:int}/participants"
    post = ["POST"]
    return [
        Route(base + "/people", people.people),
        Route(base + "/followers/approve", followers.approve, methods=post),
        Route(base + "/followers/reject", followers.reject, methods=post),
        Route(base + "/followers/remove", followers.remove, methods=post),
        Route(event, participants.participants),
        Route(event + ".csv", participants.export),
        Route(event + "/approve", participants.approve, methods=post),
        Route(event + "/refuse", participants.refuse, methods=post),
        Route(base + "/replies/approve", replies.approve, methods=post),
        Route(base + "/replies/hide", replies.hide, methods=post),
        Route(base + "/replies/report", replies.report, methods=post),
        Route(base + "/reports/resolve", replies.resolve, methods=post),
    ]


def network_routes() -> list[Route]:
    """The Networks page and the API tokens page."""
    base, post = "/workspace/{slug}", ["POST"]
    return [
        Route(base + "/networks", networks.networks),
        Route(base + "/networks/admit", networks.admit, methods=post),
        Route(base + "/networks/remove", networks.remove, methods=post),
        Route(base + "/networks/rules", networks.set_rules, methods=post),
        Route(base + "/networks/hide", networks.hide, methods=post),
        Route(base + "/tokens", tokens.tokens),
        Route(base + "/tokens/create", tokens.create, methods=post),
        Route(base + "/tokens/revoke", tokens.revoke, methods=post),
    ]
