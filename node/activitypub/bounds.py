"""Bounds on incoming ActivityPub JSON: depth, string and list lengths, recipients, URL schemes.

Remote JSON is hostile (architecture style rule 8: everything a remote party controls is
bounded). The inbox already caps the body at 1 MB; inside that megabyte a sender can still nest
arrays thousands deep (recursion in whoever walks the document next), send a 900 kB "name",
address an activity to 50,000 inboxes, or name a ``javascript:`` actor. :func:`check` refuses
all of that in ONE iterative pass over the parsed document, before any signature work, so the
hot path pays a few microseconds for a typical activity (~60 values).

The defaults follow what real software sends and what Mastodon accepts:

* ``max_depth`` 32 - a Create(Note) with tags and attachments is depth 4-5; Lemmy's
  Announce(Create(Page)) with inline contexts is under 10. Same as ``jsonld.Limits``.
* ``max_content`` 100,000 characters for ``content``/``summary``/``name`` (and their ``*Map``
  values) - Mastodon's own posts are 500 characters by default and its converted Articles
  rarely exceed a few kB; 100 k leaves room for long news and event descriptions.
* ``max_string`` 200,000 characters for any other string, keys included (an inline image
  ``data:`` URL, a ``source`` text).
* ``max_list`` 1,000 items per array - far over any real ``tag`` (Mastodon processes at most
  a few dozen tags and mentions) or ``attachment`` list (Mastodon keeps 4).
* ``max_recipients`` 1,000 addresses per object over ``to``+``cc``+``bto``+``bcc``+``audience``
  - real activities name the Public collection, a followers collection and a handful of
  mentions; a group or relay addresses collections, never member lists.
* ``max_values`` 20,000 JSON values in the whole document - bounds the work of every later
  pass (handlers, JSON-LD, storage).
* ``id``, ``actor``, ``attributedTo``, ``inbox``, ``outbox``, ``sharedInbox``, ``followers``
  and ``following`` strings must be http(s) URLs (except inside ``@context``, ``signature``
  and ``proof``, whose vocabularies define their own ids, e.g. ``urn:uuid:`` proof ids).

Pure: standard library only; returns a :class:`Violation` (reason code + message) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "DEFAULT_BOUNDS",
    "Bounds",
    "Violation",
    "ViolationReason",
    "check",
]

ViolationReason = Literal[
    "too_deep",
    "too_many_values",
    "list_too_long",
    "string_too_long",
    "content_too_long",
    "too_many_recipients",
    "bad_url_scheme",
]

CONTENT_KEYS: Final = frozenset({"content", "summary", "name"})
CONTENT_MAP_KEYS: Final = frozenset({"contentMap", "summaryMap", "nameMap"})
RECIPIENT_KEYS: Final = frozenset({"to", "cc", "bto", "bcc", "audience"})
URL_KEYS: Final = frozenset(
    {"id", "actor", "attributedTo", "inbox", "outbox", "sharedInbox", "followers", "following"}
)
# Subtrees with vocabularies of their own: an inline @context maps terms to IRIs or CURIEs
# ("inbox": "ldp:inbox"), a proof may carry a urn:uuid id. Sizes are still bounded there.
OPAQUE_KEYS: Final = frozenset({"@context", "signature", "proof"})


@dataclass(frozen=True)
class Bounds:
    """The limits :func:`check` enforces (see the module docstring for why these values)."""

    max_depth: int = 32
    max_values: int = 20_000
    max_list: int = 1_000
    max_string: int = 200_000
    max_content: int = 100_000
    max_recipients: int = 1_000


DEFAULT_BOUNDS: Final = Bounds()


@dataclass(frozen=True)
class Violation:
    """Why a document was refused: a stable ``reason`` code and a message naming the field."""

    reason: ViolationReason
    message: str


def _is_http_url(value: str) -> bool:
    # Cheaper than urlsplit on the hot path; the shape of the top-level id and actor is
    # checked more strictly by addressing.activity_shape, and every fetch goes through
    # node/federation/http.py, which vets URLs again.
    lowered = value[:8].lower()
    return (lowered.startswith("https://") and len(value) > 8) or (
        lowered.startswith("http://") and len(value) > 7
    )


def _recipients(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def check(
    doc: Any, bounds: Bounds = DEFAULT_BOUNDS, *, size: int | None = None
) -> Violation | None:
    """The first bound ``doc`` breaks, or None if it stays within ``bounds``.

    Iterative (never recursive, so any depth is safe) and linear in the document's size;
    it stops at the first violation. ``doc`` is what a JSON parser returned; ``size``, the
    length of the JSON text it came from, lets the walk skip checks that text that short
    cannot fail (a 4 kB body holds no 100 kB string and no 1,000-item list).
    """
    if isinstance(doc, str):
        return _check_string(doc, "", False, bounds)
    if not isinstance(doc, dict | list):
        return None
    return _walk(doc, bounds, size if size is not None else 1 << 62)


def _walk(doc: Any, bounds: Bounds, span: int) -> Violation | None:
    """The walk of a container ``doc`` whose JSON text is ``span`` characters long.

    This is the inbox's hot path, so it is one loop with everything in locals: only containers
    go on the stack, scalars are judged where they are met, and the per-key rules (URLs,
    recipients, content maps) run once per object on the few keys present (a set intersection
    in C), not once per value.
    """
    short = min(bounds.max_content, bounds.max_string)
    # A string of n characters takes n + 2 bytes of JSON, a list of n items at least 2n + 1.
    strings = span > short
    counts = span > 2 * min(bounds.max_list, bounds.max_values)
    max_values, max_list, max_depth = bounds.max_values, bounds.max_list, bounds.max_depth
    values = 1
    # (container, depth, key it hangs under, inside an opaque subtree)
    stack: list[tuple[Any, int, str, bool]] = [(doc, 1, "", False)]
    while stack:
        value, depth, key, opaque = stack.pop()
        if depth > max_depth:
            return Violation("too_deep", f"JSON nested deeper than {max_depth} levels")
        if type(value) is dict:
            if not value:
                continue
            if counts:
                values += len(value)
                if values > max_values:
                    return _too_many_values(bounds)
            if strings and max(map(len, value)) > bounds.max_string:
                return _key_too_long(bounds)
            if not opaque and (special := value.keys() & SPECIAL_KEYS):
                problem = _check_special(value, special, bounds)
                if problem is not None:
                    return problem
            for name, item in value.items():
                kind = type(item)
                if kind is dict or kind is list:
                    stack.append((item, depth + 1, name, opaque or name in OPAQUE_KEYS))
                elif strings and kind is str and len(item) > short:
                    problem = _check_string(item, name, opaque, bounds)
                    if problem is not None:
                        return problem
        else:
            if counts:
                if len(value) > max_list:
                    return _list_too_long(key, max_list)
                values += len(value)
                if values > max_values:
                    return _too_many_values(bounds)
            # List items keep the key of the list (to[3] is still a recipient).
            for item in value:
                kind = type(item)
                if kind is dict or kind is list:
                    stack.append((item, depth + 1, key, opaque))
                elif strings and kind is str and len(item) > short:
                    problem = _check_string(item, key, opaque, bounds)
                    if problem is not None:
                        return problem
    return None


SPECIAL_KEYS: Final = URL_KEYS | RECIPIENT_KEYS | CONTENT_MAP_KEYS


def _check_special(obj: dict[str, Any], present: set[str], bounds: Bounds) -> Violation | None:
    """The per-key rules of one object outside @context/signature/proof."""
    addressed = 0
    for name in present:
        item = obj[name]
        if name in URL_KEYS:
            for url in item if type(item) is list else (item,):
                if type(url) is str and not _is_http_url(url):
                    return Violation(
                        "bad_url_scheme", f"`{name}` must be an http(s) URL, got {url[:80]!r}"
                    )
        elif name in RECIPIENT_KEYS:
            addressed += _recipients(item)
            if addressed > bounds.max_recipients:
                return Violation(
                    "too_many_recipients",
                    f"more than {bounds.max_recipients} recipients in to/cc/bto/bcc/audience "
                    "of one object",
                )
        elif type(item) is dict:  # contentMap and friends: each value is content
            for text in item.values():
                if type(text) is str and len(text) > bounds.max_content:
                    return Violation(
                        "content_too_long",
                        f"`{name}` holds a text longer than {bounds.max_content} characters",
                    )
    return None


def _key_too_long(bounds: Bounds) -> Violation:
    return Violation("string_too_long", f"a key is longer than {bounds.max_string} characters")


def _list_too_long(key: str, max_list: int) -> Violation:
    return Violation("list_too_long", f"`{key or 'the body'}` has more than {max_list} items")


def _too_many_values(bounds: Bounds) -> Violation:
    return Violation(
        "too_many_values", f"the document has more than {bounds.max_values} JSON values"
    )


def _check_string(value: str, key: str, opaque: bool, bounds: Bounds) -> Violation | None:
    size = len(value)
    if key in CONTENT_KEYS and size > bounds.max_content:
        return Violation(
            "content_too_long", f"`{key}` is longer than {bounds.max_content} characters"
        )
    if size > bounds.max_string:
        return Violation(
            "string_too_long",
            f"`{key or 'a value'}` is longer than {bounds.max_string} characters",
        )
    if key in URL_KEYS and not opaque and not _is_http_url(value):
        return Violation("bad_url_scheme", f"`{key}` must be an http(s) URL, got {value[:80]!r}")
    return None
