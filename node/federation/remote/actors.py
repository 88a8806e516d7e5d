"""Remote actors, keys and objects: the one import for code outside ``node.federation.remote``.

The work is split by noun: ``fetch`` (signed fetches, ``RemoteActorError``, ``FetchBudget``),
``actor_documents`` (validating actor documents), ``actor_cache`` (the ``remote_actor`` table,
fetched when stale), ``keys`` (the public keys that verify signatures) and ``webfinger``
(handles and pasted URLs). This module names what callers use, so they need not know the split.
"""

from __future__ import annotations

from node.federation.remote.actor_cache import cached_actor, get_remote_actor, inbox_for
from node.federation.remote.fetch import (
    AP_ACCEPT,
    FetchBudget,
    RemoteActorError,
    fetch_object,
    signed_get,
)
from node.federation.remote.keys import ResolvedKey, resolve_key
from node.federation.remote.webfinger import lookup, resolve_handle

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
