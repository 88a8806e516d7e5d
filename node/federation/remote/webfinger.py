"""WebFinger lookups: an actor from a handle (``user@host``) or from a URL people paste.

A handle resolves through the host's WebFinger (an unsigned GET, as servers do) and must be
confirmed by the actor it points to, as Mastodon requires. Handles of this node are answered
from the database.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from sqlalchemy import Engine
from sqlmodel import Session

from node.activitypub import webfinger
from node.federation.actors.documents import actor_id
from node.federation.actors.local import get_actor, get_instance_actor
from node.federation.context import NodeContext
from node.federation.http import FetchError
from node.federation.remote.actor_cache import (
    get_remote_actor,
    in_thread,
    local_as_remote,
    read_actor,
    store_actor,
)
from node.federation.remote.fetch import (
    RemoteActorError,
    check_id,
    fetch_failure,
    get_document,
    http_url,
    is_local,
    require_url,
    url_host,
)
from node.models import LocalActor, RemoteActor
from node.settings import Settings

__all__ = ["JRD_ACCEPT", "lookup", "parse_acct", "resolve_handle", "webfinger_url"]


JRD_ACCEPT = "application/jrd+json, application/json"

_HOST_RE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\.?)+(?::[0-9]{1,5})?$|^\[[0-9a-f:.]+\](?::[0-9]{1,5})?$"
)


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
        local = await in_thread(_local_by_name, node.engine, acct.user, settings)
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
        return await local_as_remote(node, url)
    if await in_thread(read_actor, node.engine, url) is not None:
        return await get_remote_actor(node, url)  # fresh, refreshed, or the stale copy
    document, final_url = await get_document(node, url, None)
    try:
        check_id(document, url, final_url)
    except RemoteActorError:
        canonical = http_url(document.get("id"))
        if not canonical or url_host(canonical) != url_host(url):
            raise
        return await get_remote_actor(node, canonical)
    return await store_actor(node, document)


def parse_acct(handle: str) -> webfinger.Acct:
    """``user@host`` (also ``@user@host``, ``acct:…``) checked; RemoteActorError ``bad_handle``."""
    return _parse_handle(handle)


def webfinger_url(settings: Settings, acct: webfinger.Acct) -> str:
    """Where the WebFinger document of ``acct`` is (https, or http for loopback peers)."""
    resource = quote(str(acct), safe=":@")
    return f"{_webfinger_scheme(settings, acct.host)}://{acct.host}/.well-known/webfinger?resource={resource}"
