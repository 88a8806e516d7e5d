"""Aggregation: what our networks do with Create, Announce, Update and Delete that arrive.

* ``Create`` by a member (it reaches the network because the network follows its members, or
  because it addresses the group, FEP-1b12): filed, and re-announced by id when the rules
  allow. From an actor the network follows without membership (a Mobilizon group, a Gancio
  instance): filed as ``followed`` - shown in the calendar, never re-announced.
* ``Announce`` by a member network (by id, or FEP-1b12's ``Announce{Create{…}}``): the object
  is read from its origin (never trusted from a third party's embed), then filed the same way
  with ``via`` = the announcing network. Announces by organizations are boosts: not relayed.
* ``Update`` and ``Delete`` of a filed object by its author: the row is updated or removed and
  the activity forwarded as it arrived to the network's followers (node/features/networks/forward.py).

Only items authored by a member or arriving from a member network are re-announced; never to
the author or the network they came through; an object a network already has stops there.
:func:`handle_incoming` observes these four types in the dispatcher (node/wiring.py), so our
networks see an activity before the handlers of node/features/interactions/handlers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anyio import to_thread
from sqlmodel import Session, col, delete, select

from node.activitypub.addressing import origin
from node.activitypub.vocab import ACTOR_TYPES, Activity, Object, as_list, id_of, is_public
from node.db import now_utc, session_scope
from node.features.networks import facts as item_facts
from node.features.networks.filing import (
    Arrival,
    already_filed,
    apply_facts,
    file_document,
    file_item,
)
from node.features.networks.forward import forward, raw_body
from node.features.networks.rules import FOLLOWED, RELAYED
from node.features.networks.sources import MEMBER, Sources, sources_from, sources_of
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Incoming
from node.federation.inbox.embedded import from_origin, inner_object
from node.federation.remote.actors import FetchBudget, RemoteActorError
from node.federation.remote.fetch import is_local
from node.models import Item, LocalActor
from node.models.networks import Membership, NetworkItem

AGGREGATED = frozenset({"Create", "Announce", "Update", "Delete"})
WRAPPERS = frozenset({"Create", "Update"})
# Lemmy's groups announce every activity (Like, Delete, Undo…): only objects are filed.
NOT_CONTENT = frozenset(
    {"Like", "Dislike", "Delete", "Undo", "Follow", "Accept", "Reject", "Add", "Remove",
     "Block", "Flag", "Announce", "Join", "Leave", "Update", "Create", "Tombstone"}
) | ACTOR_TYPES  # fmt: skip
# Fetches one Announce may cause: the wrapper, the object, and one more for an indirection.
FETCH_LIMIT = 3


async def handle_incoming(msg: Incoming) -> str | None:
    """What our networks did with the activity; None when it concerns none of them."""
    if msg.type not in AGGREGATED:
        return None
    if msg.type == "Create":
        return await _on_create(msg)
    if msg.type == "Announce":
        return await _on_announce(msg)
    if msg.type == "Update":
        return await to_thread.run_sync(_on_update, msg)
    return await to_thread.run_sync(_on_delete, msg)


def _addressed_by_stranger(session: Session, msg: Incoming) -> str | None:
    # FEP-1b12: posting to a group is addressing it; only members' posts are the network's.
    # Most activities name no local actor at all: then no network can be addressed.
    if not _names_a_local_actor(msg):
        return None
    slugs = session.exec(select(LocalActor.slug).where(LocalActor.kind == "network")).all()
    for slug in slugs:
        if item_facts.addressed_to(msg.activity, msg.node.urls.actor(slug)):
            return f"network: addressed to @{slug} by a non-member, not filed"
    return None


def _names_a_local_actor(msg: Incoming) -> bool:
    """Whether to, cc or audience (of the activity or its object) names any actor of ours."""
    prefix = msg.node.urls.actor("")
    view = Activity(msg.activity)
    return any(
        doc is not None and any(ident.startswith(prefix) for ident in doc.addressees)
        for doc in (view, view.object_activity)
    )


def _threads_here(session: Session, network_id: int, obj: Object) -> bool:
    # A reply is relayed only under an item the network has (an event's status note, say):
    # members' conversations elsewhere are not the network's to spread.
    parent = obj.in_reply_to
    if not parent:
        return True
    return already_filed(session, network_id, parent)


async def _file_all(node: NodeContext, arrivals: list[Arrival]) -> str:
    results = [await to_thread.run_sync(file_item, node, a) for a in arrivals]
    return "network: " + "; ".join(results)


# A Create's plan, read where the activity is loaded (``prepare_create``, registered in
# handlers.py): a thread hop and a session less for every Create, most of them from senders
# none of our networks takes anything from.
PLAN = "networks.create_plan"


def create_plan(
    session: Session, msg: Incoming, known: Mapping[str, Sources] | None = None
) -> list[Arrival] | str | None:
    """What our networks would do with a Create: the arrivals to file, a reason not to (a
    string), or None when it concerns none of them. ``known``: the sources of its sender, read
    already (:func:`sources_of`)."""
    obj = Object.of(msg.object)
    if obj is None or not obj.id or obj.has_type(*ACTOR_TYPES):
        return None
    if origin(obj.id) != origin(msg.actor):
        return None  # refused at the inbox already; never file someone else's object
    if not attributed_to(obj.raw, msg.actor):
        return "network: attributed to someone other than its sender, not filed"
    if known is not None and msg.actor in known:
        sources = known[msg.actor]
    else:
        sources = sources_from(session, msg.actor, networks_only=False)
    if not sources:
        return _addressed_by_stranger(session, msg)
    if not obj.is_public and not is_public(msg.activity):
        return "network: not public, not filed"
    arrivals = [
        Arrival(network_id, obj.raw, msg.actor, "", source)
        for network_id, source in sources
        if (source == MEMBER and _threads_here(session, network_id, obj))
        or (source == FOLLOWED and not obj.raw.get("inReplyTo"))
    ]
    return arrivals or "network: a reply outside the network's threads, not filed"


def prepare_create(session: Session, msg: Incoming) -> None:
    """Read the Create's plan with the activity (see PLAN)."""
    msg.prepared[PLAN] = create_plan(session, msg)


