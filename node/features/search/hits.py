"""What a search shows of each match (:class:`Hit`), and the filed rows' hits read once the
results are ordered: a search orders up to 200 candidates by their keys (:class:`Filed`) and
reads the documents of the few it shows (node/features/search/query.py)."""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session

from node.byte_lru import ByteLRU
from node.db import as_utc, document_of
from node.features.networks.facts import page_of, title_of
from node.features.networks.profiles import Credit, cached_credit, credits_of, is_local_actor
from node.features.search import statements
from node.federation.context import NodeContext


class Hit(NamedTuple):
    """One search result (a tuple: made for each of 50 hits a search, a frozen dataclass cost
    as much as reading its row)."""

    kind: str  # event | call | news | organization | network
    title: str
    url: str
    object_id: str
    author_name: str
    author_url: str
    when: datetime | None
    place: str
    online: bool
    category: str
    summary: str


def place_of(region: str, country: str, online: bool) -> str:
    return ", ".join(p for p in (region, country) if p) or ("Online" if online else "")


class By(NamedTuple):
    """Who published a hit, and where and how it happens."""

    name: str
    url: str
    place: str
    online: bool
    category: str


class Shown(NamedTuple):
    """What a hit shows of its document."""

    title: str
    url: str
    summary: str


def shown_of(doc: dict[str, Any], kind: str, object_id: str) -> Shown:
    summary = doc.get("summary")
    return Shown(
        title_of(doc, kind),
        page_of(doc, object_id),
        re.sub(r"<[^>]*>", " ", summary)[:300] if isinstance(summary, str) else "",
    )


def hit_of(doc: dict[str, Any], kind: str, object_id: str, when: datetime | None, by: By) -> Hit:
    return _hit(shown_of(doc, kind, object_id), kind, object_id, when, by)


def _hit(shown: Shown, kind: str, object_id: str, when: datetime | None, by: By) -> Hit:
    return Hit(
        kind,
        shown.title,
        shown.url,
        object_id,
        by.name,
        by.url,
        when,
        by.place,
        by.online,
        by.category,
        shown.summary,
    )


class ShownCache(ByteLRU[Shown]):
    """What hits show of their documents, kept under a digest of each document's stored text
    with its kind and object id (what :func:`shown_of` reads): a common word shows the same
    hits again, and decoding their documents and reading their titles cost more than reading
    them. A changed document is another key: never stale, only unused."""

    def __init__(self, max_bytes: int = 2**20) -> None:
        super().__init__(max_bytes, _cost, largest_share=64)

    def of(self, text: str, kind: str, object_id: str) -> Shown:
        """What the document stored as ``text`` shows, kept or read."""
        key = hashlib.blake2b(
            f"{kind}\0{object_id}\0{text}".encode(errors="surrogatepass"), digest_size=16
        ).digest()
        found = self.get(key)
        if found is None:
            found = self.keep(key, shown_of(document_of(text), kind, object_id))
        return found


def _cost(shown: Shown) -> int:
    return sum(sys.getsizeof(part) for part in shown) + 200


# ~1 KiB a document with its key: the few thousand hits of the searches of the moment
kept = ShownCache()


class Filed(NamedTuple):
    """A filed row that matched, before its document is read: what orders the results (a
    tuple: a search makes 200 of them)."""

    id: int
    object_id: str
    kind: str
    when: datetime


def filed_hits(session: Session, node: NodeContext, keys: list[Filed]) -> dict[int, Hit]:
    """The hits of these filed rows, by row id: one read by primary key with their authors'
    cached credit lines (a local or uncached author is looked up as pages of entries do)."""
    if not keys:
        return {}
    rows = session.connection().execute(statements.hits(), {"ids": [k.id for k in keys]}).all()
    credits: dict[str, Credit] = {}
    for row in rows:
        if row[-5] is not None and not is_local_actor(node, row.author):
            credits[row.author] = cached_credit(*row[-5:])
    others = {row.author for row in rows} - credits.keys()
    if others:
        credits |= credits_of(session, node, others)
    hits = {}
    for ident, object_id, author, kind, region, country, online, category, when, text, *_ in rows:
        credit = credits[author]
        by = By(credit.name, credit.url, place_of(region, country, online), online, category)
        hits[ident] = _hit(kept.of(text, kind, object_id), kind, object_id, as_utc(when), by)
    return hits
