"""Search over events, calls, news and organizations: one query API on SQLite (FTS5) and
PostgreSQL (tsvector), shared by the search page and ``GET /api/v1/search``.

A visitor's words are hostile input: only word characters survive (at most MAX_TERMS terms of
at most MAX_TERM characters), each quoted as an FTS5 string or a tsquery lexeme, so no query
syntax ever reaches the database. Every term must match (a prefix of a word).

Local items (not deleted) and the items our networks show (relayed or followed, never held
or hidden) are both searched; an object filed by several networks is listed once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal_column, or_, table, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from node.db import as_utc
from node.features.networks.facts import item_facts
from node.features.networks.profiles import profile_of
from node.features.networks.rules import SHOWN_STATES
from node.features.search.hits import KEY_COLUMNS, By, Filed, Hit, filed_hits, hit_of, place_of
from node.features.search.index import Words, words_for
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor
from node.models.networks import NetworkItem

MAX_QUERY = 200  # characters of ``q`` read at all
MAX_TERMS = 8
MAX_TERM = 64
MAX_RESULTS = 50
CANDIDATES = 200  # rows read per source before filters that live in documents
FTS_CHUNK = 1000  # SQLite: row ids read from the full-text index at a time, newest first
KINDS = ("event", "call", "news")
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SearchError(ValueError):
    """A search parameter that cannot be read (the message says which and why)."""


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor asked for; empty fields mean any."""

    q: str = ""
    start: date | None = None  # ``from``
    end: date | None = None  # ``to`` (inclusive)
    region: str = ""
    category: str = ""
    online: bool | None = None
    kind: str = ""

    @property
    def terms(self) -> list[str]:
        """The words searched for: lower case, word characters only, bounded."""
        return [t[:MAX_TERM] for t in _WORD.findall(self.q[:MAX_QUERY].lower())][:MAX_TERMS]

    @property
    def empty(self) -> bool:
        """Whether nothing at all was asked (the page then shows only the form)."""
        return not (self.terms or self.start or self.end or self.region or self.category) and (
            self.online is None and not self.kind
        )

    @classmethod
    def from_params(cls, params: Any) -> SearchQuery:
        """From query parameters (``q``, ``from``, ``to``, ``region``, ``category``,
        ``online``, ``kind``); raises SearchError on a date or choice that cannot be read."""

        def get(name: str, limit: int) -> str:
            return printable(str(params.get(name) or ""))[:limit]

        online = get("online", 8).lower()
        if online not in ("", "yes", "no", "true", "false", "1", "0"):
            raise SearchError("online must be yes or no")
        kind = get("kind", 16).lower()
        if kind and kind not in (*KINDS, "organization"):
            raise SearchError("kind must be event, call, news or organization")
        found = cls(
            q=get("q", MAX_QUERY),
            start=_date(get("from", 32), "from"),
            end=_date(get("to", 32), "to"),
            region=get("region", 200),
            category=get("category", 64).upper().replace(" ", "_"),
            online=None if not online else online in ("yes", "true", "1"),
            kind=kind,
        )
        if found.start and found.end and found.end < found.start:
            raise SearchError("to is before from")
        return found

    def as_params(self) -> dict[str, str]:
        """The non-empty parameters, for links that keep them."""
        values = {
            "q": self.q,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "region": self.region,
            "category": self.category,
            "online": "" if self.online is None else ("yes" if self.online else "no"),
            "kind": self.kind,
        }
        return {k: v for k, v in values.items() if v}


def printable(value: str) -> str:
    """Without control characters (a NUL is refused by PostgreSQL), trimmed."""
    return _CONTROL.sub("", value).strip()


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise SearchError(f"{name} must be a date (YYYY-MM-DD)") from None


