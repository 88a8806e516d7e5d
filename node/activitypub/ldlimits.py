"""The bounds on a JSON-LD document before any processing (``jsonld.check_complexity`` applies
them). Apart from ``jsonld`` so that code which only names limits does not load pyld.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True)
class Limits:
    """Bounds on a document before any JSON-LD processing.

    pyld is slow on large documents in two ways: it checks each new value of a property against
    all earlier ones (quadratic in the length of an array: 1,000 IRIs in one array take ~0.85 s,
    4,000 take ~17 s here), and URDNA2015 permutes look-alike blank nodes (factorial). The
    defaults leave ample room for real activities (a typical Create has ~60 values) and keep the
    worst case around a second.
    """

    max_depth: int = 32
    """Deepest nesting of objects/arrays (the document itself is depth 1)."""
    max_values: int = 5_000
    """Total JSON values (objects, arrays, strings, numbers, ...), keys not counted."""
    max_chars: int = 1_000_000
    """Total characters in strings and keys (Mastodon caps inbox bodies at 1 MB)."""
    max_array_work: int = 512 * 512
    """Sum of the squared lengths of all arrays: pyld's per-property duplicate check."""
    max_permutations: int = 2_000
    """URDNA2015 blank-node permutations; tree-shaped activities need none or a handful."""
    max_contexts: int | None = None
    """If set: top-level @context entries, and no @context elsewhere (ldbudget.context_problem)."""
    max_seconds: float | None = None
    """If set: a wall-clock deadline on one expansion or canonicalisation."""


DEFAULT_LIMITS = Limits()
