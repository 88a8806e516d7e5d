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
import sys
from collections.abc import Callable

from markupsafe import Markup

from node.byte_lru import ByteLRU, json_bytes

MAX_BYTES = 4 * 2**20
# What one kept fragment costs beyond its text: its key (a 16-byte digest as bytes), the
# ordered dict's link and the str header (measured with tracemalloc, docs/benchmarks.md).
OVERHEAD = 200


def digest(*parts: object) -> bytes:
    """A 16-byte digest of ``parts`` as JSON."""
    return hashlib.blake2b(json_bytes(parts), digest_size=16).digest()


class FragmentCache(ByteLRU[Markup]):
    """A byte-bounded LRU of rendered fragments (node/byte_lru.py); one fragment at most a
    sixteenth of the bound."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(max_bytes, _cost, largest_share=16)

    def get_or_render(self, key: bytes, render: Callable[[], Markup | None]) -> Markup | None:
        """The fragment kept under ``key``, else ``render()`` kept (None: nothing to show,
        not kept)."""
        found = self.lookup(key)
        if found is not None:
            return found
        made = render()
        return None if made is None else self.keep(key, made)


def _cost(fragment: str) -> int:
    return sys.getsizeof(fragment) + OVERHEAD


# The node's one cache of fragments, shared by every page that joins them (network entries in
# every language): a page draws at most 100, and a fragment costs ~0.8 KiB with its key
# (docs/benchmarks.md), so this keeps ~5,000: the busiest pages of a few languages.
kept = FragmentCache()
