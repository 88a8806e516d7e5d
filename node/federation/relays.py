"""Relays: the node subscribes, then its public posts also go to the relay, which passes them on.

Two kinds exist (docs/networks.md):

* Mastodon style: the instance actor sends ``Follow`` {object: as:Public} to the relay's inbox
  (``https://relay.example/inbox``); the relay answers ``Accept`` as its actor.
* LitePub style (Pleroma, Akkoma, many ActivityRelay setups): the instance actor follows the
  relay's actor (``https://relay.example/actor``); the relay follows back and ``Announce``s.

Either way, public activities of our actors are then sent to the relay's inbox as well
(``Audience(relays=True)``, node/federation/outbox/audience.py); they carry the author's LD signature
and integrity proof (node/federation/outbox/signing.py), which is what lets the relay's subscribers
believe them.
"""

from __future__ import annotations

import uuid
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select

from node.activitypub import activities
from node.activitypub.addressing import origin
from node.activitypub.vocab import AS_CONTEXT, PUBLIC, id_of
from node.db import detached, session_scope
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.actors.local import get_instance_actor
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.federation.remote import actors as remote
from node.models import LocalActor, OutboxActivity
from node.models.networks import Relay

MASTODON, LITEPUB = "mastodon", "litepub"
STYLES = (MASTODON, LITEPUB)


class RelayError(ValueError):
    """A relay cannot be added or removed as asked; the message says why."""


def guess_style(url: str) -> str:
    """An inbox URL is a Mastodon-style relay; anything else is taken for the relay's actor."""
    return MASTODON if url.rstrip("/").endswith("/inbox") else LITEPUB


def _instance(session: Session) -> LocalActor:
    actor = get_instance_actor(session)
    if actor is None:
        raise RelayError("the node has no instance actor yet (run solnode init)")
    return actor


def _follow(ident: str, instance: str, obj: str) -> dict[str, Any]:
    # Mastodon's relay Follow has no to/cc: it is addressed by where it is posted.
    return {"@context": AS_CONTEXT, "id": ident, "type": "Follow", "actor": instance, "object": obj}


def _send(session: Session, instance: LocalActor, doc: dict[str, Any], relay: Relay) -> None:

    audience = (
        delivery.Audience(inboxes=(relay.inbox,))
        if relay.style == MASTODON
        else delivery.Audience(actors=(relay.actor,))
    )
    delivery.send(session, instance, doc, audience, public=False)


async def add_relay(node: NodeContext, url: str, style: str | None = None) -> Relay:
    """Subscribe to the relay at ``url``; pending until it accepts."""

    url = url.strip()
    if not url.startswith(("https://", "http://")):
        raise RelayError(f"{url[:100]!r} is not a URL (give the relay's inbox or actor URL)")
    style = style or guess_style(url)
    if style not in STYLES:
        raise RelayError(f"style must be one of {', '.join(STYLES)}")
    relay_actor, inbox = "", url
    if style == LITEPUB:
        found = await remote.lookup(node, url)
        relay_actor, inbox = found.ap_id, found.inbox

    def write() -> Relay:
        with session_scope(node.engine) as session:
            instance = _instance(session)
            row = session.exec(select(Relay).where(Relay.url == url)).first()
            if row is not None and row.state in ("pending", "accepted"):
                session.expunge(row)
                return row
            ident = node.urls.activity(uuid.uuid4().hex)
            if row is None:
                row = Relay(url=url, style=style, inbox=inbox, actor=relay_actor, follow_id=ident)
            row.style, row.inbox, row.actor, row.follow_id, row.state = (
                style,
                inbox,
                relay_actor,
                ident,
                "pending",
            )
            session.add(row)
            me = actor_id(node.urls, instance)
            _send(session, instance, _follow(ident, me, relay_actor or PUBLIC), row)
            return detached(session, row)

    row = await to_thread.run_sync(write)
    node.notify_work()
    return row


async def remove_relay(node: NodeContext, url: str) -> None:
    """Unsubscribe: ``Undo`` of our Follow, and forget the relay."""

    def write() -> None:
        with session_scope(node.engine) as session:
            row = session.exec(select(Relay).where(Relay.url == url.strip())).first()
            if row is None:
                raise RelayError(f"no relay {url[:200]}")
            instance = _instance(session)
            me = actor_id(node.urls, instance)
            sent = session.exec(
                select(OutboxActivity.document).where(OutboxActivity.ap_id == row.follow_id)
            ).first()
            follow = dict(sent) if sent else _follow(row.follow_id, me, row.actor or PUBLIC)
            undo = activities.undo(
                node.urls.activity(uuid.uuid4().hex), me, follow, to=[row.actor or PUBLIC]
            )
            undo.pop("to")  # addressed like the Follow: by where it is posted
            _send(session, instance, undo, row)
            session.delete(row)

    await to_thread.run_sync(write)
    node.notify_work()


def list_relays(session: Session) -> list[Relay]:
    """Every relay subscription, oldest first."""
    return list(session.exec(select(Relay).order_by(col(Relay.id))))


def settle(session: Session, msg: Incoming, accepted: bool) -> str:
    """A relay's Accept or Reject of our Follow."""
    follow_id = id_of(msg.object)
    row = session.exec(select(Relay).where(Relay.follow_id == follow_id)).first()
    if row is None:
        return f"ignored: {msg.type} of a relay subscription we no longer have"
    # A Mastodon-style relay answers as its actor, on the host of the inbox we posted to.
    if origin(msg.actor) != origin(row.actor or row.inbox):
        return f"ignored: {msg.type} of our relay Follow from another server"
    # Only a pending subscription settles on Accept: a relay that rejected us cannot start
    # receiving our posts with a later, unsolicited Accept. A Reject may end an accepted one.
    if accepted and row.state != "pending":
        return f"ignored: Accept of a relay subscription that is {row.state}, not pending"
    row.state = "accepted" if accepted else "rejected"
    row.actor = row.actor or msg.actor
    session.add(row)
    return f"relay {row.url}: {row.state}"


async def on_answer(msg: Incoming) -> str:
    """Accept or Reject of our relay subscription (the dispatcher's OUR_RELAY_FOLLOW)."""

    def write() -> str:
        with session_scope(msg.node.engine) as session:
            return settle(session, msg, accepted=msg.type == "Accept")

    return await to_thread.run_sync(write)


def register(dispatcher: Dispatcher) -> None:
    """Answers to our relay subscriptions."""
    dispatcher.on("Accept", Target.OUR_RELAY_FOLLOW, on_answer)
    dispatcher.on("Reject", Target.OUR_RELAY_FOLLOW, on_answer)
