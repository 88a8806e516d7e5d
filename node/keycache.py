"""The parsed public keys of remote signers, kept in process memory for a few minutes.

Resolving a key from the database still costs a round trip through a thread; most senders post
many times a minute, so the parsed key is kept here. A rotated key shows up as a signature
that no longer verifies, which refetches the key (``node.federation.verify``) and replaces
its entry; an actor's Update drops its entries at once (``forget_owner``).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.activitypub.keys import PublicKey

KEY_TTL = 300.0
KEY_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class CachedKey:
    """A public key, its id, and the actor that owns it."""

    owner: str
    public_key: PublicKey
    key_id: str


class KeyCache:
    """Key id -> parsed key, each entry good for ``ttl`` seconds; cleared whole when full
    (cheaper than an LRU on this path, and a full cache means a flood of new signers)."""

    def __init__(self, ttl: float = KEY_TTL, size: int = KEY_CACHE_SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[CachedKey, float]] = {}

    def get(self, key_id: str, now: float) -> CachedKey | None:
        """The key while its entry is fresh at ``now``, else None."""
        entry = self._entries.get(key_id)
        if entry is None or entry[1] < now:
            return None
        return entry[0]

    def put(self, key: CachedKey, now: float) -> CachedKey:
        """Keep ``key`` until ``now + ttl`` and return it."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key.key_id] = (key, now + self.ttl)
        return key

    def forget_owner(self, owner: str) -> None:
        """Drop every key of ``owner`` (its Update may have rotated one)."""
        for key_id in [k for k, (key, _) in self._entries.items() if key.owner == owner]:
            del self._entries[key_id]
