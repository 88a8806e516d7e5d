"""What we keep of a reply from the fediverse, read from the hostile remote document: which of
our items it answers, its content warning, its translations, its images, its text.

Everything here is bounded and total: a field of an unexpected shape is left out, never an error.
What is kept is what ``_replies.html`` shows; the page never reads the raw remote document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import nh3

from node.activitypub.vocab import addressees_of, as_list, id_of, is_public, text, types_of
from node.content.remote_html import clean_remote_html

MAX_REPLY_HTML = 20_000
MAX_SUMMARY = 500
MAX_ALT = 1_500
MAX_ATTACHMENTS = 8
MAX_LANGUAGES = 12
MAX_PARENTS = 8
# Kept as they came (the page reads ``url`` through a check for http(s)); ``inReplyTo`` is
# stored as the one id of ours it named, not as the remote's list or Collection.
KEPT_FIELDS = ("id", "type", "url", "published", "attributedTo")
# Pleroma and Akkoma put custom emoji in content as images; we show them as their ``:name:``
# (an image from a remote server would load without the operator's choice).
_EMOJI_IMG = re.compile(r"<img\b[^>]*?\balt=\"(:[A-Za-z0-9_+-]{1,64}:)\"[^>]*>", re.I)
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")


def sanitize_html(value: Any) -> str:
    """Remote HTML through nh3 with the remote allow-list; custom emoji images become their
    ``:name:``; links get rel=nofollow noopener."""
    if isinstance(value, str):
        value = _EMOJI_IMG.sub(r"\1", value[:MAX_REPLY_HTML])
    return clean_remote_html(value, MAX_REPLY_HTML)


def plain_text(value: Any, limit: int) -> str | None:
    """A field meant as plain text that some servers fill with HTML (a ``summary``): the text
    alone, markup and script bodies dropped, entities decoded (the page escapes it again)."""
    raw = text(value, limit * 4)
    if raw is None:
        return None
    return html.unescape(nh3.clean(raw, tags=set())).strip()[:limit] or None


def parent_candidates(value: Any) -> tuple[str, ...]:
    """Every id ``inReplyTo`` names, in order: a string, an object or Collection by its ``id``,
    a Link by its ``href`` (with or without ``type``), or a list of those."""
    found: list[str] = []
    for entry in as_list(value)[:MAX_PARENTS]:
        ident = entry if isinstance(entry, str) else id_of(entry)
        if ident is None and isinstance(entry, dict) and isinstance(entry.get("href"), str):
            ident = entry["href"]
        if ident and ident not in found:
            found.append(ident)
    return tuple(found)


def first_ours(value: Any, is_ours: Callable[[str], bool]) -> str | None:
    """The first id of ``inReplyTo`` that names one of our items (None when none does)."""
    return next((ident for ident in parent_candidates(value) if is_ours(ident)), None)


def visibility(doc: Any) -> str:
    """Who a reply was addressed to: ``public`` (Public in to, cc or audience), ``followers``
    (the author's followers collection, not Public), else ``direct``. Only public replies are
    ever shown on our pages, approved or not."""
    if is_public(doc):
        return "public"
    if any(a.rstrip("/").endswith("/followers") for a in addressees_of(doc)):
        return "followers"
    return "direct"


def _web_url(value: Any) -> str | None:
    url = value if isinstance(value, str) else None
    if isinstance(value, dict):  # a Link: {"type": "Link", "href": …}
        url = value.get("href") if isinstance(value.get("href"), str) else None
    if isinstance(value, list) and value:
        return _web_url(value[0])
    return url if url and url.startswith(("https://", "http://")) and len(url) <= 2048 else None


def attachments(value: Any) -> list[dict[str, str]]:
    """Image attachments: where the image is (http(s) only), its type and its alt text."""
    found = []
    for entry in as_list(value)[:MAX_ATTACHMENTS]:
        if not isinstance(entry, dict):
            continue
        media = str(entry["mediaType"]) if isinstance(entry.get("mediaType"), str) else ""
        if not (media.startswith("image/") or "Image" in types_of(entry)):
            continue
        url = _web_url(entry.get("url")) or _web_url(entry.get("href"))
        if url is not None:
            alt = text(entry.get("name"), MAX_ALT) or text(entry.get("summary"), MAX_ALT) or ""
            found.append({"url": url, "mediaType": media[:100], "name": alt})
    return found


def content_map(value: Any) -> dict[str, str]:
    """``contentMap`` with well-formed language tags, each text sanitized."""
    if not isinstance(value, dict):
        return {}
    kept = {}
    for lang, markup in list(value.items())[:MAX_LANGUAGES]:
        if isinstance(lang, str) and _LANG.match(lang) and isinstance(markup, str):
            kept[lang.lower()] = sanitize_html(markup)
    return kept


def reply_document(raw: dict[str, Any]) -> dict[str, Any]:
    """The reply as we keep it: its ids, who it was for, its content warning (``summary`` and
    ``sensitive``), its translations and its image attachments."""
    doc = {k: raw[k] for k in KEPT_FIELDS if k in raw}
    doc["visibility"] = visibility(raw)
    summary = plain_text(raw.get("summary"), MAX_SUMMARY)
    if summary:
        doc["summary"] = summary
    # Mastodon marks media sensitive without a summary; a summary is a warning by itself.
    doc["sensitive"] = raw.get("sensitive") is True or bool(summary)
    translations = content_map(raw.get("contentMap"))
    if translations:
        doc["contentMap"] = translations
    images = attachments(raw.get("attachment"))
    if images:
        doc["attachment"] = images
    return doc