def prepare_creates(session: Session, msgs: list[Incoming]) -> None:
    """:func:`prepare_create` for several Creates, their senders' sources in one statement."""
    known = sources_of(session, (msg.actor for msg in msgs))
    for msg in msgs:
        msg.prepared[PLAN] = create_plan(session, msg, known)


def _planned(msg: Incoming) -> list[Arrival] | str | None:
    with Session(msg.node.engine) as session:
        return create_plan(session, msg)


async def _on_create(msg: Incoming) -> str | None:
    if PLAN in msg.prepared:
        arrivals = msg.prepared[PLAN]
    else:
        arrivals = await to_thread.run_sync(_planned, msg)
    if arrivals is None or isinstance(arrivals, str):
        return arrivals
    return await _file_all(msg.node, arrivals)


async def _authentic(msg: Incoming, ref: Any) -> dict[str, Any] | None:
    """The announced object as its origin serves it (or from our database, if it is ours)."""

    budget = FetchBudget(limit=FETCH_LIMIT)
    ident = id_of(ref)
    if ident and is_local(msg.node, ident):
        return await to_thread.run_sync(_local_document, msg.node, ident)
    # from_origin trusts an embedded copy only from its own author (issue 15, item 17), and so
    # does inner_object for what a wrapper carries; anything else is read from its origin.
    doc = await from_origin(msg.node, ref, msg.actor, budget=budget)
    if doc is not None and doc.get("type") in WRAPPERS:
        doc = await inner_object(msg.node, doc, budget=budget)
    return doc


def attributed_to(doc: dict[str, Any], sender: str) -> bool:
    """Whether ``sender`` may speak for ``doc``: its first ``attributedTo`` (the author) is the
    sender, and every other entry (Mobilizon lists the group, then the person) is on the
    sender's origin. A document without ``attributedTo`` is the sender's."""
    named = [id_of(a) for a in as_list(doc.get("attributedTo"))]
    if not named:
        return True
    return named[0] == sender and all(n and origin(n) == origin(sender) for n in named)


def _local_document(node: NodeContext, ident: str) -> dict[str, Any] | None:
    with Session(node.engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == ident)).first()
    if item is None or item.deleted_at is not None:
        return None
    return dict(item.document)


