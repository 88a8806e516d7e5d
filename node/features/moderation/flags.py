"""Flag: another server reports one of our actors or items; it goes to the moderation queue."""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import select

from node.activitypub.vocab import Activity, text
from node.db import session_scope
from node.features.moderation.actions import log
from node.features.moderation.reports import MAX_COMMENT
from node.federation.actors.documents import actor_id
from node.federation.inbox.common import local_actor_by_id, local_item
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.models import LocalActor, Report

MAX_FLAGGED = 100  # objects looked at per Flag (bounds.py already caps lists at 1,000)


async def on_flag(msg: Incoming) -> str:
    """Store a report about our actors or items, logged; Flags about others are ignored."""
    node = msg.node
    flag = Activity(msg.activity)
    named = list(flag.object_refs[:MAX_FLAGGED])
    comment = text(flag.raw.get("content"), MAX_COMMENT) or ""

    def write() -> str:
        with session_scope(node.engine) as session:
            if session.exec(select(Report).where(Report.activity_id == msg.activity_id)).first():
                return "report already recorded"
            ours: list[str] = []
            target = ""
            for ident in named:
                actor = local_actor_by_id(node, session, ident)
                item = local_item(session, ident) if actor is None else None
                if actor is None and item is None:
                    continue
                ours.append(ident)
                if not target:
                    # a reported item counts against its author
                    author = actor if item is None else session.get(LocalActor, item.actor_id)
                    target = actor_id(node.urls, author) if author is not None else ""
            if not ours:
                return "ignored: the Flag names nothing of this node"
            session.add(
                Report(
                    activity_id=msg.activity_id,
                    reporter=msg.actor,
                    target_actor=target,
                    target_objects=ours,
                    content=comment,
                )
            )
            log(session, msg.actor, "report_received", target, comment[:500])
            return f"report about {target} queued for the admins"

    return await to_thread.run_sync(write)


def register(dispatcher: Dispatcher) -> None:
    """Add this module's handler."""
    dispatcher.on("Flag", Target.ANY, on_flag)
