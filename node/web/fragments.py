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
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from node.byte_lru import ByteLRU, json_bytes
from node.web import i18n

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


def drawn(
    request: Request,
    template_name: str,
    lang: str,
    items: Iterable[tuple[bytes, Callable[[], dict[str, Any] | None]]],
) -> list[Markup]:
    """Each item's fragment, from :data:`kept` under its key, else ``template_name`` rendered
    in ``lang`` with the variables its ``context()`` gives, and kept; an item whose context is
    None (nothing to show) is left out."""
    template = request.app.state.templates.get_template(template_name)
    calls = i18n.template_callables(lang)
    shown: list[Markup] = []
    for key, context in items:

        def render(context: Callable[[], dict[str, Any] | None] = context) -> Markup | None:
            variables = context()
            if variables is None:
                return None
            # the template is autoescaped: what it returns is safe HTML
            return Markup(template.render(**variables, **calls))  # noqa: S704

        fragment = kept.get_or_render(key, render)
        if fragment is not None:
            shown.append(fragment)
    return shown
