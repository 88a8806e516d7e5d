"""Helpers for the network tests: local and (cached) remote actors, activities run through the
inbox handlers as the inbox job runs them, and what went out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from node.db import session_scope
from node.features.networks.queries import Entry, Filters
from node.features.networks.upcoming import Cursor, upcoming_page
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.federation.inbox.dispatch import Incoming
from node.federation.inbox.targets import resolve_target
from node.models import (
    Follower,
    InboxActivity,
    Job,
    LocalActor,
    Membership,
    NetworkItem,
    OutboxActivity,
    RemoteActor,
)
from node.wiring import dispatcher

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS = "https://www.w3.org/ns/activitystreams"


def local(engine: Engine, slug: str, kind: str = "organization", **kw: Any) -> LocalActor:
    """A local organization or network."""
    with session_scope(engine) as session:
        return create_actor(session, slug, kind=kind, name=slug.title(), **kw)


def remote(engine: Engine, ap_id: str, kind: str = "Organization", **document: Any) -> str:
    """A remote actor in the cache (fresh, so nothing is fetched)."""
    host = ap_id.split("/")[2]
    name = ap_id.rstrip("/").rsplit("/", 1)[-1]
    with session_scope(engine) as session:
        session.add(
            RemoteActor(
                ap_id=ap_id,
                type=kind,
                preferred_username=name,
                domain=host,
                name=name.title(),
                inbox=f"{ap_id}/inbox",
                shared_inbox=f"https://{host}/inbox",
                url=ap_id,
                followers_url=f"{ap_id}/followers",
                document={"id": ap_id, "type": kind, **document},
            )
        )
    return ap_id


def admitted(engine: Engine, network: LocalActor, member: str, kind: str = "organization") -> None:
    """An admitted member, and the network following it (as admission leaves them)."""
    assert network.id is not None
    with session_scope(engine) as session:
        session.add(Membership(network_id=network.id, member=member, kind=kind, state="admitted"))


def follower(engine: Engine, actor: LocalActor, remote_id: str, inbox: str | None = None) -> None:
    """An accepted follower of a local actor."""
    assert actor.id is not None
    with session_scope(engine) as session:
        session.add(
            Follower(
                actor_id=actor.id,
                remote_id=remote_id,
                inbox=inbox or f"{remote_id}/inbox",
                state="accepted",
            )
        )


def store(
    engine: Engine, activity: dict[str, Any], raw: bytes | None = None, signer: str = ""
) -> int:
    """Store an activity as the inbox does; returns its row id."""
    body = raw if raw is not None else orjson.dumps(activity)
    with session_scope(engine) as session:
        row = InboxActivity(
            activity_id=activity["id"],
            type=activity["type"],
            actor=activity["actor"],
            raw=body.decode(),
            signer=signer,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def activity(kind: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    """An activity with a fresh id on the actor's origin."""
    return {
        "@context": AS,
        "id": f"{actor}/activities/{uuid.uuid4().hex}",
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
    }


async def deliver(node: NodeContext, doc: dict[str, Any], raw: bytes | None = None) -> str:
    """Store ``doc`` and dispatch it as the inbox job would; returns the result."""
    row_id = store(node.engine, doc, raw)
    with Session(node.engine) as session:
        target = resolve_target(node, session, doc)
    msg = Incoming(
        node=node,
        activity=doc,
        activity_id=doc["id"],
        type=doc["type"],
        actor=doc["actor"],
        recipient=None,
        inbox_row_id=row_id,
        target=target,
    )
    return await dispatcher().dispatch(msg)


def sent(engine: Engine, kind: str | None = None) -> list[OutboxActivity]:
    """What our actors sent, oldest first."""
    with Session(engine) as session:
        query = select(OutboxActivity).order_by(col(OutboxActivity.id))
        if kind is not None:
            query = query.where(OutboxActivity.type == kind)
        return list(session.exec(query))


def audience(engine: Engine, activity_id: str) -> dict[str, Any]:
    """The audience of an activity's fan-out job."""
    with Session(engine) as session:
        for job in session.exec(select(Job).where(Job.kind == "fanout")):
            if job.payload["activity_id"] == activity_id:
                return dict(job.payload["audience"])
    raise AssertionError(f"no fan-out job for {activity_id}")


def items(engine: Engine, network: LocalActor | None = None) -> list[NetworkItem]:
    """Network items, oldest first."""
    with Session(engine) as session:
        query = select(NetworkItem).order_by(col(NetworkItem.id))
        if network is not None:
            query = query.where(NetworkItem.network_id == network.id)
        return list(session.exec(query))


def event(author: str, n: int = 1, **fields: Any) -> dict[str, Any]:
    """A public Event by ``author`` (on its origin), next year."""
    host = "/".join(author.split("/")[:3])
    return {
        "id": f"{host}/items/event-{n}-{uuid.uuid4().hex[:6]}",
        "type": "Event",
        "attributedTo": author,
        "name": f"Event {n}",
        "startTime": "2099-05-01T18:00:00-04:00",
        "endTime": "2099-05-01T20:00:00-04:00",
        "timezone": "America/New_York",
        "location": {
            "type": "Place",
            "name": "Hall",
            "address": {
                "type": "PostalAddress",
                "addressRegion": "Massachusetts",
                "addressCountry": "US",
            },
        },
        "category": "MEETING",
        "tag": [{"type": "Hashtag", "name": "#Coops", "href": f"{host}/tags/coops"}],
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        **fields,
    }


def upcoming_walk(
    session: Session,
    node: NodeContext,
    actor: LocalActor | None,
    filters: Filters | None = None,
    *,
    since: datetime,
    until: datetime | None = None,
    limit: int,
) -> list[Entry]:
    """Every entry of ``upcoming_page`` from the first page to the last, each page read from
    the cursor the one before it gave: a reader's walk, which should meet each event once, in
    order."""
    seen: list[Entry] = []
    after: Cursor | None = None
    while True:
        page = upcoming_page(
            session, node, actor, filters, since=since, until=until, after=after, limit=limit
        )
        seen += page.entries
        if page.next is None:
            return seen
        after = page.next