def _candidates(
    session: Session, stmt: Any, source: str, ident: Any, words: Words, *, plain: bool = False
) -> list[Any]:
    """The newest CANDIDATES rows of ``stmt`` (newest by id: rows are stored as they arrive)
    that contain every term; ``plain``: ``stmt`` selects columns, not models, and runs on the
    session's connection (without the ORM's execution path).

    On SQLite the FTS5 index is walked newest first, FTS_CHUNK row ids at a time, until enough
    rows pass ``stmt``'s other conditions: a common word ("cooperative") matches most of a
    network's million items, and handing all their ids to ``IN (…)`` took seconds a search.
    Whole words (node/features/search/index.py) are cheap to ask twice: a chunk's ends are read
    first (a source with no match costs one small read), then its rows with the chunk as a
    subquery. A term still asked as a prefix costs a merge each time: its ids are read once.
    PostgreSQL reads the tsvector condition through its GIN index.
    """
    newest = col(ident).desc()
    run = session.connection().execute if plain else session.exec
    if words.none:
        return []
    if not words.expression:
        return list(run(stmt.order_by(newest).limit(CANDIDATES)))
    if session.get_bind().dialect.name != "sqlite":
        matching = stmt.where(
            text(f"{source}.search_vector @@ to_tsquery('simple', :tsq)").bindparams(
                tsq=words.expression
            )
        )
        return list(run(matching.order_by(newest).limit(CANDIDATES)))
    found: list[Any] = []
    upto = 2**63 - 1  # the largest rowid
    params = {"fts": words.expression, "n": FTS_CHUNK}
    while True:
        chunk: Any = _fts_chunk(source, words.expression, upto)
        if words.prefix:  # FTS5 merges a prefix's doclists each time it is asked: once a chunk
            ids = [int(r[0]) for r in session.connection().execute(chunk)]
            last, read, chunk = (ids[-1] if ids else 0), len(ids), ids
        else:  # whole words, read lazily: the chunk's ends first, and its rows only if any
            ends = session.connection().execute(_chunk_ends(source), params | {"upto": upto})
            last, read = ends.one()
        if not read:
            return found
        wanted = stmt.where(col(ident).in_(chunk)).order_by(newest).limit(CANDIDATES - len(found))
        found += run(wanted).all()
        if len(found) >= CANDIDATES or read < FTS_CHUNK:
            return found
        upto = int(last) - 1


@functools.lru_cache(maxsize=4)
def _chunk_ends(source: str) -> Any:
    """The oldest row id and the number of ids of a chunk of :func:`_fts_chunk` (built once)."""
    fts = f"search_fts_{source}"
    return text(
        f"SELECT min(rowid), count(*) FROM (SELECT rowid FROM {fts} WHERE {fts} MATCH :fts "  # noqa: S608
        "AND rowid <= :upto ORDER BY rowid DESC LIMIT :n)"
    )


def _fts_chunk(source: str, expression: str, upto: int) -> Any:
    """The newest FTS_CHUNK row ids up to ``upto`` that match the FTS5 ``expression``, as a
    subquery: the ids never travel to Python (a thousand of them in ``IN (…)`` cost more than
    the rest of a search). FTS5 reads its doclists in rowid order, so the chunk stops where it
    is full."""
    fts = f"search_fts_{source}"
    rowid: Any = literal_column("rowid")
    return (
        select_columns(rowid)
        .select_from(table(fts))
        .where(text(f"{fts} MATCH :fts").bindparams(fts=expression), rowid <= upto)
        .order_by(rowid.desc())
        .limit(FTS_CHUNK)
    )


def _window(query: SearchQuery) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(query.start, time(), UTC) if query.start else None
    end = (
        datetime.combine(query.end + timedelta(days=1), time(), UTC)
        if query.end and query.end < date.max
        else None
    )
    return start, end


def _kinds(query: SearchQuery) -> tuple[str, ...]:
    return (query.kind,) if query.kind in KINDS else KINDS if not query.kind else ()


def _local(session: Session, node: NodeContext, query: SearchQuery, words: Words) -> list[Hit]:
    stmt = (
        select(Item, LocalActor)
        .join(LocalActor, col(LocalActor.id) == col(Item.actor_id))
        .where(col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None))
        .where(col(Item.kind).in_(_kinds(query)))
    )
    start, end = _window(query)
    when = func.coalesce(Item.start_time, Item.published)
    if start:
        stmt = stmt.where(or_(when >= start, col(Item.end_time) >= start))
    if end:
        stmt = stmt.where(when < end)
    rows = _candidates(session, stmt, "item", Item.id, words)
    hits = []
    for item, actor in rows:
        facts = item_facts(item.document)
        if not _admits(query, facts.region, facts.country, facts.category, facts.online):
            continue
        place = place_of(facts.region, facts.country, facts.online)
        by = By(actor.name, node.urls.profile(actor.slug), place, facts.online, facts.category)
        shown = facts.start_time or as_utc(item.published)
        hits.append(hit_of(item.document, item.kind, item.ap_id, shown, by))
    return hits