async def _on_announce(msg: Incoming) -> str | None:

    ref = msg.object
    wrapper = Activity.of(ref)
    inner = wrapper.raw.get("object") if wrapper and wrapper.has_type(*WRAPPERS) else ref
    object_id = id_of(inner)
    if not object_id or (isinstance(inner, dict) and Object(inner).has_type(*NOT_CONTENT)):
        return None

    def plan() -> list[tuple[int, str]] | None:
        with Session(msg.node.engine) as session:
            sources = sources_from(session, msg.actor, networks_only=True)
            return [s for s in sources if not already_filed(session, s[0], object_id)] or (
                None if not sources else []
            )

    sources = await to_thread.run_sync(plan)
    if sources is None:
        return None
    if not sources:
        return f"network: already has {object_id}"
    try:
        doc = await _authentic(msg, ref)
    except RemoteActorError as exc:
        if exc.reason in {"gone", "not_found", "id_mismatch", "bad_document"}:
            return f"network: the announced object is not available ({exc.reason})"
        raise  # worth another try later: the inbox job retries
    announced = Object.of(doc)
    if announced is not None and announced.has_type(*NOT_CONTENT):
        return "network: the announced thing is an activity or an actor, not content"
    author = item_facts.author_of(announced.raw) if announced is not None else None
    if announced is None or not author or origin(author) != origin(str(announced.id)):
        return "network: the announced object could not be confirmed at its origin"
    if not announced.is_public:
        return "network: the announced object is not public"
    arrivals = [
        Arrival(network_id, announced.raw, author, msg.actor, source)
        for network_id, source in sources
    ]
    return await _file_all(msg.node, arrivals)


def _filed(session: Session, object_id: str) -> list[NetworkItem]:
    return list(session.exec(select(NetworkItem).where(NetworkItem.object_id == object_id)))


def _pass_on(
    session: Session, msg: Incoming, row: NetworkItem, raw: str | None, network: LocalActor
) -> bool:
    """Forward the author's activity to the network's followers, if they saw the item."""
    if row.state != RELAYED or raw is None or not is_public(msg.activity):
        return False
    exclude = tuple(dict.fromkeys(a for a in (row.author, row.via, msg.actor) if a))
    return forward(session, msg.node, network, msg.activity, raw, exclude=exclude)


def _change_copies(
    session: Session,
    msg: Incoming,
    object_id: str,
    change: Callable[[NetworkItem], str],
) -> str | None:
    """Forward the author's change to each network's followers, then ``change`` its copy.

    Only copies whose recorded author is the sender are touched: nobody else, not even another
    account of the author's server, may edit or delete them. None when no network holds a copy."""
    rows = [r for r in _filed(session, object_id) if r.author == msg.actor]
    if not rows:
        return None
    raw = raw_body(session, msg.inbox_row_id)
    done = []
    for row in rows:
        network = session.get(LocalActor, row.network_id)
        assert network is not None
        passed = _pass_on(session, msg, row, raw, network)
        done.append(f"@{network.slug}: {change(row)}" + (", forwarded" if passed else ""))
    return "network: " + "; ".join(done)


def _woken(msg: Incoming, result: str | None) -> str | None:
    # After the commit, so the worker finds the forwards it is woken for.
    if result is not None:
        msg.node.notify_work()
    return result


def _on_update(msg: Incoming) -> str | None:
    obj = Object.of(msg.object)
    object_id = obj.id if obj is not None else None
    if obj is None or not object_id or obj.has_type(*ACTOR_TYPES):
        return None
    with session_scope(msg.node.engine) as session:

        def update(row: NetworkItem) -> str:
            file_document(row, obj.raw)
            row.updated_at = now_utc()
            apply_facts(row, item_facts.item_facts(obj.raw))
            session.add(row)
            return "updated"

        result = _change_copies(session, msg, object_id, update)
    return _woken(msg, result)


def _on_delete(msg: Incoming) -> str | None:
    object_id = id_of(msg.object)
    if not object_id:
        return None
    with session_scope(msg.node.engine) as session:
        if object_id == msg.actor:
            return _actor_deleted(session, msg.actor)

        def remove(row: NetworkItem) -> str:
            session.delete(row)
            return "removed"

        result = _change_copies(session, msg, object_id, remove)
    return _woken(msg, result)


def _actor_deleted(session: Session, actor: str) -> str | None:
    items = session.exec(delete(NetworkItem).where(col(NetworkItem.author) == actor))
    members = session.exec(
        select(Membership).where(Membership.member == actor, Membership.state != "ended")
    ).all()
    for row in members:
        row.state, row.ended_at, row.updated_at = "ended", now_utc(), now_utc()
        session.add(row)
    removed = items.rowcount
    if not removed and not members:
        return None
    return f"network: deleted actor: {removed} item(s) removed, {len(members)} membership(s) ended"
