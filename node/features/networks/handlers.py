"""The inbox side of membership: Join and Leave of our networks, Remove of our actors, and the
Accept or Reject answering our own Join.

``Join`` and ``Leave`` also mean taking part in an event (Mobilizon): the dispatcher routes
those whose object is one of our networks here, the others to node/features/participation/.
Accept and Reject come here when they answer our own Join (node/federation/inbox/targets.py).
"""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import Session, select

from node.activitypub.vocab import id_of
from node.db import now_utc, session_scope
from node.features.networks import aggregation, membership
from node.features.networks.rules import blocked_by, load_rules
from node.federation.inbox.common import local_actor_by_id, on_local_actor
from node.federation.inbox.dispatch import Dispatcher, Incoming, Target
from node.federation.remote import actors as remote
from node.models import LocalActor
from node.models.networks import Membership, OutgoingMembership


def _network(msg: Incoming) -> LocalActor | None:
    with Session(msg.node.engine) as session:
        actor = local_actor_by_id(msg.node, session, msg.object)
    return actor if actor is not None and actor.kind == "network" else None


async def on_join(msg: Incoming) -> str:
    """Someone asks to join one of our networks: filed, admitted at once with auto-admit."""

    network = _network(msg)
    if network is None:
        return "ignored: Join of something that is not one of our networks"
    applicant = await remote.get_remote_actor(msg.node, msg.actor)
    kind = membership.member_kind(applicant.type)

    def write() -> tuple[str, bool]:
        with session_scope(msg.node.engine) as session:
            assert network.id is not None
            domain = blocked_by(load_rules(session, network.id), msg.actor)
            refused = f"the domain {domain} is blocked by this network" if domain else None
            _row, result = membership.record_request(
                session, msg.node, network, msg.actor, kind, msg.activity, refused=refused
            )
            return result, result.startswith("admitted")

    result, admitted = await to_thread.run_sync(write)
    msg.node.notify_work()
    if admitted:
        await membership.follow_member(msg.node, network, msg.actor)
    return f"network: {result}"


async def on_leave(msg: Incoming) -> str:
    """A member leaves one of our networks (or withdraws its request)."""
    network = _network(msg)
    if network is None:
        return "ignored: Leave of something that is not one of our networks"

    def write() -> str | None:
        with session_scope(msg.node.engine) as session:
            row = session.exec(
                select(Membership).where(
                    Membership.network_id == network.id, Membership.member == msg.actor
                )
            ).first()
            if row is None or row.state not in (membership.REQUESTED, membership.ADMITTED):
                return None
            was = row.state
            row.state, row.ended_at, row.updated_at = membership.ENDED, now_utc(), now_utc()
            session.add(row)
            return was

    was = await to_thread.run_sync(write)
    if was is None:
        return "network: ignored Leave from a non-member"
    if was == membership.ADMITTED:
        await membership.unfollow_member(msg.node, network, msg.actor)
    return "network: member left"


async def on_remove(msg: Incoming) -> str:
    """A network we belong to removed one of our actors."""

    def end(session: Session, member: LocalActor) -> str:
        row = session.exec(
            select(OutgoingMembership).where(
                OutgoingMembership.actor_id == member.id,
                OutgoingMembership.network == msg.actor,
            )
        ).first()
        if row is None or row.state == membership.ENDED:
            return "ignored: Remove from a network we are not in"
        row.state, row.updated_at = membership.ENDED, now_utc()
        session.add(row)
        return f"network: @{member.slug} was removed from {msg.actor}"

    ignored = "ignored: Remove of something that is not one of our actors"
    return await to_thread.run_sync(on_local_actor, msg.node, msg.object, ignored, end)


def _answered_join(session: Session, msg: Incoming) -> OutgoingMembership | None:
    obj = msg.object
    ref = id_of(obj)
    if ref:
        row = session.exec(
            select(OutgoingMembership).where(OutgoingMembership.join_id == ref)
        ).first()
        if row is not None:
            return row if row.network == msg.actor else None
    # Some servers answer with a re-minted or bare Join: match on who answered and who asked.
    if (
        isinstance(obj, dict)
        and obj.get("type") == "Join"
        and id_of(obj.get("object")) == msg.actor
    ):
        member = local_actor_by_id(msg.node, session, obj.get("actor"))
        if member is not None:
            return session.exec(
                select(OutgoingMembership).where(
                    OutgoingMembership.actor_id == member.id,
                    OutgoingMembership.network == msg.actor,
                )
            ).first()
    return None


async def on_answer(msg: Incoming, accepted: bool) -> str:
    """A network's Accept or Reject of our Join."""

    def write() -> str:
        with session_scope(msg.node.engine) as session:
            row = _answered_join(session, msg)
            if row is None:
                return f"ignored: {msg.type} from someone we did not ask to admit us (no follow or membership changed)"
            if row.state == membership.ENDED:
                return "network: answer to a membership already ended"
            # Only a pending request settles on Accept: a network that rejected us (or an
            # Accept replayed after a Reject) cannot make us a member unasked. A Reject may
            # still end an admitted membership.
            if accepted and row.state != membership.REQUESTED:
                return f"ignored: Accept of a membership that is {row.state}, not requested"
            row.state = membership.ADMITTED if accepted else membership.REJECTED
            row.updated_at = now_utc()
            session.add(row)
            return f"network: membership {row.state} by {msg.actor}"

    return await to_thread.run_sync(write)


async def on_accept(msg: Incoming) -> str:
    """A network admitted us."""
    return await on_answer(msg, accepted=True)


async def on_reject(msg: Incoming) -> str:
    """A network refused (or ended) our membership."""
    return await on_answer(msg, accepted=False)


def register(dispatcher: Dispatcher) -> None:
    """Membership on both sides; our networks observe content (aggregation.py)."""
    dispatcher.on("Join", Target.NETWORK, on_join)
    dispatcher.on("Leave", Target.NETWORK, on_leave)
    dispatcher.on("Remove", Target.ANY, on_remove)
    dispatcher.on("Accept", Target.OUR_JOIN, on_accept)
    dispatcher.on("Reject", Target.OUR_JOIN, on_reject)
    dispatcher.observe(aggregation.AGGREGATED, aggregation.handle_incoming)
    dispatcher.prepare({"Create"}, aggregation.prepare_create, aggregation.prepare_creates)
