"""The replies shown under an item: approved, public, oldest first, fifty a page.

Paging is by keyset (the reply's row id, which grows with arrival): ``?replies_after=ID`` and
``?replies_before=ID`` cost the same on the first page and the hundredth, and a reply arriving
while someone reads does not shift the pages under them. What a reply shows was shaped and
sanitized when it arrived (node/features/interactions/replies.py); here it is only chosen: the
visitor's language from ``contentMap``, the content warning, the images as links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from node.db import as_utc
from node.models import Interaction, Item, RemoteActor

PAGE_SIZE = 50
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class RepliesPage:
    """One page of replies, the total, and the ids to page from (None at either end)."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    after: int | None = None  # the next page starts after this id
    before: int | None = None  # the previous page ends before this id


def cursor(value: str | None) -> int | None:
    """A page cursor from the query string; anything but a small positive number is None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    # Row ids are 32-bit on PostgreSQL, which refuses a larger number in the comparison.
    return min(int(value), MAX_ID)


def _shown(item: Item) -> Any:
    public = col(Interaction.document)["visibility"].as_string()
    return (
        (col(Interaction.object_id) == item.ap_id)
        & (col(Interaction.kind) == "reply")
        & (col(Interaction.state) == "approved")
        # followers-only or direct: private, even when approved (older rows have no visibility)
        & or_(public.is_(None), public == "public")
    )


def replies_page(
    session: Session,
    item: Item,
    lang: str,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> RepliesPage:
    """The page of replies after ``after`` (or before ``before``; else the first page)."""
    where = _shown(item)
    total = session.exec(select(func.count()).select_from(Interaction).where(where)).one()
    query = select(Interaction, RemoteActor).join(
        RemoteActor, col(RemoteActor.ap_id) == col(Interaction.actor), isouter=True
    )
    if before is not None:
        query = query.where(where, col(Interaction.id) < before)
        rows = list(session.exec(query.order_by(col(Interaction.id).desc()).limit(size + 1)))
        more_before, more_after = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if after is not None:
            where = where & (col(Interaction.id) > after)
        rows = list(session.exec(query.where(where).order_by(col(Interaction.id)).limit(size + 1)))
        more_before, more_after = after is not None, len(rows) > size
        rows = rows[:size]
    if not rows:
        return RepliesPage(total=int(total))
    return RepliesPage(
        replies=[view(reply, author, lang) for reply, author in rows],
        total=int(total),
        after=rows[-1][0].id if more_after else None,
        before=rows[0][0].id if more_before else None,
    )


def page_context(
    query: Mapping[str, str], session: Session, item: Item, lang: str, page_url: str
) -> dict[str, Any]:
    """The replies of an item page and the links to their other pages (``?lang=`` kept)."""
    page = replies_page(
        session,
        item,
        lang,
        after=cursor(query.get("replies_after")),
        before=cursor(query.get("replies_before")),
    )
    keep = f"&lang={lang}" if query.get("lang") else ""

    def link(key: str, ident: int | None) -> str | None:
        return f"{page_url}?{key}={ident}{keep}#replies-h" if ident is not None else None

    return {
        "replies": page.replies,
        "replies_total": page.total,
        "replies_next": link("replies_after", page.after),
        "replies_previous": link("replies_before", page.before),
    }


def _web_link(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def view(reply: Interaction, author: RemoteActor | None, lang: str) -> dict[str, Any]:
    """What the page shows of one reply."""
    doc = reply.document
    url = doc.get("url")
    translations = doc.get("contentMap") if isinstance(doc.get("contentMap"), dict) else {}
    assert isinstance(translations, dict)
    chosen = lang.lower() if isinstance(translations.get(lang.lower()), str) else None
    images = doc.get("attachment") if isinstance(doc.get("attachment"), list) else []
    assert isinstance(images, list)
    return {
        "author": (author.name or author.preferred_username) if author else reply.actor,
        # The author's profile link is the remote's word too: http(s) only.
        "author_url": _web_link(author.url if author else None) or reply.actor,
        # Sanitized when it arrived (node/features/interactions/replies.py).
        "content": str(translations[chosen]) if chosen else reply.content,
        "content_lang": chosen,
        # The reply's url is the remote's word too (a javascript: URL here was a stored XSS,
        # found by tests/fixtures/hostile/xss-reply-url-*.json).
        "url": _web_link(url) or reply.activity_id,
        "created": as_utc(reply.created_at),
        "summary": str(doc.get("summary") or ""),
        "sensitive": doc.get("sensitive") is True or bool(doc.get("summary")),
        "images": [
            {"url": i["url"], "alt": str(i.get("name") or "")}
            for i in images
            if isinstance(i, dict) and _web_link(i.get("url"))
        ],
    }
