"""JSON-LD processing with bundled contexts and an offline document loader.

pyld's default document loader fetches context URLs over the network. Remote documents are
hostile: a context URL is an attacker-chosen fetch (SSRF, slow hosts, tracking), and the result
of canonicalisation must not depend on what a third-party server answers today. So every pyld call
here goes through :func:`offline_document_loader`, which serves the context documents bundled in
``contexts/`` (sources in ``contexts/README.md``) and refuses anything else with
:class:`UnknownContextError`. The module never touches the network.

Canonicalisation (URDNA2015, what RsaSignature2017 hashes) is exponential on crafted blank-node
graphs, so documents are size- and depth-checked first (:func:`check_complexity`, with the
context rules of ``ldbudget`` where the limits ask for them) and the canonicaliser runs with a
work budget and, where the limits set one, a wall-clock deadline.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from node.activitypub.errors import find_cause
from node.activitypub.ldbudget import (
    BoundedURDNA2015,
    BudgetExceeded,
    Deadline,
    Processor,
    context_problem,
)
from node.activitypub.ldlimits import DEFAULT_LIMITS, Limits
from node.activitypub.pyld_offline import (
    ContextResolver,
    JsonLdError,  # re-exported: all that expand() and canonize() raise
)

__all__ = [
    "BUNDLED_CONTEXTS",
    "DEFAULT_LIMITS",
    "CanonicalizationBudgetExceeded",
    "DocumentTooComplex",
    "JsonLdError",
    "Limits",
    "UnknownContextError",
    "bundled_context",
    "canonize",
    "check_complexity",
    "expand",
    "is_bundled_context",
    "offline_document_loader",
]

# Canonical URL -> bundled file. Keys are matched loosely (see _url_key): peers write the same
# context as http or https, with or without a trailing slash or a ".jsonld" suffix.
BUNDLED_CONTEXTS: Mapping[str, str] = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.json",
    "https://w3id.org/security/v1": "security-v1.json",
    "https://w3id.org/security/v2": "security-v2.json",
    "https://w3id.org/security/data-integrity/v1": "security-data-integrity-v1.json",
    "https://w3id.org/security/data-integrity/v2": "security-data-integrity-v2.json",
    "https://w3id.org/security/multikey/v1": "security-multikey-v1.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
    "https://www.w3.org/ns/did/v1": "did-v1.json",
    "https://www.w3.org/ns/cid/v1": "cid-v1.json",
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://purl.archive.org/socialweb/webfinger": "webfinger.json",
    "https://purl.archive.org/miscellany": "miscellany.json",
    "https://gotosocial.org/ns": "gotosocial.json",
    "https://join-lemmy.org/context.json": "join-lemmy.json",
    # Mastodon never served a document here (it inlines its "toot:" terms), but some servers
    # (Bonfire) list the URL in @context; Fedify bundles this reconstruction for them.
    "http://joinmastodon.org/ns": "joinmastodon.json",
    "https://w3id.org/fep/5711": "fep-5711.json",
    "https://w3id.org/fep/ef61": "fep-ef61.json",
    "http://schema.org/": "schemaorg.json",
}

# Pleroma and Akkoma put a per-instance URL in @context: https://<host>/schemas/litepub-0.1.jsonld.
# Every Pleroma serves the same static file, so any host's URL with this path maps to the bundled
# copy of upstream Pleroma's. (Akkoma's variant adds quote/interaction-policy terms that this copy
# lacks; those terms expand to nothing, which matters only for reading them by IRI - neither
# software makes LD signatures over them.)
_LITEPUB_PATH = "/schemas/litepub-0.1"
_LITEPUB_FILE = "litepub-0.1.json"


class UnknownContextError(JsonLdError):  # type: ignore[misc]
    """A document names a context URL that is not bundled; nothing was fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"JSON-LD context {url!r} is not bundled and remote contexts are never fetched",
            "solnode.UnknownContext",
            {"url": url},
            code="loading remote context failed",
        )
        self.url = url

    def __str__(self) -> str:
        return str(self.args[0])


class DocumentTooComplex(JsonLdError):  # type: ignore[misc]
    """A document exceeds the size, nesting or canonicalisation-work limits."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "solnode.TooComplex", code="too complex")

    def __str__(self) -> str:
        return str(self.args[0])


class CanonicalizationBudgetExceeded(DocumentTooComplex):
    """URDNA2015 needed more blank-node permutations than the budget allows."""


def check_complexity(doc: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`DocumentTooComplex` if ``doc`` is too deep or too large to process.

    Iterative and linear in the document size, so it is safe to run on anything ``json.loads``
    returned; run it before handing remote JSON to pyld, whose recursion and running time are
    not bounded.
    """
    values = 0
    chars = 0
    array_work = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > limits.max_values:
            raise DocumentTooComplex(f"more than {limits.max_values} JSON values")
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, dict | list):
            if depth > limits.max_depth:
                raise DocumentTooComplex(f"nested deeper than {limits.max_depth}")
            if isinstance(value, dict):
                for key, item in value.items():
                    chars += len(key) if isinstance(key, str) else 0
                    stack.append((item, depth + 1))
            else:
                array_work += len(value) * len(value)
                if array_work > limits.max_array_work:
                    raise DocumentTooComplex("arrays too long to process")
                stack.extend((item, depth + 1) for item in value)
        if chars > limits.max_chars:
            raise DocumentTooComplex(f"more than {limits.max_chars} characters of text")
    if limits.max_contexts is not None:
        problem = context_problem(doc, limits.max_contexts)
        if problem is not None:
            raise DocumentTooComplex(problem)


