"""The work budget of JSON-LD processing on remote documents: which contexts a document may
use, and a wall-clock deadline that the processor checks as it goes.

pyld processes every ``@context`` it meets, wherever it is: an embedded object with its own
context, a term definition with a scoped (property- or type-scoped) context, the same URL named
twice. A 55 kB activity with 25 nested objects, each naming the ActivityStreams context 51
times, took 3.3 s to canonicalise. Real activities name their contexts once, at the top
(Fedify repeats them in its integrity proof), so :func:`context_problem` allows exactly that
and refuses the rest before any processing, in one linear walk. The :class:`Deadline` is the
backstop for whatever work is left: pyld has no timeout, so its recursive steps ask it.
"""

from __future__ import annotations

import math
import time
from typing import Any

from node.activitypub.pyld_offline import URDNA2015
from node.activitypub.pyld_offline import pyld_jsonld as _pyld

__all__ = [
    "BoundedURDNA2015",
    "BudgetExceeded",
    "Deadline",
    "DeadlineExceeded",
    "Processor",
    "context_problem",
]

CONTEXT = "@context"


class BudgetExceeded(Exception):
    """The processing needed more work than its budget (``jsonld`` turns it into
    ``CanonicalizationBudgetExceeded``)."""


class DeadlineExceeded(BudgetExceeded):
    """The processing ran past its deadline."""


class Deadline:
    """A point on the monotonic clock; :meth:`check` raises once it is passed."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._at = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        if self._at is not None and time.monotonic() > self._at:
            raise DeadlineExceeded(f"JSON-LD processing took longer than {self.seconds} s")


def _proofs(doc: dict[str, Any]) -> list[int]:
    raw = doc.get("proof")
    items = raw if isinstance(raw, list) else [raw]
    return [id(item) for item in items if isinstance(item, dict)]


def _allowed(value: dict[str, Any], doc: dict[str, Any], proofs: set[int]) -> bool:
    """Whether ``value``'s own @context is one real signers write and is harmless: a proof's
    copy of the document's, or the one in an RsaSignature2017 ``signature`` (never processed:
    the options are canonicalised under the identity context, ``ldsig``)."""
    if id(value) in proofs:
        return bool(value[CONTEXT] == doc.get(CONTEXT))
    return value is doc.get("signature")


def _root_problem(context: Any, max_contexts: int) -> str | None:
    entries = context if isinstance(context, list) else [context]
    if len(entries) > max_contexts:
        return f"@context names {len(entries)} contexts, more than {max_contexts}"
    urls = [entry for entry in entries if isinstance(entry, str)]
    if len(set(urls)) != len(urls):
        return "@context names the same context more than once"
    if any(not isinstance(entry, str | dict) for entry in entries):
        return "@context entries must be URLs or objects"
    return None


def context_problem(doc: Any, max_contexts: int) -> str | None:
    """Why ``doc``'s contexts are refused, or None.

    Allowed: one ``@context`` at the top with at most ``max_contexts`` entries, no URL twice,
    inline definitions without scoped contexts; the same ``@context`` again in a top-level
    ``proof`` (FEP-8b32 proofs repeat the document's); any in the top-level ``signature``
    (Fedify writes one; it is replaced before processing). Refused: every other ``@context``,
    anywhere (embedded objects, scoped term definitions, the values of any property).
    """
    if not isinstance(doc, dict):
        return None
    root = doc.get(CONTEXT)
    if CONTEXT in doc:
        problem = _root_problem(root, max_contexts)
        if problem is not None:
            return problem
    proofs = set(_proofs(doc))
    stack: list[Any] = [root, *(value for key, value in doc.items() if key != CONTEXT)]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            if CONTEXT in value and not _allowed(value, doc, proofs):
                return "a nested or scoped @context (only the top-level one is processed)"
            stack.extend(item for key, item in value.items() if key != CONTEXT)
    return None


class Processor(_pyld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, asking ``deadline`` at each element it expands and context it reads."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def _expand(self, *args: Any, **kwargs: Any) -> Any:
        self._deadline.check()
        return super()._expand(*args, **kwargs)

    def _process_context(self, *args: Any, **kwargs: Any) -> Any:
        self._deadline.check()
        return super()._process_context(*args, **kwargs)


class BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with a cap on the blank-node permutations it may try.

    The N-degree hash step tries every permutation of each group of blank nodes that look
    alike; a few dozen identical blank nodes under two identical parents is enough to make that
    run for hours. The hook is create_hash_to_related, which runs once per N-degree hash call
    and returns exactly the groups that will be permuted.
    """

    def __init__(self, max_permutations: int, deadline: Deadline) -> None:
        super().__init__()
        self._budget = max_permutations
        self._deadline = deadline

    def hash_first_degree_quads(self, id_: str) -> str:
        self._deadline.check()
        digest: str = super().hash_first_degree_quads(id_)
        return digest

    def hash_related_blank_node(self, related: str, quad: Any, issuer: Any, position: str) -> str:
        self._deadline.check()
        digest: str = super().hash_related_blank_node(related, quad, issuer, position)
        return digest

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        self._deadline.check()
        related: dict[str, list[str]] = super().create_hash_to_related(id_, issuer)
        for group in related.values():
            # math.factorial grows fast; stop computing once the budget is blown.
            if len(group) > 12:
                raise BudgetExceeded(f"{len(group)} indistinguishable blank nodes to permute")
            self._budget -= math.factorial(len(group))
            if self._budget < 0:
                raise BudgetExceeded("blank-node permutation budget exhausted")
        return related
