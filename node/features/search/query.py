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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from node.db import as_utc
from node.features.networks.facts import item_facts
from node.features.networks.profiles import profile_of
from node.features.search import statements
from node.features.search.hits import By, Filed, Hit, filed_hits, hit_of, place_of
from node.features.search.index import Words, words_for
from node.features.search.statements import How, Shape
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import LocalActor

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
    session: Session,
    statement: Callable[[How], Any],
    source: str,
    params: dict[str, Any],
    words: Words,
) -> list[Any]:
    """The newest CANDIDATES rows of ``statement`` (newest by id: rows are stored as they
    arrive) that contain every term, run on the session's connection as plain rows (without
    the ORM's execution path); ``params``: the values of its filters.

    On SQLite the FTS5 index is walked newest first, FTS_CHUNK row ids at a time, until enough
    rows pass the statement's other conditions: a common word ("cooperative") matches most of a
    network's million items, and handing all their ids to ``IN (…)`` took seconds a search.
    Whole words (node/features/search/index.py) are cheap to ask twice: a chunk's rows are read
    with the chunk as a subquery, then, only if they are too few, its ends (its oldest id and
    its size: whether there is more to walk). A common word's first chunk is then one read. A
    term still asked as a prefix costs a merge each time: its ids are read once.
    PostgreSQL reads the tsvector condition through its GIN index.
    """
    run = session.connection().execute
    if words.none:
        return []
    if not words.expression:
        return list(run(statement("all"), params | {"lim": CANDIDATES}))
    if session.get_bind().dialect.name != "sqlite":
        asked = params | {"tsq": words.expression, "lim": CANDIDATES}
        return list(run(statement("tsquery"), asked))
    found: list[Any] = []
    upto = 2**63 - 1  # the largest rowid
    while True:
        chunk = {"fts": words.expression, "upto": upto, "n": FTS_CHUNK}
        if words.prefix:  # FTS5 merges a prefix's doclists each time it is asked: once a chunk
            ids = [int(r[0]) for r in run(statements.chunk_ids(source), chunk)]
            if ids:
                asked = params | {"ids": ids, "lim": CANDIDATES - len(found)}
                found += run(statement("ids"), asked).all()
            last, read = (ids[-1] if ids else 0), len(ids)
        else:  # whole words, read lazily: the chunk's rows, and its ends only if too few
            asked = params | chunk | {"lim": CANDIDATES - len(found)}
            found += run(statement("chunk"), asked).all()
            if len(found) >= CANDIDATES:
                return found
            last, read = run(statements.chunk_ends(source), chunk).one()
        if len(found) >= CANDIDATES or read < FTS_CHUNK:
            return found
        upto = int(last) - 1


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


def _shape(query: SearchQuery) -> tuple[Shape, dict[str, Any]]:
    """The shape of ``query``'s filters (its statements are built once a shape) and their
    values."""
    start, end = _window(query)
    shape = Shape(
        kinds=_kinds(query),
        region=bool(query.region),
        category=bool(query.category),
        online=query.online is not None,
        start=start is not None,
        end=end is not None,
    )
    values = {
        "region": query.region.lower(),
        "category": query.category,
        "online": query.online,
        "start": start,
        "end": end,
    }
    return shape, {k: v for k, v in values.items() if getattr(shape, k)}


def _local(
    session: Session,
    node: NodeContext,
    query: SearchQuery,
    words: Words,
    shape: Shape,
    params: dict[str, Any],
) -> list[Hit]:
    statement = functools.partial(
        statements.local, Shape(shape.kinds, start=shape.start, end=shape.end)
    )
    local = {k: v for k, v in params.items() if k in ("start", "end")}
    rows = _candidates(session, statement, "item", local, words)
    hits = []
    for document, kind, ap_id, published, name, slug in rows:
        facts = item_facts(document)
        if not _admits(query, facts.region, facts.country, facts.category, facts.online):
            continue
        place = place_of(facts.region, facts.country, facts.online)
        by = By(name, node.urls.profile(slug), place, facts.online, facts.category)
        shown = facts.start_time or as_utc(published)
        hits.append(hit_of(document, kind, ap_id, shown, by))
    return hits


def _admits(query: SearchQuery, region: str, country: str, category: str, online: bool) -> bool:
    if query.region and query.region.lower() not in {region.lower(), country.lower()}:
        return False
    if query.category and category != query.category:
        return False
    return query.online is None or online == query.online


def _filed(session: Session, words: Words, shape: Shape, params: dict[str, Any]) -> list[Filed]:
    """The newest CANDIDATES filed rows that match, as keys: only the few that make the page
    have their documents read (:func:`filed_hits`; a common word's 200 candidates decoded
    were a third of a search)."""
    statement = functools.partial(statements.filed, shape)
    rows = _candidates(session, statement, "network_item", params, words)
    return [Filed(ident, object_id, kind, as_utc(when)) for ident, object_id, kind, when in rows]


def _organizations(session: Session, node: NodeContext, query: SearchQuery) -> list[Hit]:
    """Our organizations and networks whose name or summary has every term (a small table)."""
    if query.start or query.end or query.category or query.online is not None:
        return []
    if query.kind and query.kind != "organization":
        return []
    terms = query.terms
    patterns = {f"t{i}": f"%{term}%" for i, term in enumerate(terms)}
    ids = [
        r[0] for r in session.connection().execute(statements.organizations(len(terms)), patterns)
    ]
    if not ids:
        return []
    stmt = select(LocalActor).where(col(LocalActor.id).in_(ids))
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
    shape, params = _shape(query)
    found: list[Hit | Filed] = [
        *_local(session, node, query, words, shape, params),
        *_filed(session, words, shape, params),
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