def _url_key(url: str) -> str | None:
    """The lookup key for a context URL: host + path without scheme, '/' or '.jsonld' tail."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.query or parts.fragment:
        return None
    path = parts.path
    if path.endswith(".jsonld"):
        path = path[: -len(".jsonld")]
    return parts.netloc.lower() + path.rstrip("/")


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical in BUNDLED_CONTEXTS:
        key = _url_key(canonical)
        if key is None:  # pragma: no cover - a typo in BUNDLED_CONTEXTS
            raise ValueError(f"bad bundled context URL {canonical!r}")
        index[key] = canonical
    return index


_KEY_TO_URL = _index()


def _resolve(url: str) -> tuple[str, str] | None:
    """(canonical URL, bundled file name) for a context URL, or None if not bundled."""
    key = _url_key(url)
    if key is None:
        return None
    canonical = _KEY_TO_URL.get(key)
    if canonical is not None:
        return canonical, BUNDLED_CONTEXTS[canonical]
    host, _, path = key.partition("/")
    if host and "/" + path == _LITEPUB_PATH:
        return url, _LITEPUB_FILE
    return None


def is_bundled_context(url: str) -> bool:
    """Whether ``url`` names a context this module can serve offline."""
    return _resolve(url) is not None


@cache
def _load_file(name: str) -> Any:
    # Parsed once per process; the loader hands pyld deep copies because pyld rewrites relative
    # URLs inside the context documents it receives.
    folder = resources.files(__package__ or "node.activitypub").joinpath("contexts")
    text = folder.joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def bundled_context(url: str) -> dict[str, Any]:
    """A deep copy of the bundled context document for ``url``.

    Raises :class:`UnknownContextError` if it is not bundled.
    """
    found = _resolve(url)
    if found is None:
        raise UnknownContextError(url)
    document: dict[str, Any] = copy.deepcopy(_load_file(found[1]))
    return document


def offline_document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves bundled contexts and refuses every other URL.

    Raises :class:`UnknownContextError` (with ``.url``) instead of fetching.
    """
    found = _resolve(url)
    if found is None:
        raise UnknownContextError(url)
    canonical, name = found
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": canonical,
        "document": copy.deepcopy(_load_file(name)),
    }


# pyld caches resolved (processed) contexts in a module-global LRU keyed by URL alone, shared by
# every caller in the process whatever loader it used. Ours is private, so nothing loaded
# elsewhere with another loader can stand in for a bundled context, and per thread, because
# the cache is mutated without locks (verification may run in worker threads).
_local = threading.local()


class _BoundedCache(dict[str, Any]):
    """A dict that forgets its oldest entry when full.

    Inline contexts are cached too, keyed by their JSON text, so a stream of documents with
    made-up inline contexts must not grow the cache without bound.
    """

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self and len(self) >= self.maxsize:
            del self[next(iter(self))]
        super().__setitem__(key, value)


def _context_resolver() -> Any:
    cache = getattr(_local, "resolved_contexts", None)
    if cache is None:
        cache = _BoundedCache(maxsize=256)
        _local.resolved_contexts = cache
    return ContextResolver(cache, offline_document_loader)


def _options() -> dict[str, Any]:
    return {
        "documentLoader": offline_document_loader,
        "contextResolver": _context_resolver(),
        "base": "",
    }


def _reraise(exc: Exception, what: str) -> Exception:
    # pyld wraps loader errors (JsonLdError ... from cause); surface ours with its URL.
    exceeded = find_cause(exc, BudgetExceeded)
    if exceeded is not None:
        return CanonicalizationBudgetExceeded(str(exceeded))
    unknown = find_cause(exc, UnknownContextError)
    if unknown is not None:
        return unknown
    if not isinstance(exc, JsonLdError):
        # pyld raises TypeError/KeyError/ValueError/... on malformed input; callers get one type.
        exc = JsonLdError(f"{what} failed: {type(exc).__name__}: {exc}", "solnode.ProcessingError")
    return exc


def expand(doc: Any, limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    """Expand a JSON-LD document with the bundled contexts only.

    Raises :class:`DocumentTooComplex`, :class:`UnknownContextError` or another
    :data:`JsonLdError`.
    """
    check_complexity(doc, limits)
    try:
        result: list[Any] = Processor(Deadline(limits.max_seconds)).expand(doc, _options())
    except DocumentTooComplex:
        raise
    except Exception as exc:
        raise _reraise(exc, "expansion") from exc
    return result


def canonize(doc: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    """URDNA2015-canonical N-Quads of a JSON-LD document, with the bundled contexts only.

    The same output as ``pyld.jsonld.normalize(doc, {"algorithm": "URDNA2015", "format":
    "application/n-quads"})``, but offline and bounded. Raises :class:`DocumentTooComplex`
    (also for an exhausted permutation budget), :class:`UnknownContextError` or another
    :data:`JsonLdError`.
    """
    check_complexity(doc, limits)
    deadline = Deadline(limits.max_seconds)
    try:
        options = _options()
        options["produceGeneralizedRdf"] = False
        dataset = Processor(deadline).to_rdf(doc, options)
        canonical: str = BoundedURDNA2015(limits.max_permutations, deadline).main(
            dataset, {"format": "application/n-quads"}
        )
    except DocumentTooComplex:
        raise
    except Exception as exc:
        raise _reraise(exc, "canonicalisation") from exc
    return canonical
