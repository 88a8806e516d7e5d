"""Pure checks of who an activity claims to be from and where its ids live."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from node.activitypub.hosts import canonical_origin, is_canonical_url
from node.activitypub.vocab import id_of

MAX_ID_LENGTH = 2048


class ShapeError(ValueError):
    """An activity is not shaped as ActivityPub requires; the message names the field."""


def origin(url: str) -> str:
    """scheme://host[:port] of a URL in the one canonical host form (the unit of trust in
    ActivityPub): any two spellings of one server have one origin (``node.activitypub.hosts``).

    Total: a remote party's "http://[::1" makes urlsplit raise; such a URL has no origin, and
    gets one that no other URL shares.
    """
    canonical = canonical_origin(url)
    return f"invalid:{url}" if canonical is None else canonical


def is_http_url(value: Any) -> bool:
    """An absolute http(s) URL with a host, of sane length."""
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH:
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 host ("http://[::1"): the inbox answered 500
        return False
    return parts.scheme in {"http", "https"} and bool(host) and not parts.username


def activity_shape(doc: Any) -> tuple[str, str, str]:
    """Check an incoming activity's id, type and actor; returns (id, type, actor id)."""
    if not isinstance(doc, dict):
        raise ShapeError("the body must be a JSON object (an ActivityStreams activity)")
    ident = doc.get("id")
    if not is_http_url(ident):
        raise ShapeError("`id` must be an http(s) URL of at most 2048 characters")
    kind = doc.get("type")
    if isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind):
        kind = kind[0]
    if not isinstance(kind, str) or not 0 < len(kind) <= 64:
        raise ShapeError("`type` must be a string such as Create or Follow")
    actor = id_of(doc.get("actor"))
    if not is_http_url(actor):
        raise ShapeError("`actor` must be the http(s) URL of the sending actor")
    assert isinstance(ident, str) and actor is not None
    if origin(ident) != origin(actor):
        raise ShapeError(f"`id` {ident} is not on the actor's origin {origin(actor)}")
    return ident, kind, actor


CREATES_OBJECTS = frozenset({"Create", "Update"})
_ACTOR_TYPES = frozenset({"Person", "Organization", "Group", "Service", "Application"})


def embedded_object_origin_ok(doc: dict[str, Any], actor: str) -> str | None:
    """For Create/Update with an embedded object, the object's id must be on the actor's origin
    (Mastodon's rule; a third party's object must be fetched from its own origin instead).
    The activity's id and actor must write their host in canonical form (so must the
    object's id): another spelling of a host is refused, not normalised.
    Returns an error message, or None when fine."""
    for field in ("id", "actor"):
        value = id_of(doc.get(field))
        if value is not None and not is_canonical_url(value):
            return f"`{field}` {value[:200]} does not write its host in canonical form"
    kind = doc.get("type")
    if isinstance(kind, list):  # the first of several types, as activity_shape reads it
        kind = kind[0] if kind else None
    obj = doc.get("object")
    if not isinstance(kind, str) or kind not in CREATES_OBJECTS or not isinstance(obj, dict):
        return None
    obj_id = obj.get("id")
    if obj_id is None:
        return "the embedded object has no `id`"
    if not is_http_url(obj_id):
        return "the embedded object's `id` must be an http(s) URL"
    if not is_canonical_url(obj_id):
        return (
            f"the embedded object's `id` {obj_id[:200]} does not write its host in canonical form"
        )
    if origin(obj_id) != origin(actor):
        return f"object {obj_id} is not on the actor's origin {origin(actor)}"
    obj_types = obj.get("type")
    obj_types = obj_types if isinstance(obj_types, list) else [obj_types]
    if any(isinstance(t, str) and t in _ACTOR_TYPES for t in obj_types):
        return None
    return _attribution_problem(obj.get("attributedTo"), actor)


def _attribution_problem(attributed: Any, actor: str) -> str | None:
    """One author must be the actor; a list (Mobilizon: the group, then the person) may name
    others only on the actor's own origin, never another server's account."""
    if attributed is None:
        return None
    if not isinstance(attributed, list):
        author = id_of(attributed)
        if author is not None and author != actor:
            return "the object's attributedTo is not the activity's actor"
        return None
    authors = [id_of(entry) for entry in attributed[:8]]
    if actor not in authors:
        return "the object's attributedTo does not name the activity's actor"
    if any(a is None or origin(a) != origin(actor) for a in authors):
        return "the object's attributedTo names an author on another server"
    return None
