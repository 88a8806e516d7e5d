"""Remote actor documents, validated into the values the remote actor cache stores.

Everything here is hostile input: each field is bounded, URLs must be http(s) and (for inboxes
and keys) on the actor's own host, and a key owned by someone else never verifies this actor.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from node.activitypub import keys
from node.activitypub.vocab import ACTOR_TYPES, as_list, id_of, text
from node.db import now_utc
from node.federation.remote.fetch import RemoteActorError, http_url, require_url, url_host
from node.settings import Settings

__all__ = ["MAX_KEYS", "actor_fields", "multikey", "valid_pem"]

logger = logging.getLogger(__name__)


MAX_KEYS = 16  # keys looked at per actor document: bounded like everything remote


def _may_deliver_to(url: str, actor_host: str, settings: Settings) -> bool:
    return url_host(url) == actor_host or (urlsplit(url).hostname or "") in settings.allow_hosts


def _public_key(document: dict[str, Any], ident: str, host: str) -> tuple[str, str]:
    """(key id, PEM) of the actor's ``publicKey``; the PEM is "" for a key given by reference."""
    for entry in as_list(document.get("publicKey"))[:MAX_KEYS]:
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
        if isinstance(pem, str) and valid_pem(pem):
            return key_id, pem.strip()
    return "", ""


def valid_pem(pem: str) -> bool:
    """Whether ``pem`` holds a public key we can load."""
    try:
        keys.load_public_key(pem.strip())
    except keys.KeyFormatError:
        return False
    return True


def multikey(entry: Any, ident: str, host: str) -> dict[str, str] | None:
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
    for item in as_list(value)[:MAX_KEYS]:
        url = http_url(item.get("href") if isinstance(item, dict) else item)  # str or Link
        if url:
            return url
    return ""


def actor_fields(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
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
        for entry in as_list(document.get("assertionMethod"))[:MAX_KEYS]
        if (key := multikey(entry, ident, host)) is not None
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
