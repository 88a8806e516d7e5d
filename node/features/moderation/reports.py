"""Reports to other servers: a ``Flag`` from the instance actor, as Mastodon sends it.

Mastodon's ``ReportService`` forwards a report to the reported account's server as
``Flag {actor: <instance actor>, object: [<account>, <status>...], content: <comment>}`` with no
``to``: the receiving server checks that the objects are its own. Incoming Flags become
``report`` rows (``node/features/moderation/flags.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from anyio import to_thread

from node.activitypub.vocab import AS_CONTEXT
from node.db import session_scope
from node.features.moderation.actions import ModerationError, log
from node.federation import outbox as delivery
from node.federation.actors.local import get_instance_actor
from node.federation.context import NodeContext
from node.federation.policy import federates_with
from node.federation.remote import actors as remote
from node.federation.remote.fetch import http_url
from node.web.i18n import N_

__all__ = ["MAX_COMMENT", "build_flag", "send_report"]

MAX_COMMENT = 5_000  # Mastodon's report comment limit was 1,000 characters; be generous


def build_flag(
    ident: str, instance_actor: str, target: str, objects: Sequence[str], comment: str
) -> dict[str, Any]:
    """The ``Flag`` activity (pure): the reported actor first, then the reported objects."""
    return {
        "@context": AS_CONTEXT,
        "id": ident,
        "type": "Flag",
        "actor": instance_actor,
        "content": comment,
        "object": [target, *(o for o in objects if o != target)],
    }


async def send_report(
    node: NodeContext, target: str, comment: str, objects: Sequence[str] = (), *, who: str
) -> str:
    """Report ``target`` (an actor URL or @user@host) to its server; returns the Flag's id.

    The actor is looked up first (and cached), so a typo fails here instead of in the worker.
    The Flag is stored and queued for delivery; the worker sends it.
    """

    if len(comment) > MAX_COMMENT:
        raise ModerationError(
            N_("the comment is longer than %(most)d characters"), most=MAX_COMMENT
        )
    bad = [o for o in objects if not http_url(o)]
    if bad:
        raise ModerationError(
            N_("reported objects are given by their http(s) URLs, got %(bad)r"), bad=bad[0]
        )
    actor = await remote.lookup(node, target)
    if not federates_with(node, actor.domain):
        raise ModerationError(
            N_(
                "%(domain)s is blocked (or not allowed): this node sends it nothing, reports "
                "included; lift the block first to report to it"
            ),
            domain=actor.domain,
        )
    flag = build_flag(
        node.urls.activity(uuid.uuid4().hex),
        node.urls.instance_actor,
        actor.ap_id,
        list(objects),
        comment,
    )

    def write() -> None:
        with session_scope(node.engine) as session:
            instance = get_instance_actor(session)
            if instance is None:
                raise ModerationError(N_("the instance actor does not exist yet; run solnode init"))
            delivery.send(
                session, instance, flag, delivery.Audience(actors=(actor.ap_id,)), public=False
            )
            log(session, who, "report_sent", actor.ap_id, comment)

    await to_thread.run_sync(write)
    node.notify_work()
    return str(flag["id"])
