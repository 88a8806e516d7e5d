"""Public keys of remote signers: resolved from the remote actor cache, fetched when needed.

A signature's keyId names a key on an actor document (``actor#main-key``, a Multikey id) or a
separate key document whose owner (or controller) must list the key. Keys of this node's
actors are read from the database, never fetched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from node.activitypub import keys
from node.activitypub.vocab import ACTOR_TYPES, as_list, id_of
from node.db import as_utc, detached, now_utc, write_connection
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.remote.actor_cache import (
    cached_actor,
    get_remote_actor,
    in_thread,
    is_fresh,
    local_actor,
    store_actor,
)
from node.federation.remote.actor_documents import multikey, valid_pem
from node.federation.remote.fetch import (
    FetchBudget,
    RemoteActorError,
    check_id,
    get_document,
    http_url,
    is_local,
    require_url,
    url_host,
)
from node.models import RemoteActor
from node.urls import Urls

__all__ = ["ResolvedKey", "may_refetch", "resolve_key"]

_REFETCHED_SIZE = 10_000


def may_refetch(node: NodeContext, owner: str, now: float | None = None) -> bool:
    """Whether ``owner`` may be fetched again because a signature by it failed; if so, the
    attempt is recorded. At most once per ``key_refetch_interval`` seconds per owner, so a
    stream of badly signed requests naming someone's key cannot make us fetch their actor
    (a third party) once per request; a real rotation is picked up by the next attempt after
    the interval, or at once by the actor's Update."""
    instant = time.monotonic() if now is None else now
    seen = node.key_refetches
    last = seen.get(owner)
    if last is not None and instant - last < node.settings.key_refetch_interval:
        return False
    if len(seen) >= _REFETCHED_SIZE:
        seen.clear()
    seen[owner] = instant
    return True


@dataclass(frozen=True)
class ResolvedKey:
    """A public key and the actor it belongs to (``actor`` is None for this node's actors)."""

    owner: str
    public_key: keys.PublicKey
    actor: RemoteActor | None
    key_id: str


def _key_of(actor: RemoteActor, key_id: str) -> keys.PublicKey | None:
    try:
        if actor.public_key_id == key_id and actor.public_key_pem:
            return keys.load_public_key(actor.public_key_pem)
        for key in actor.multikeys:
            if key.get("id") == key_id:
                return keys.public_key_from_multibase(key["publicKeyMultibase"])
    except (keys.KeyFormatError, KeyError):
        return None
    return None


def _references(actor: RemoteActor, key_id: str) -> bool:
    """Whether the actor names ``key_id`` by reference only (a separate key document)."""
    listed = as_list(actor.document.get("publicKey")) + as_list(
        actor.document.get("assertionMethod")
    )
    return key_id in [ref for ref in listed if isinstance(ref, str)]


def _lists_key(actor: RemoteActor, key_id: str) -> bool:
    return _key_of(actor, key_id) is not None or _references(actor, key_id)


def _resolved(actor: RemoteActor, key_id: str) -> ResolvedKey:
    key = _key_of(actor, key_id)
    if key is None:
        raise RemoteActorError(
            "key_not_found", f"the actor {actor.ap_id} does not list the key {key_id}", url=key_id
        )
    return ResolvedKey(
        owner=actor.ap_id,
        public_key=key,
        actor=actor if actor.id is not None else None,
        key_id=key_id,
    )


def _actors_for_key(engine: Engine, key_id: str, owner_guess: str) -> list[RemoteActor]:
    query = select(RemoteActor).where(
        or_(col(RemoteActor.public_key_id) == key_id, col(RemoteActor.ap_id) == owner_guess)
    )
    with Session(engine) as session:
        rows = list(session.exec(query.limit(4)))
    return sorted(rows, key=lambda row: row.ap_id != owner_guess)


def _local_key(engine: Engine, urls: Urls, key_id: str) -> ResolvedKey:
    local = local_actor(engine, urls, urldefrag(key_id).url)
    if local is not None:
        ident = actor_id(urls, local)
        pem = {
            Urls.main_key(ident): local.rsa_public_pem,
            Urls.ed25519_key(ident): local.ed_public_pem,
        }.get(key_id)
        if pem:
            return ResolvedKey(ident, keys.load_public_key(pem), None, key_id)
    raise RemoteActorError("key_not_found", f"no key {key_id} on this node", url=key_id)


