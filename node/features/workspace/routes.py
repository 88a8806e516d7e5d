"""Every route of the workspace. Other features append their pages under ``/workspace/{slug}/``
to the list in :func:`routes` (handlers made with ``@staff_page``); node/wiring.py includes it.

The person's own pages come first: a slug never shadows them (``sign-in``, ``account``…).
"""

from __future__ import annotations

from starlette.routing import Route

from node.features.workspace import dashboard, signin


def routes() -> list[Route]:
    """The workspace's routes (paths under /workspace)."""
    return [
        Route("/workspace", signin.home),
        Route("/workspace/sign-in", signin.sign_in_form, methods=["GET"]),
        Route("/workspace/sign-in", signin.sign_in, methods=["POST"]),
        Route("/workspace/sign-out", signin.sign_out, methods=["POST"]),
        Route("/workspace/sign-out-everywhere", signin.sign_out_everywhere, methods=["POST"]),
        # pages of one organization or network (add yours below)
        Route("/workspace/{slug}", dashboard.dashboard),
    ]
