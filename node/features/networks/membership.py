"""Membership, consented on both sides (docs/networks.md has the protocol and the reasons).

The member asks: ``Join`` {actor: member, object: network}. The network answers ``Accept``
(embedding the Join) at once when it admits automatically, else when an admin admits, or
``Reject``. On admission the network follows the member, so the member's public items reach
its inbox. Either side ends it: the member sends ``Leave`` {object: network}; the network sends
``Remove`` {object: member, target: its members collection} and unfollows.

The services here are what the CLI, the API and the inbox handlers call. Database work runs in
short transactions on a worker thread; remote look-ups and follows happen outside them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, select

from node.activitypub import activities
from node.activitypub.vocab import AS_CONTEXT
from node.db import detached, now_utc, session_scope
from node.features.follows.following import FollowError, follow, unfollow
from node.features.networks.backfill import backfill
from node.features.networks.rules import log_decision
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.remote import actors as remote
from node.models import LocalActor, RemoteActor
from node.models.networks import Membership, OutgoingMembership
from node.web.i18n import N_
from node.web.wording import Term, Worded

REQUESTED, ADMITTED, REJECTED, ENDED = "requested", "admitted", "rejected", "ended"
# The states as words for the refusals that name them (node.web.wording.Term).
STATE_WORDS = (N_("requested"), N_("admitted"), N_("rejected"), N_("ended"))
MEMBERSHIP_STATES = (REQUESTED, ADMITTED, REJECTED, ENDED)
GROUP_TYPES = frozenset({"Group"})


class MembershipError(Worded):
    """A membership step that cannot be taken as asked; the message says why (English in
    ``str()``, the reader's language with ``in_language``)."""


def _activity(kind: str, ident: str, actor: str, obj: Any, to: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": ident,
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
        "to": [to],
    }


def _send_to(session: Session, sender: LocalActor, doc: dict[str, Any], to: str) -> None:

    # Membership traffic is between the two parties; followers learn it from the collections.
    delivery.send(session, sender, doc, delivery.Audience(actors=(to,)), public=False)


def member_kind(remote_type: str) -> str:
    """A Group joining is a network (its items arrive as Announces); anything else an
    organization."""
    return "network" if remote_type in GROUP_TYPES else "organization"


# --- the member's side ---------------------------------------------------------------------


async def join(node: NodeContext, member: LocalActor, network_ref: str) -> OutgoingMembership:
    """``member`` asks to join the network at ``network_ref`` (handle or actor URL)."""

    network = await remote.lookup(node, network_ref)
    me = actor_id(node.urls, member)
    if network.ap_id == me:
        raise MembershipError(N_("an actor cannot join itself"))
    if network.type not in GROUP_TYPES:
        raise MembershipError(
            N_("%(network)s is a %(type)s, not a network (a Group)"),
            network=network.ap_id,
            type=network.type,
        )

    def write() -> OutgoingMembership:
        with session_scope(node.engine) as session:
            row = session.exec(
                select(OutgoingMembership).where(
                    OutgoingMembership.actor_id == member.id,
                    OutgoingMembership.network == network.ap_id,
                )
            ).first()
            if row is not None and row.state == ADMITTED:
                return row
            ident = node.urls.activity(uuid.uuid4().hex)
            if row is None:
                assert member.id is not None
                row = OutgoingMembership(actor_id=member.id, network=network.ap_id, join_id="")
            row.join_id, row.state, row.updated_at = ident, REQUESTED, now_utc()
            session.add(row)
            _send_to(
                session,
                member,
                _activity("Join", ident, me, network.ap_id, network.ap_id),
                network.ap_id,
            )
            return detached(session, row)

    row = await to_thread.run_sync(write)
    node.notify_work()
    return row


async def leave(node: NodeContext, member: LocalActor, network_ref: str) -> OutgoingMembership:
    """``member`` leaves the network (or withdraws its request): ``Leave`` goes out."""
    network_id = await _resolve(node, network_ref)
    me = actor_id(node.urls, member)

    def write() -> OutgoingMembership:
        with session_scope(node.engine) as session:
            row = session.exec(
                select(OutgoingMembership).where(
                    OutgoingMembership.actor_id == member.id,
                    OutgoingMembership.network == network_id,
                )
            ).first()
            if row is None or row.state in (ENDED, REJECTED):
                raise MembershipError(
                    N_("@%(slug)s is not a member of %(network)s"),
                    slug=member.slug,
                    network=network_ref,
                )
            row.state, row.updated_at = ENDED, now_utc()
            session.add(row)
            ident = node.urls.activity(uuid.uuid4().hex)
            _send_to(
                session, member, _activity("Leave", ident, me, network_id, network_id), network_id
            )
            return detached(session, row)

    row = await to_thread.run_sync(write)
    node.notify_work()
    return row


def memberships(
    session: Session, member: LocalActor, *, all_states: bool = False
) -> list[OutgoingMembership]:
    """The networks ``member`` belongs to (or asked to join, with ``all_states``), oldest first."""
    query = select(OutgoingMembership).where(OutgoingMembership.actor_id == member.id)
    if not all_states:
        query = query.where(OutgoingMembership.state == ADMITTED)
    return list(session.exec(query.order_by(col(OutgoingMembership.id))))


# --- the network's side --------------------------------------------------------------------


def members(
    session: Session, network: LocalActor, state: str | None = ADMITTED
) -> list[Membership]:
    """The network's members (or requests, with ``state``; None for every row), oldest first."""
    query = select(Membership).where(Membership.network_id == network.id)
    if state is not None:
        query = query.where(Membership.state == state)
    return list(session.exec(query.order_by(col(Membership.id))))


def record_request(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    member: str,
    kind: str,
    join: dict[str, Any],
    *,
    refused: str | None = None,
) -> tuple[Membership, str]:
    """File a Join from ``member``; admit at once with auto-admit, refuse with ``refused`` (a
    reason). Returns the row and what happened. Answers go out in this transaction."""
    assert network.id is not None
    row = session.exec(
        select(Membership).where(Membership.network_id == network.id, Membership.member == member)
    ).first()
    if row is None:
        row = Membership(network_id=network.id, member=member)
    elif row.state == ADMITTED:
        _answer(session, node, network, row, "Accept")  # a repeated Join: answer again
        return row, "already a member: Accept sent again"
    row.kind = kind
    row.join_id = str(join.get("id", ""))[:2048]
    row.join_document = activities.strip_context(join)
    row.state, row.requested_at, row.updated_at = REQUESTED, now_utc(), now_utc()
    row.decided_at = row.ended_at = None
    session.add(row)
    session.flush()
    if refused is not None:
        _decide(session, node, network, row, REJECTED, "network_reject", "auto", refused)
        return row, f"rejected: {refused}"
    if network.auto_admit:
        _decide(session, node, network, row, ADMITTED, "network_admit", "auto-admit", "")
        return row, "admitted (auto-admit)"
    return row, "requested: waiting for an admin (solnode admit)"


def _answer(
    session: Session, node: NodeContext, network: LocalActor, row: Membership, kind: str
) -> None:
    join = row.join_document or {"id": row.join_id, "type": "Join", "actor": row.member}
    ident = node.urls.activity(uuid.uuid4().hex)
    me = actor_id(node.urls, network)
    doc = (activities.accept if kind == "Accept" else activities.reject)(
        ident, me, join, to=row.member
    )
    _send_to(session, network, doc, row.member)


def _decide(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    row: Membership,
    state: str,
    action: str,
    who: str,
    reason: str,
) -> None:
    row.state, row.decided_at, row.updated_at = state, now_utc(), now_utc()
    session.add(row)
    if state in (ADMITTED, REJECTED):
        _answer(session, node, network, row, "Accept" if state == ADMITTED else "Reject")
    log_decision(session, network, who, action, row.member, reason)


async def _settle(
    node: NodeContext,
    network: LocalActor,
    member_ref: str,
    decide: Callable[[Session, Membership], bool],
) -> tuple[Membership, bool]:
    """Run an admin's ``decide`` on one membership in one transaction; whether it changed."""
    member = await member_id(node, network, member_ref)

    def write() -> tuple[Membership, bool]:
        with session_scope(node.engine) as session:
            row = _membership(session, network, member, member_ref)
            changed = decide(session, row)
            return detached(session, row), changed

    row, changed = await to_thread.run_sync(write)
    node.notify_work()
    return row, changed


async def admit(node: NodeContext, network: LocalActor, member_ref: str, who: str) -> Membership:
    """An admin admits a pending request: ``Accept`` goes out, and the network follows."""

    def decide(session: Session, row: Membership) -> bool:
        if row.state == ADMITTED:
            return False
        if row.state != REQUESTED:
            raise MembershipError(
                N_("%(member)s has no pending request (it is %(state)s)"),
                member=row.member,
                state=Term(row.state),
            )
        _decide(session, node, network, row, ADMITTED, "network_admit", who, "")
        return True

    row, changed = await _settle(node, network, member_ref, decide)
    if changed:
        await follow_member(node, network, row.member)
    return row


async def follow_member(node: NodeContext, network: LocalActor, member: str) -> None:
    """The network follows an admitted member, so the member's public items reach it."""

    await follow(node, network, member)
    await backfill(node, network, member)


async def remove(
    node: NodeContext, network: LocalActor, member_ref: str, who: str, reason: str = ""
) -> Membership:
    """End a membership (``Remove`` to the member, and unfollow), or refuse a pending request
    (``Reject``). Logged."""
    me = actor_id(node.urls, network)

    def decide(session: Session, row: Membership) -> bool:
        if row.state == REQUESTED:
            _decide(session, node, network, row, REJECTED, "network_reject", who, reason)
            return False
        if row.state != ADMITTED:
            raise MembershipError(
                N_("%(member)s is not a member (it is %(state)s)"),
                member=row.member,
                state=Term(row.state),
            )
        row.ended_at = now_utc()
        _decide(session, node, network, row, ENDED, "network_remove", who, reason)
        ident = node.urls.activity(uuid.uuid4().hex)
        doc = _activity(
            "Remove", ident, me, row.member, row.member, target=node.urls.members(network.slug)
        )
        _send_to(session, network, doc, row.member)
        return True

    row, was_member = await _settle(node, network, member_ref, decide)
    if was_member:
        await unfollow_member(node, network, row.member)
    return row


async def unfollow_member(node: NodeContext, network: LocalActor, member: str) -> None:
    """Stop following a former member (nothing to undo if the follow never happened)."""

    with contextlib.suppress(FollowError):
        await unfollow(node, network, member)


def _membership(session: Session, network: LocalActor, member: str, ref: str) -> Membership:
    row = session.exec(
        select(Membership).where(Membership.network_id == network.id, Membership.member == member)
    ).first()
    if row is None:
        raise MembershipError(
            N_("@%(slug)s has no member or request from %(who)s"), slug=network.slug, who=ref
        )
    return row


async def _resolve(node: NodeContext, ref: str) -> str:

    text = ref.strip()
    if text.startswith(("http://", "https://")):
        return text
    return await remote.resolve_handle(node, text)


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself (``\\`` is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _by_handle(session: Session, node: NodeContext, network: LocalActor, ref: str) -> str | None:
    user, _, host = ref.strip().lstrip("@").removeprefix("acct:").partition("@")
    if not user or not host:
        return None
    if host.lower() == node.settings.host.lower():
        return node.urls.actor(user.lower())
    rows = session.exec(
        select(Membership.member)
        .join(RemoteActor, col(RemoteActor.ap_id) == col(Membership.member))
        .where(
            Membership.network_id == network.id,
            # The handle is typed by an admin: its _ and % are letters, not wildcards.
            col(RemoteActor.preferred_username).ilike(_like_literal(user), escape="\\"),
            col(RemoteActor.domain) == host.lower(),
        )
    ).all()
    return rows[0] if len(rows) == 1 else None


async def member_id(node: NodeContext, network: LocalActor, ref: str) -> str:
    """The actor id of ``ref``: a URL as given; a handle from the members already known (no
    network), else through WebFinger."""
    text = ref.strip()
    if text.startswith(("http://", "https://")):
        return text

    def known() -> str | None:
        with Session(node.engine) as session:
            return _by_handle(session, node, network, text)

    return await to_thread.run_sync(known) or await _resolve(node, text)
