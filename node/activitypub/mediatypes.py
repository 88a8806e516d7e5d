"""Content negotiation between ActivityStreams JSON and HTML."""

from __future__ import annotations

AP_TYPES = ("application/activity+json", "application/ld+json")


def _parse_accept(header: str) -> list[tuple[str, float, str]]:
    out: list[tuple[str, float, str]] = []
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
        out.append((media, q, ";".join(params)))
    return out


def wants_activity_json(accept: str | None) -> bool:
    """True when the client asks for ActivityStreams JSON at least as much as for HTML.

    ``application/ld+json`` counts only with the ActivityStreams profile or no profile
    (Mastodon sends ``application/activity+json, application/ld+json``).
    """
    if not accept:
        return False
    best_ap = -1.0
    best_html = -1.0
    for media, q, params in _parse_accept(accept):
        if media == "application/activity+json" or (
            media == "application/ld+json"
            and ("activitystreams" in params or "profile" not in params)
        ):
            best_ap = max(best_ap, q)
        elif media in {"text/html", "application/xhtml+xml"}:
            best_html = max(best_html, q)
    return best_ap > 0 and best_ap >= best_html


def is_ap_content_type(content_type: str | None) -> bool:
    """Whether a request or response Content-Type is ActivityPub JSON."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in AP_TYPES or media == "application/json"
