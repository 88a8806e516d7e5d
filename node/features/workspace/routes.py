"""Every route of the workspace. Other features append their pages under ``/workspace/{slug}/``
to the list in :func:`routes` (handlers made with ``@staff_page``); node/wiring.py includes it.

The person's own pages come first: a slug never shadows them (``sign-in``, ``account``…).
"""

from __future__ import annotations

from starlette.routing import Route

from node.features.workspace import account, dashboard, insight, signin, staff, welcome


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
        Route("/workspace/{slug}/insight", insight.overview),
        Route("/workspace/{slug}/items/{item_id}/insight", insight.item),
    ]