async def _owner(
    node: NodeContext, owner: str, key_id: str, *, refresh: bool, budget: FetchBudget | None
) -> RemoteActor:
    """The key's owner; refetched once if the cached copy does not list the key (a new key),
    at most once per refetch interval (:func:`may_refetch`)."""
    started = now_utc()
    actor = await get_remote_actor(node, owner, refresh=refresh, budget=budget)
    if (
        actor.id is not None
        and not _lists_key(actor, key_id)
        and as_utc(actor.fetched_at) < started
        and may_refetch(node, owner)
    ):
        actor = await get_remote_actor(node, owner, refresh=True, budget=budget)
    return actor


async def resolve_key(
    node: NodeContext,
    key_id: str,
    *,
    refresh: bool = False,
    budget: FetchBudget | None = None,
) -> ResolvedKey:
    """The public key named by a signature's keyId, and the actor that owns it.

    Tried in order: this node's actors (database, never HTTP); the cache, by ``public_key_id``,
    Multikey id or the actor id before ``#`` (no network while fresh); the actor at the key id
    without its fragment (``actor#main-key``, ``actor#multikey-2``); else the key id is a key
    document whose ``owner`` (or Multikey ``controller``) is fetched and must list the key.
    ``refresh=True`` refetches the owner (and a key document): the inbox calls it once after a
    signature failed with a cached key, which is how a rotated key is picked up.
    """
    require_url(key_id, "key id")
    if is_local(node, key_id):
        return await in_thread(_local_key, node.engine, node.urls, key_id)
    owner_guess = urldefrag(key_id).url
    rows = await in_thread(_actors_for_key, node.engine, key_id, owner_guess)
    if not refresh:
        for row in rows:
            if _key_of(row, key_id) is not None and is_fresh(node, row):
                return _resolved(row, key_id)
    owner = next((row.ap_id for row in rows if _lists_key(row, key_id)), None)
    if owner is None and owner_guess != key_id:
        owner = owner_guess
    if owner is not None:
        actor = await _owner(node, owner, key_id, refresh=refresh, budget=budget)
        if _key_of(actor, key_id) is not None or not _references(actor, key_id):
            return _resolved(actor, key_id)
        refresh = False  # the owner was just read; what is left is its key document
    return await _resolve_key_document(node, key_id, refresh=refresh, budget=budget)


async def _resolve_key_document(
    node: NodeContext, key_id: str, *, refresh: bool, budget: FetchBudget | None
) -> ResolvedKey:
    document, final_url = await get_document(node, key_id, budget)
    ident = http_url(document.get("id"))
    if set(as_list(document.get("type"))) & ACTOR_TYPES:
        if ident == key_id:  # the key id is the actor's own id
            return _resolved(await store_actor(node, document), key_id)
        if not ident or url_host(ident) != url_host(key_id):
            raise RemoteActorError(
                "id_mismatch", f"the key {key_id} is served as the actor {ident!r}", url=key_id
            )
        # GoToSocial serves a stub of the actor, under the actor's id, at /users/NAME/main-key.
        owner = ident
    else:
        check_id(document, key_id, final_url)
        owner = http_url(id_of(document.get("owner")) or id_of(document.get("controller")))
        if not owner:
            raise RemoteActorError(
                "bad_document", f"the key document {key_id} names no owner", url=key_id
            )
    actor = await _owner(node, owner, key_id, refresh=refresh, budget=budget)
    if _key_of(actor, key_id) is None and actor.id is not None:
        # Listed by reference (publicKey: "<key id>", or an id in assertionMethod): the key
        # material comes from the key document and is kept with the actor.
        adopted = await in_thread(_adopt_key, node.engine, actor.ap_id, key_id, document)
        actor = adopted or actor
    return _resolved(actor, key_id)


def _adopt_key(
    engine: Engine, ap_id: str, key_id: str, key_document: dict[str, Any]
) -> RemoteActor | None:
    with write_connection(engine) as conn, Session(bind=conn) as session:
        row = cached_actor(session, ap_id)
        if row is None or not _references(row, key_id):
            return None
        pem = key_document.get("publicKeyPem")
        adopted = multikey(key_document, ap_id, row.domain)
        if row.public_key_id == key_id and isinstance(pem, str) and valid_pem(pem):
            row.public_key_pem = pem.strip()
        elif adopted is not None:
            row.multikeys = [*row.multikeys, adopted]
        else:
            return None
        return detached(session, row)
