"""The remote actor cache: actor documents kept in ``remote_actor``, fetched when stale.

Actors are fetched with the instance actor's signed GET (``node.federation.remote.fetch``),
validated (``actor_documents``) and kept for ``settings.remote_actor_max_age`` seconds; a
failed refresh falls back to the cached copy, and 410 Gone forgets the actor. Actors of this
node are read from the database, never fetched.

Database work runs in short transactions on a worker thread, never around an HTTP request
(architecture rule 5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from node.db import as_utc, now_utc, write_connection
from node.federation.actors.documents import actor_document
from node.federation.actors.local import get_actor, get_instance_actor
from node.federation.context import NodeContext
from node.federation.remote.actor_documents import actor_fields
from node.federation.remote.fetch import (
    FetchBudget,
    RemoteActorError,
    fetch_object,
    is_local,
    require_url,
)
from node.models import LocalActor, RemoteActor
from node.urls import Urls

__all__ = [
    "cached_actor",
    "get_remote_actor",
    "in_thread",
    "inbox_for",
    "is_fresh",
    "local_actor",
    "local_as_remote",
    "read_actor",
    "store_actor",
    "upsert",
]

logger = logging.getLogger(__name__)


T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking (database) work on a worker thread."""
    return await to_thread.run_sync(partial(fn, *args))


def is_fresh(node: NodeContext, actor: RemoteActor) -> bool:
    """Whether the cached copy is younger than ``remote_actor_max_age``."""
    age = (now_utc() - as_utc(actor.fetched_at)).total_seconds()
    return age < node.settings.remote_actor_max_age


def cached_actor(session: Session, actor_id: str) -> RemoteActor | None:
    """The cached actor with this id, whatever its age (no network)."""
    return session.exec(select(RemoteActor).where(RemoteActor.ap_id == actor_id)).first()


def upsert(engine: Engine, fields: dict[str, Any]) -> RemoteActor:
    """Insert or update by ap_id; a concurrent insert of the same actor turns into an update."""
    for attempt in range(3):
        try:
            with write_connection(engine) as conn, Session(bind=conn) as session:
                row = cached_actor(session, fields["ap_id"])
                if row is None:
                    row = RemoteActor(**fields)
                    session.add(row)
                else:
                    for name, value in fields.items():
                        setattr(row, name, value)
                session.flush()
                session.expunge(row)
            return row
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _forget(engine: Engine, actor_id: str) -> None:
    with write_connection(engine) as conn:
        conn.execute(delete(RemoteActor).where(col(RemoteActor.ap_id) == actor_id))


async def store_actor(node: NodeContext, document: dict[str, Any]) -> RemoteActor:
    """Validate an actor document and store it in the cache."""
    return await in_thread(upsert, node.engine, actor_fields(document, node.settings))


def local_actor(engine: Engine, urls: Urls, url: str) -> LocalActor | None:
    """The actor of this node at ``url`` (actor or profile URL, or the instance actor)."""
    with Session(engine) as session:
        if url in (urls.instance_actor, urls.base):
            return get_instance_actor(session)
        for prefix in (urls.actor(""), urls.profile("")):
            slug = url[len(prefix) :] if url.startswith(prefix) else ""
            if slug and "/" not in slug:
                return get_actor(session, slug)
    return None


async def local_as_remote(node: NodeContext, url: str) -> RemoteActor:
    """An actor of this node as a (never saved) RemoteActor row, from the database."""
    local = await in_thread(local_actor, node.engine, node.urls, url)
    if local is None:
        raise RemoteActorError("not_found", f"no actor {url} on this node", url=url)
    document = actor_document(local, node.urls, host=node.settings.host)
    return RemoteActor(**actor_fields(document, node.settings))


async def get_remote_actor(
    node: NodeContext,
    actor_id: str,
    *,
    refresh: bool = False,
    budget: FetchBudget | None = None,
) -> RemoteActor:
    """The actor with this id: from the cache while fresh, else fetched (signed) and stored.

    ``refresh=True`` fetches even when fresh (key rotation). When a fetch fails and a copy is
    cached, the copy is returned (and the failure logged), except for 410 Gone or a Tombstone:
    then the cached actor is deleted and ``RemoteActorError("gone")`` raised. An actor of this
    node is built from the database and returned unsaved (``id`` None), never fetched.
    """
    require_url(actor_id, "actor id")
    if is_local(node, actor_id):
        return await local_as_remote(node, actor_id)
    cached = await in_thread(read_actor, node.engine, actor_id)
    if cached is not None and not refresh and is_fresh(node, cached):
        return cached
    try:
        return await store_actor(node, await fetch_object(node, actor_id, budget=budget))
    except RemoteActorError as exc:
        if exc.reason == "gone":
            await in_thread(_forget, node.engine, actor_id)
            raise
        if cached is None:
            raise
        logger.warning(
            "could not refresh %s (%s: %s); using the copy fetched at %s",
            actor_id,
            exc.reason,
            exc,
            cached.fetched_at,
        )
        return cached


def read_actor(engine: Engine, actor_id: str) -> RemoteActor | None:
    """The cached actor with this id, in its own session."""
    with Session(engine) as session:
        return cached_actor(session, actor_id)


def inbox_for(actor: RemoteActor, *, shared: bool = True) -> str:
    """Where to deliver to this actor: its shared inbox if it has one and ``shared``."""
    return actor.shared_inbox if shared and actor.shared_inbox else actor.inbox