def _admits(query: SearchQuery, region: str, country: str, category: str, online: bool) -> bool:
    if query.region and query.region.lower() not in {region.lower(), country.lower()}:
        return False
    if query.category and category != query.category:
        return False
    return query.online is None or online == query.online


def _filed(session: Session, query: SearchQuery, words: Words) -> list[Filed]:
    """The newest CANDIDATES filed rows that match, as keys: only the few that make the page
    have their documents read (:func:`_filed_hits`; a common word's 200 candidates decoded
    were a third of a search)."""
    columns = NetworkItem.__table__.c  # type: ignore[attr-defined]
    shown = func.coalesce(columns.start_time, columns.received_at)  # one datetime a row to read
    keys = (columns[name] for name in KEY_COLUMNS.split())
    stmt = select_columns(*keys, shown).where(
        col(NetworkItem.state).in_(SHOWN_STATES), col(NetworkItem.kind).in_(_kinds(query))
    )
    if query.region:
        region = query.region.lower()
        stmt = stmt.where(
            or_(func.lower(NetworkItem.region) == region, func.lower(NetworkItem.country) == region)
        )
    if query.category:
        stmt = stmt.where(col(NetworkItem.category) == query.category)
    if query.online is not None:
        stmt = stmt.where(col(NetworkItem.online) == query.online)
    start, end = _window(query)
    when = func.coalesce(NetworkItem.start_time, NetworkItem.received_at)
    if start:
        stmt = stmt.where(or_(when >= start, col(NetworkItem.end_time) >= start))
    if end:
        stmt = stmt.where(when < end)
    rows = _candidates(session, stmt, "network_item", NetworkItem.id, words, plain=True)
    return [Filed(ident, object_id, kind, as_utc(when)) for ident, object_id, kind, when in rows]


def _organizations(session: Session, node: NodeContext, query: SearchQuery) -> list[Hit]:
    """Our organizations and networks whose name or summary has every term (a small table)."""
    if query.start or query.end or query.category or query.online is not None:
        return []
    if query.kind and query.kind != "organization":
        return []
    stmt = select(LocalActor).where(col(LocalActor.kind).in_(("organization", "network")))
    for term in query.terms:
        pattern = f"%{term}%"
        stmt = stmt.where(
            or_(
                func.lower(LocalActor.name).like(pattern),
                func.lower(LocalActor.summary).like(pattern),
            )
        )
    hits = []
    for actor in session.exec(stmt.order_by(col(LocalActor.name)).limit(CANDIDATES)):
        profile = profile_of(session, node, actor_id(node.urls, actor))
        if query.region and query.region.lower() not in {
            profile.region.lower(),
            profile.country.lower(),
        }:
            continue
        url = node.urls.profile(actor.slug)
        summary = re.sub(r"<[^>]*>", " ", actor.summary or "")[:300]
        hits.append(
            Hit(
                actor.kind,
                actor.name,
                url,
                actor_id(node.urls, actor),
                actor.name,
                url,
                None,
                place_of(profile.region, profile.country, False),
                False,
                "",
                summary,
            )
        )
    return hits


def search(session: Session, node: NodeContext, query: SearchQuery) -> list[Hit]:
    """At most MAX_RESULTS hits: organizations first, then upcoming events (soonest first),
    then the rest (newest first); each object once (our own copy wins)."""
    if query.empty:
        return []
    seen: dict[str, Hit | Filed] = {}
    words = words_for(session, query.terms)
    found: list[Hit | Filed] = [
        *_local(session, node, query, words),
        *_filed(session, query, words),
    ]
    for hit in found:
        seen.setdefault(hit.object_id, hit)
    now = datetime.now(UTC)
    upcoming = sorted(
        (h for h in seen.values() if h.kind == "event" and h.when and h.when >= now),
        key=lambda h: h.when or now,
    )
    first = {h.object_id for h in upcoming}
    rest = sorted(
        (h for h in seen.values() if h.object_id not in first),
        key=lambda h: h.when or now,
        reverse=True,
    )
    organizations = _organizations(session, node, query)
    shown = [*upcoming, *rest][: max(0, MAX_RESULTS - len(organizations))]
    filed = filed_hits(session, node, [h for h in shown if isinstance(h, Filed)])
    # a row gone between the two reads (deleted, hidden) is left out, never shown stale
    hits = [h if isinstance(h, Hit) else filed.get(h.id) for h in shown]
    return [*organizations, *(h for h in hits if h is not None)][:MAX_RESULTS]
