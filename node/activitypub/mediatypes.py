"""Which media types are ActivityPub JSON: one rule, for what we are asked for (``Accept``) and for
what we are given (a fetched document's ``Content-Type``).

The rule is ActivityPub's (section 3.2) and Mastodon's: ``application/activity+json``, or
``application/ld+json`` whose ``profile`` names ActivityStreams. A bare ``application/ld+json``
is any JSON-LD (schema.org, ESSGLOBAL...), not an ActivityStreams document.
"""

from __future__ import annotations

AS_PROFILE = "https://www.w3.org/ns/activitystreams"
AP_TYPES = ("application/activity+json", "application/ld+json")
# What a request body we are sent may be labelled: liberal, because a body is judged by its
# signature and its shape, not its label (some servers post plain application/json).
AP_BODY_TYPES = (*AP_TYPES, "application/json")


def _is_activity_media(media: str, params: list[str]) -> bool:
    """The rule itself, over a lower-cased media type and its raw ``name=value`` parameters."""
    if media == "application/activity+json":
        return True
    if media != "application/ld+json":
        return False
    for param in params:
        name, _, value = param.partition("=")
        # profile may list several URIs, separated by white space (RFC 6906).
        if name.strip().lower() == "profile" and AS_PROFILE in value.strip().strip('"').split():
            return True
    return False


def is_activitypub_media_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names an ActivityStreams document (quoted profile or not)."""
    media, *params = (content_type or "").split(";")
    return _is_activity_media(media.strip().lower(), params)


def _parse_accept(header: str) -> list[tuple[str, float, list[str]]]:
    out: list[tuple[str, float, list[str]]] = []
    for part in header.split(",")[:32]:
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        params = []
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            else:
                params.append(param)
        out.append((media, q, params))
    return out


def wants_activity_json(accept: str | None) -> bool:
    """True when the client asks for ActivityStreams JSON at least as much as for HTML.

    Mastodon sends ``application/activity+json, application/ld+json``: the first counts.
    """
    if not accept:
        return False
    best_ap = -1.0
    best_html = -1.0
    for media, q, params in _parse_accept(accept):
        if _is_activity_media(media, params):
            best_ap = max(best_ap, q)
        elif media in {"text/html", "application/xhtml+xml"}:
            best_html = max(best_html, q)
    return best_ap > 0 and best_ap >= best_html


def is_ap_content_type(content_type: str | None) -> bool:
    """Whether a request body's Content-Type is one of ``AP_BODY_TYPES``. Not the rule for
    documents we fetch or serve: that is :func:`is_activitypub_media_type`."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in AP_BODY_TYPES
