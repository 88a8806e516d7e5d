"""What a page shows of one network entry (timeline, calendar, network profile, front page);
the credit line names the author, always."""

from __future__ import annotations

import logging
from typing import Any

from node.features.networks import clean
from node.features.networks.queries import Entry

log = logging.getLogger("solnode.networks")


def when(entry: Entry) -> str:
    start = entry.local_start or entry.start
    if start is None:
        return ""
    label = clean.zone_name(entry.document.get("timezone")) or start.strftime("UTC%z")
    return f"{start.strftime('%a %d %b %Y, %H:%M')} ({label})"


def sound_card(entry: Entry) -> dict[str, Any] | None:
    """The card, or None (logged) for an entry that cannot be shown: never a 500 for the page."""
    try:
        return card(entry)
    except Exception:
        log.warning("network page: skipped %s", entry.object_id, exc_info=True)
        return None


def card(entry: Entry) -> dict[str, Any]:
    """What a page shows of one entry; the credit line names the author, always."""
    summary = entry.document.get("summary")
    return {
        "title": entry.title,
        "url": entry.url,
        "kind": entry.kind,
        "when": when(entry),
        "start": (entry.start or entry.received).isoformat(),
        "received": entry.received,
        "place": ", ".join(p for p in (entry.region, entry.country) if p)
        or ("Online" if entry.online else ""),
        "online": entry.online,
        "tags": entry.tags,
        "category": entry.category.replace("_", " ").capitalize(),
        "summary": summary if isinstance(summary, str) else "",
        "author": entry.author,
        "followed": entry.source == "followed",
        "via": entry.via,
    }
