"""Rendered HTML fragments kept in memory, keyed by a digest of everything they are drawn from.

A page of a network's calendar, region or profile draws 50-100 entries, and each entry's card
(its dates formatted, its place, its credit line, its template) costs more than finding it
(docs/benchmarks.md, "Aggregated reads"). Entries change rarely and pages are read often, so
each entry's fragment is kept under :func:`digest` of its inputs: the variant (heading level,
cell or card), the page's language, the row's filed facts, its author's credit line and its
whole document. Any change to any of them (an Update, a reclean under new rules, a rename, a
language switch) is a new key, so a kept fragment is never stale, only unused; what a page
shows at all (moderation, removal, filters) is decided before any fragment is looked up. The
least recently used fragments go first past :data:`MAX_BYTES`.

Fragments hold HTML rendered by the autoescaped templates from cleaned documents: they are
kept as :class:`markupsafe.Markup` and joined into pages as they are.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable

import orjson
from markupsafe import Markup

MAX_BYTES = 4 * 2**20
# What one kept fragment costs beyond its text: its key (a 16-byte digest as bytes), the
# ordered dict's link and the str header (measured with tracemalloc, docs/benchmarks.md).
OVERHEAD = 200


def digest(*parts: object) -> bytes:
    """A 16-byte digest of ``parts`` as JSON (orjson: datetimes, dataclasses and tuples as
    they are; a number too big for orjson through the standard library instead)."""
    try:
        raw = orjson.dumps(parts)
    except TypeError:
        raw = json.dumps(parts, default=str).encode()
    return hashlib.blake2b(raw, digest_size=16).digest()


class FragmentCache:
    """A byte-bounded LRU of rendered fragments (thread-safe: routes run in a thread pool)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._kept: OrderedDict[bytes, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget every fragment (tests; an operator's reload)."""
        with self._lock:
            self._kept.clear()
            self.size = 0

    def get_or_render(self, key: bytes, render: Callable[[], Markup | None]) -> Markup | None:
        """The fragment kept under ``key``, else ``render()`` kept (None: nothing to show,
        not kept)."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        made = render()
        if made is None:
            return None
        cost = _cost(made)
        with self._lock:
            if key not in self._kept and cost <= self.max_bytes // 16:
                self._kept[key] = made
                self.size += cost
            while self.size > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self.size -= _cost(dropped)
        return made


def _cost(fragment: str) -> int:
    return sys.getsizeof(fragment) + OVERHEAD


# The node's one cache of fragments, shared by every page that joins them (network entries in
# every language): a page draws at most 100, and a fragment costs ~0.8 KiB with its key
# (docs/benchmarks.md), so this keeps ~5,000: the busiest pages of a few languages.
kept = FragmentCache()
