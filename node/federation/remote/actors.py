"""The remote actor cache: actor documents, WebFinger, and the keys that verify signatures.

Actors are fetched with the instance actor's signed GET (``node.federation.remote.fetch``, re-exported
here), validated, and kept in ``remote_actor`` for ``settings.remote_actor_max_age`` seconds; a
failed refresh falls back to the cached copy, and 410 Gone forgets the actor. Key ids resolve
from the cache without network while it is fresh.

Database work runs in short transactions on a worker thread, never around an HTTP request
(architecture rule 5). Actors and keys of this node are read from the database, never fetched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urldefrag, urlsplit

from anyio import to_thread
from sqlalchemy import Engine, delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from node.activitypub import keys, webfinger
from node.activitypub.vocab import ACTOR_TYPES, as_list, id_of, text
from node.context import NodeContext
from node.db import as_utc, now_utc, write_connection
from node.federation.actors.documents import actor_document, actor_id
from node.federation.actors.local import get_actor, get_instance_actor
from node.federation.http import FetchError
from node.federation.remote.fetch import (
    AP_ACCEPT,
    FetchBudget,
    RemoteActorError,
    check_id,
    fetch_failure,
    fetch_object,
    get_document,
    http_url,
    is_local,
    require_url,
    signed_get,
    url_host,
)
from node.models import LocalActor, RemoteActor
from node.settings import Settings
from node.urls import Urls

__all__ = [
    "AP_ACCEPT",
    "FetchBudget",
    "RemoteActorError",
    "ResolvedKey",
    "cached_actor",
    "fetch_object",
    "get_remote_actor",
    "inbox_for",
    "lookup",
    "resolve_handle",
    "resolve_key",
    "signed_get",
]

logger = logging.getLogger(__name__)

JRD_ACCEPT = "application/jrd+json, application/json"
_MAX_KEYS = 16  # keys looked at per actor document: bounded like everything remote
_HOST_RE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\.?)+(?::[0-9]{1,5})?$|^\[[0-9a-f:.]+\](?::[0-9]{1,5})?$"
)

T = TypeVar("T")


@dataclass(frozen=True)
class ResolvedKey:
    """A public key and the actor it belongs to (``actor`` is None for this node's actors)."""

    owner: str
    public_key: keys.PublicKey
    actor: RemoteActor | None
    key_id: str


# --- small helpers -------------------------------------------------------------------------


async def _db(fn: Callable[..., T], *args: Any) -> T:
    return await to_thread.run_sync(partial(fn, *args))


def _is_fresh(node: NodeContext, actor: RemoteActor) -> bool:
    age = (now_utc() - as_utc(actor.fetched_at)).total_seconds()
    return age < node.settings.remote_actor_max_age


# --- actor documents -------------------------------------------------------------------------


def _may_deliver_to(url: str, actor_host: str, settings: Settings) -> bool:
    return url_host(url) == actor_host or (urlsplit(url).hostname or "") in settings.allow_hosts


def _public_key(document: dict[str, Any], ident: str, host: str) -> tuple[str, str]:
    """(key id, PEM) of the actor's ``publicKey``; the PEM is "" for a key given by reference."""
    for entry in as_list(document.get("publicKey"))[:_MAX_KEYS]:
        if isinstance(entry, str):
            if http_url(entry) and url_host(entry) == host:
                return entry, ""  # a key document: read when the key is first needed
            continue
        if not isinstance(entry, dict):
            continue
        key_id = http_url(entry.get("id"))
        pem = entry.get("publicKeyPem")
        # A key on another host, or owned by someone else, must never verify this actor.
        if not key_id or url_host(key_id) != host or id_of(entry.get("owner")) != ident:
            logger.info("ignoring publicKey %r of %s: wrong id or owner", entry.get("id"), ident)
            continue
        if isinstance(pem, str) and _valid_pem(pem):
            return key_id, pem.strip()
    return "", ""


def _valid_pem(pem: str) -> bool:
    try:
        keys.load_public_key(pem.strip())
    except keys.KeyFormatError:
        return False
    return True


def _multikey(entry: Any, ident: str, host: str) -> dict[str, str] | None:
    """A FEP-521a Multikey controlled by ``ident`` on its host, as stored, or None."""
    if not isinstance(entry, dict) or "Multikey" not in as_list(entry.get("type")):
        return None
    key_id = http_url(entry.get("id"))
    value = entry.get("publicKeyMultibase")
    if not key_id or url_host(key_id) != host or id_of(entry.get("controller")) != ident:
        return None
    if not isinstance(value, str):
        return None
    try:
        keys.public_key_from_multibase(value)
    except keys.KeyFormatError:
        return None
    return {"id": key_id, "publicKeyMultibase": value}


def _first_url(value: Any) -> str:
    for item in as_list(value)[:_MAX_KEYS]:
        url = http_url(item.get("href") if isinstance(item, dict) else item)  # str or Link
        if url:
            return url
    return ""


def _actor_fields(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Validate an actor document (its id already checked) into RemoteActor column values."""
    ident = require_url(str(document.get("id")), "actor id")
    types = [t for t in as_list(document.get("type")) if isinstance(t, str)]
    if "Tombstone" in types:
        raise RemoteActorError("gone", f"{ident} was deleted (Tombstone)", url=ident)
    kind = next((t for t in types if t in ACTOR_TYPES), None)
    if kind is None:
        raise RemoteActorError(
            "not_an_actor", f"{ident} is {types[:3] or 'untyped'}, not an actor", url=ident
        )
    host = url_host(ident)
    inbox = http_url(document.get("inbox"))
    if not inbox or not _may_deliver_to(inbox, host, settings):
        raise RemoteActorError(
            "bad_document",
            f"the actor {ident} has no usable inbox (an http(s) URL on {host}): "
            f"{str(document.get('inbox'))[:200]!r}",
            url=ident,
        )
    endpoints = document.get("endpoints")
    shared = http_url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else ""
    if shared and not _may_deliver_to(shared, host, settings):
        shared = ""
    key_id, pem = _public_key(document, ident, host)
    multikeys = [
        key
        for entry in as_list(document.get("assertionMethod"))[:_MAX_KEYS]
        if (key := _multikey(entry, ident, host)) is not None
    ]
    return {
        "ap_id": ident,
        "type": kind,
        "preferred_username": text(document.get("preferredUsername"), 255) or "",
        "domain": host[:255],
        "name": text(document.get("name"), 500) or "",
        "inbox": inbox,
        "shared_inbox": shared,
        "url": _first_url(document.get("url")),
        "followers_url": http_url(id_of(document.get("followers"))),
        "public_key_id": key_id,
        "public_key_pem": pem,
        "multikeys": multikeys,
        "document": document,
        "fetched_at": now_utc(),
    }


def cached_actor(session: Session, actor_id: str) -> RemoteActor | None:
    """The cached actor with this id, whatever its age (no network)."""
    return session.exec(select(RemoteActor).where(RemoteActor.ap_id == actor_id)).first()


def _upsert(engine: Engine, fields: dict[str, Any]) -> RemoteActor:
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


async def _store(node: NodeContext, document: dict[str, Any]) -> RemoteActor:
    return await _db(_upsert, node.engine, _actor_fields(document, node.settings))


def _local_actor(engine: Engine, urls: Urls, url: str) -> LocalActor | None:
    with Session(engine) as session:
        if url in (urls.instance_actor, urls.base):
            return get_instance_actor(session)
        for prefix in (urls.actor(""), urls.profile("")):
            slug = url[len(prefix) :] if url.startswith(prefix) else ""
            if slug and "/" not in slug:
                return get_actor(session, slug)
    return None


async def _local_as_remote(node: NodeContext, url: str) -> RemoteActor:
    local = await _db(_local_actor, node.engine, node.urls, url)
    if local is None:
        raise RemoteActorError("not_found", f"no actor {url} on this node", url=url)
    document = actor_document(local, node.urls, host=node.settings.host)
    return RemoteActor(**_actor_fields(document, node.settings))


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
        return await _local_as_remote(node, actor_id)
    cached = await _db(_read_actor, node.engine, actor_id)
    if cached is not None and not refresh and _is_fresh(node, cached):
        return cached
    try:
        return await _store(node, await fetch_object(node, actor_id, budget=budget))
    except RemoteActorError as exc:
        if exc.reason == "gone":
            await _db(_forget, node.engine, actor_id)
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


def _read_actor(engine: Engine, actor_id: str) -> RemoteActor | None:
    with Session(engine) as session:
        return cached_actor(session, actor_id)


def inbox_for(actor: RemoteActor, *, shared: bool = True) -> str:
    """Where to deliver to this actor: its shared inbox if it has one and ``shared``."""
    return actor.shared_inbox if shared and actor.shared_inbox else actor.inbox


# --- WebFinger -----------------------------------------------------------------------------


def _webfinger_scheme(settings: Settings, host: str) -> str:
    # Loopback development: peers on 127.0.0.1:PORT speak plain http. Anywhere else, https only.
    hostname = urlsplit("//" + host).hostname or ""
    return "http" if settings.is_loopback and hostname in settings.allow_hosts else "https"


async def _webfinger(node: NodeContext, acct: webfinger.Acct) -> tuple[str, str]:
    """(subject, self link) from the WebFinger of ``acct``: an unsigned GET, as servers do."""
    scheme = _webfinger_scheme(node.settings, acct.host)
    resource = quote(str(acct), safe=":@")
    url = f"{scheme}://{acct.host}/.well-known/webfinger?resource={resource}"
    try:
        response = await node.open_http().get(url, headers={"Accept": JRD_ACCEPT})
    except FetchError as exc:
        raise fetch_failure(exc, url, "webfinger_failed") from exc
    if response.status != 200:
        raise RemoteActorError(
            "webfinger_failed",
            f"WebFinger for {acct} answered {response.status} ({url})",
            url=url,
            status=response.status,
        )
    try:
        document = response.json()
    except FetchError as exc:
        raise RemoteActorError("webfinger_failed", str(exc), url=url) from exc
    href = http_url(webfinger.self_link(document))
    if not href:
        raise RemoteActorError(
            "webfinger_failed",
            f"WebFinger for {acct} has no ActivityPub self link ({url})",
            url=url,
        )
    subject = document.get("subject") if isinstance(document, dict) else None
    return (subject if isinstance(subject, str) else ""), href


def _parse_handle(handle: str) -> webfinger.Acct:
    try:
        acct = webfinger.parse_handle(handle)
    except webfinger.WebFingerError as exc:
        raise RemoteActorError("bad_handle", str(exc)) from exc
    if not _HOST_RE.match(acct.host) or len(acct.host) > 255 or len(acct.user) > 255:
        raise RemoteActorError("bad_handle", f"{handle[:300]!r} does not name a valid host")
    return acct


async def resolve_handle(node: NodeContext, handle: str) -> str:
    """The actor id for ``user@host`` (also ``@user@host``, ``acct:user@host``).

    WebFinger, then the actor is fetched (and cached) and must loop back to the handle as
    Mastodon requires: ``preferredUsername@host`` of the actor is the handle, or (split
    domains) the actor's own host's WebFinger names the handle as subject and the actor as
    self. Handles on this node are answered from the database.
    """
    acct = _parse_handle(handle)
    settings = node.settings
    if acct.host == settings.host.lower():
        local = await _db(_local_by_name, node.engine, acct.user, settings)
        if local is None:
            raise RemoteActorError("not_found", f"no actor {acct} on this node")
        return actor_id(node.urls, local)
    _subject, href = await _webfinger(node, acct)
    actor = await get_remote_actor(node, href)
    if f"{actor.preferred_username.lower()}@{actor.domain}" == f"{acct.user}@{acct.host}":
        return actor.ap_id
    if actor.preferred_username and actor.domain != acct.host:
        own = webfinger.Acct(user=actor.preferred_username.lower(), host=actor.domain)
        subject, confirmed = await _webfinger(node, own)
        if confirmed == actor.ap_id and subject.lower() == str(acct):
            return actor.ap_id
    raise RemoteActorError(
        "webfinger_failed",
        f"{acct} points to {actor.ap_id}, which does not confirm that handle "
        f"(it is {actor.preferred_username}@{actor.domain})",
        url=actor.ap_id,
    )


def _local_by_name(engine: Engine, user: str, settings: Settings) -> LocalActor | None:
    with Session(engine) as session:
        if user in (settings.hostname, settings.host.lower()):
            return get_instance_actor(session)  # FEP-d556: acct:host@host
        return get_actor(session, user)


async def lookup(node: NodeContext, handle_or_url: str) -> RemoteActor:
    """An actor from a handle (``@user@host``) or a URL (its id, or a same-host page URL
    whose ActivityPub representation names the actor's id, like Mastodon's ``/@user``)."""
    text = handle_or_url.strip()
    if not text.startswith(("http://", "https://")):
        return await get_remote_actor(node, await resolve_handle(node, text))
    url = require_url(text)
    if is_local(node, url):
        return await _local_as_remote(node, url)
    if await _db(_read_actor, node.engine, url) is not None:
        return await get_remote_actor(node, url)  # fresh, refreshed, or the stale copy
    document, final_url = await get_document(node, url, None)
    try:
        check_id(document, url, final_url)
    except RemoteActorError:
        canonical = http_url(document.get("id"))
        if not canonical or url_host(canonical) != url_host(url):
            raise
        return await get_remote_actor(node, canonical)
    return await _store(node, document)


# --- keys ------------------------------------------------------------------------------------


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
    local = _local_actor(engine, urls, urldefrag(key_id).url)
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
    """The key's owner; refetched once if the cached copy does not list the key (a new key)."""
    started = now_utc()
    actor = await get_remote_actor(node, owner, refresh=refresh, budget=budget)
    if (
        actor.id is not None
        and not _lists_key(actor, key_id)
        and as_utc(actor.fetched_at) < started
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
        return await _db(_local_key, node.engine, node.urls, key_id)
    owner_guess = urldefrag(key_id).url
    rows = await _db(_actors_for_key, node.engine, key_id, owner_guess)
    if not refresh:
        for row in rows:
            if _key_of(row, key_id) is not None and _is_fresh(node, row):
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
            return _resolved(await _store(node, document), key_id)
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
        adopted = await _db(_adopt_key, node.engine, actor.ap_id, key_id, document)
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
        multikey = _multikey(key_document, ap_id, row.domain)
        if row.public_key_id == key_id and isinstance(pem, str) and _valid_pem(pem):
            row.public_key_pem = pem.strip()
        elif multikey is not None:
            row.multikeys = [*row.multikeys, multikey]
        else:
            return None
        session.flush()
        session.expunge(row)
        return row
