"""The rules for reading fields of remote ActivityStreams: addressing, ids, types and text.

Remote documents are hostile until read: every helper here is total (it answers None or an
empty tuple for a shape it does not expect, never raises) and pure (standard library only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node.activitypub.vocab.terms import PUBLIC_ALIASES, as_list, id_of

# Where an object names its audience; Public in any of them makes the object public.
ADDRESS_FIELDS = ("to", "cc", "audience")
# A Link stands for the object it points at: its href is the reference when it has no id.
LINK_TYPES = frozenset({"Link", "Mention"})


def text(value: Any, limit: int) -> str | None:
    """A string field made safe to store and show: NULs removed (PostgreSQL refuses them),
    surrounding white space stripped, cut to ``limit`` characters. None when not a string."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip()[:limit]


def types_of(doc: Any) -> tuple[str, ...]:
    """Every string in ``type`` (ActivityStreams allows several: ``["Note", "schema:Thing"]``)."""
    if not isinstance(doc, Mapping):
        return ()
    return tuple(t for t in as_list(doc.get("type")) if isinstance(t, str))


def ref_of(value: Any) -> str | None:
    """The id a reference names: a string, an embedded object's ``id``, or a Link's ``href``."""
    ident = id_of(value)
    if ident is not None or not isinstance(value, Mapping):
        return ident
    href = value.get("href")
    if isinstance(href, str) and LINK_TYPES.intersection(types_of(value)):
        return href
    return None


def refs_of(value: Any) -> tuple[str, ...]:
    """The ids of a one-or-many reference field (``to``, ``object``, ``attributedTo``...)."""
    return tuple(ident for entry in as_list(value) if (ident := ref_of(entry)) is not None)


def addressees_of(doc: Any) -> tuple[str, ...]:
    """Every id in ``to``, ``cc`` and ``audience`` (``bto``/``bcc`` are the sender's secret)."""
    if not isinstance(doc, Mapping):
        return ()
    return tuple(ident for field in ADDRESS_FIELDS for ident in refs_of(doc.get(field)))


def is_public(doc: Any) -> bool:
    """Whether the Public collection (``as:Public`` in any of its three spellings) is among
    the recipients in ``to``, ``cc`` or ``audience``. Mastodon's "unlisted" (Public in cc)
    counts as public: it is public, just kept off the local timelines."""
    if not isinstance(doc, Mapping):
        return False
    # Lazily, stopping at the first hit: this runs on every activity a network sees.
    return any(
        (entry if isinstance(entry, str) else ref_of(entry)) in PUBLIC_ALIASES
        for field in ADDRESS_FIELDS
        for entry in as_list(doc.get(field))
    )
