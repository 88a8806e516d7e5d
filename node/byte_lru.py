"""A byte-bounded least-recently-used store of rendered things, and the JSON their keys digest.

The node keeps what is costly to render and cheap to key in memory: calendar and feed bodies
(node/features/feeds/cache.py) and the HTML fragments of network entries (node/web/fragments.py).
Each is keyed by a digest of everything it is rendered from, so a kept value is never stale,
only unused; the least recently used values go first past ``max_bytes``, and a value over
``1/largest_share`` of the bound is returned but never kept (one huge body must not push out
everything else). Thread-safe: routes run in a thread pool.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import orjson

V = TypeVar("V")


def json_bytes(value: object, *, sort_keys: bool = False) -> bytes:
    """``value`` as JSON (orjson: datetimes, dataclasses and tuples as they are); a number too
    big for orjson (over 64 bits, as a remote document may hold) through the standard library."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return json.dumps(value, sort_keys=sort_keys, default=str).encode()


class ByteLRU(Generic[V]):
    """Values by key, at most ``max_bytes`` of them by ``cost``."""

    def __init__(self, max_bytes: int, cost: Callable[[V], int], largest_share: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._cost = cost
        self._largest = max_bytes // largest_share
        self._kept: OrderedDict[bytes, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget everything (tests; an operator's reload)."""
        with self._lock:
            self._kept.clear()
            self.size = 0

    def get(self, key: bytes) -> V | None:
        """The value kept under ``key``, if it still is (a hit counted; a miss is counted by
        whoever then renders)."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                self.hits += 1
            return found

    def lookup(self, key: bytes) -> V | None:
        """:meth:`get`, counting a miss when nothing is kept (the caller renders next)."""
        found = self.get(key)
        if found is None:
            with self._lock:
                self.misses += 1
        return found

    def keep(self, key: bytes, value: V) -> V:
        """Keep ``value`` under ``key`` (unless it is too large), the oldest out past the
        bound; ``value`` returned."""
        cost = self._cost(value)
        if cost > self._largest:
            return value
        with self._lock:
            if key not in self._kept:
                self._kept[key] = value
                self.size += cost
            while self.size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self.size -= self._cost(dropped)
        return value
