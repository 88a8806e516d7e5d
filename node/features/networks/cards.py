"""What a page shows of one network entry (timeline, calendar, network profile, front page);
the credit line names the author, always.

Pages join entries' fragments (:func:`entry_html`), each rendered once and kept in
``node.web.fragments.kept`` under a digest of everything it is drawn from: a page of 50
entries is then mostly joining kept HTML, not formatting dates and running a template 50 times
(docs/benchmarks.md, "Aggregated reads").
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request

from node.features.networks import clean
from node.features.networks.queries import Entry
from node.web import fragments, i18n

log = logging.getLogger("solnode.networks")

ENTRY_TEMPLATE = "_network_entry.html"


def when(entry: Entry, lang: str = "en") -> str:
    """The start as the organizer wrote it (its own offset), in the page's language, and its
    zone: ``Mon 7 Dec 2026, 18:30 (Europe/Madrid)``, ``lun 7 dic 2026, 18:30 (…)``."""
    start = entry.local_start or entry.start
    if start is None:
        return ""
    label = clean.zone_name(entry.document.get("timezone")) or start.strftime("UTC%z")
    return f"{i18n.day_with_year(start, lang)}, {start:%H:%M} ({label})"


def sound_card(entry: Entry, lang: str = "en") -> dict[str, Any] | None:
    """The card, or None (logged) for an entry that cannot be shown: never a 500 for the page."""
    try:
        return card(entry, lang)
    except Exception:
        log.warning("network page: skipped %s", entry.object_id, exc_info=True)
        return None


def card(entry: Entry, lang: str = "en") -> dict[str, Any]:
    """What a page shows of one entry; the credit line names the author, always."""
    summary = entry.document.get("summary")
    return {
        "title": entry.title,
        "url": entry.url,
        "kind": entry.kind,
        "when": when(entry, lang),
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


def entry_key(entry: Entry, lang: str, hx: str) -> bytes:
    """The digest of everything an entry's fragment is drawn from: its heading level, the
    page's language, every field of the entry a card reads (its filed facts, its author's
    credit line, its cleaning rules) and its whole document."""
    author = entry.author
    return fragments.digest(
        ENTRY_TEMPLATE,
        hx,
        lang,
        entry.object_id,
        entry.kind,
        entry.start,
        entry.end,
        entry.received,
        entry.region,
        entry.country,
        entry.tags,
        entry.category,
        entry.online,
        entry.source,
        entry.via,
        entry.clean_rules,
        (author.actor, author.name, author.handle, author.url),
        entry.document,
    )


def entry_html(request: Request, entries: list[Entry], lang: str, hx: str = "h3") -> list[Markup]:
    """Each entry's ``<li>`` (templates/_network_entry.html, headed ``hx``) in ``lang``, kept
    or rendered; an entry that cannot be shown is left out (logged)."""

    def context(entry: Entry) -> dict[str, Any] | None:
        found = sound_card(entry, lang)
        return None if found is None else {"c": found, "hx": hx}

    items = [(entry_key(entry, lang, hx), partial(context, entry)) for entry in entries]
    return fragments.drawn(request, ENTRY_TEMPLATE, lang, items)


def cell_html(entry: Entry) -> Markup:
    """An entry in a month's cell: its title linked, its author named (escaped as the
    template escaped them)."""
    # escape() and an f-string: Markup.format drew the same through string.Formatter at ~10 µs
    # a cell (a month has 100)
    url, title, name = escape(entry.url), escape(entry.title), escape(entry.author.name)
    return Markup(  # noqa: S704 (every value escaped above)
        f'<li><a href="{url}" rel="nofollow noopener">{title}</a> <span class="meta">({name})</span></li>'
    )
