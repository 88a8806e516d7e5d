"""The statements a search runs (node/features/search/query.py), each built once per *shape*
(which filters a search has, and how the full-text index is asked) with every value bound at
each call: building a select, its ``IN`` lists and its cache key on every search cost more
than running some of them (docs/benchmarks.md, "Search: statements built once").

A shape holds no value a visitor typed, only which filters are set and the kinds asked (a
closed list), so there are a few hundred shapes at most and each is built once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Integer, Text, bindparam, cast, func, literal_column, or_, text
from sqlalchemy import select as select_columns
from sqlmodel import col

from node.features.networks.profiles import CREDIT_COLUMNS
from node.features.networks.rules import SHOWN_STATES
from node.models import Item, LocalActor, RemoteActor
from node.models.networks import NetworkItem

# How the index is asked: not at all (no words), through PostgreSQL's tsvector, SQLite's FTS5
# a chunk of row ids at a time as a subquery (whole words), or as ids read first (a prefix:
# FTS5 merges its doclists each time it is asked, node/features/search/query.py)
How = Literal["all", "tsquery", "chunk", "ids"]

# the columns a filed candidate is ordered by: what it is, and when it is shown (its start,
# else when it arrived: one datetime a row to read)
KEY_COLUMNS = "id object_id kind"
# the columns a hit shows (read as plain rows: a SQLModel object per row cost more than the rest)
HIT_COLUMNS = "id object_id author kind region country online category"


@dataclass(frozen=True)
class Shape:
    """Which filters a search has; their values are bound when it runs (``region`` lower case,
    ``category``, ``online``, ``start``, ``end``)."""

    kinds: tuple[str, ...]
    region: bool = False
    category: bool = False
    online: bool = False
    start: bool = False
    end: bool = False


def _one_of(column: Any, values: tuple[str, ...]) -> Any:
    """``column IN ('a', 'b')`` with the values written into the statement: a list bound as
    parameters is expanded again at every execution, and these are our own words (states,
    kinds), never a visitor's."""
    assert all(v.isidentifier() for v in values), values
    return col(column).in_([literal_column(f"'{v}'") for v in values])


def _limited(statement: Any, source: str, ident: Any, how: How) -> Any:
    """``statement`` newest first, ``:lim`` rows, with the index's condition of ``how``."""
    fts = f"search_fts_{source}"
    if how == "tsquery":
        statement = statement.where(text(f"{source}.search_vector @@ to_tsquery('simple', :tsq)"))
    elif how == "chunk":  # the ids never travel to Python: a thousand in IN (…) cost 1.5 ms
        statement = statement.where(
            text(
                f"{source}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH :fts "  # noqa: S608
                "AND rowid <= :upto ORDER BY rowid DESC LIMIT :n)"
            )
        )
    elif how == "ids":
        statement = statement.where(col(ident).in_(bindparam("ids", expanding=True)))
    return statement.order_by(col(ident).desc()).limit(bindparam("lim", type_=Integer))


@functools.lru_cache(maxsize=256)
def filed(shape: Shape, how: How) -> Any:
    """The newest ``:lim`` filed rows of ``shape`` our networks show, as keys
    (:data:`KEY_COLUMNS` and when each is shown)."""
    columns = NetworkItem.__table__.c  # type: ignore[attr-defined]
    shown = func.coalesce(columns.start_time, columns.received_at)
    stmt = select_columns(*(columns[name] for name in KEY_COLUMNS.split()), shown).where(
        _one_of(NetworkItem.state, SHOWN_STATES), _one_of(NetworkItem.kind, shape.kinds)
    )
    if shape.region:
        stmt = stmt.where(
            or_(
                func.lower(NetworkItem.region) == bindparam("region"),
                func.lower(NetworkItem.country) == bindparam("region"),
            )
        )
    if shape.category:
        stmt = stmt.where(col(NetworkItem.category) == bindparam("category"))
    if shape.online:
        stmt = stmt.where(col(NetworkItem.online) == bindparam("online"))
    if shape.start:
        stmt = stmt.where(or_(shown >= bindparam("start"), columns.end_time >= bindparam("start")))
    if shape.end:
        stmt = stmt.where(shown < bindparam("end"))
    return _limited(stmt, "network_item", NetworkItem.id, how)


@functools.lru_cache(maxsize=256)
def local(shape: Shape, how: How) -> Any:
    """The newest ``:lim`` of our own items of ``shape`` (not deleted, not a series' dates), with
    what a hit shows of each and of its organization."""
    when = func.coalesce(Item.start_time, Item.published)
    stmt = (
        select_columns(
            col(Item.document),
            col(Item.kind),
            col(Item.ap_id),
            col(Item.published),
            col(LocalActor.name),
            col(LocalActor.slug),
        )
        .join(LocalActor, col(LocalActor.id) == col(Item.actor_id))
        .where(col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None))
        .where(_one_of(Item.kind, shape.kinds))
    )
    if shape.start:
        stmt = stmt.where(or_(when >= bindparam("start"), col(Item.end_time) >= bindparam("start")))
    if shape.end:
        stmt = stmt.where(when < bindparam("end"))
    return _limited(stmt, "item", Item.id, how)


@functools.lru_cache(maxsize=4)
def chunk_ends(source: str) -> Any:
    """The oldest row id and the number of ids of the newest ``:n`` up to ``:upto`` that match
    the FTS5 expression ``:fts`` (SQLite): FTS5 reads its doclists in rowid order, so the chunk
    stops where it is full."""
    fts = f"search_fts_{source}"
    return text(
        f"SELECT min(rowid), count(*) FROM (SELECT rowid FROM {fts} WHERE {fts} MATCH :fts "  # noqa: S608
        "AND rowid <= :upto ORDER BY rowid DESC LIMIT :n)"
    )


@functools.lru_cache(maxsize=4)
def chunk_ids(source: str) -> Any:
    """The ids of that chunk themselves, newest first (a prefix: asked once a chunk)."""
    fts = f"search_fts_{source}"
    return text(
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH :fts "  # noqa: S608
        "AND rowid <= :upto ORDER BY rowid DESC LIMIT :n"
    )


@functools.lru_cache(maxsize=1)
def hits() -> Any:
    """What the shown filed rows ``:ids`` show, if still shown: :data:`HIT_COLUMNS`, when each
    is shown, the document as its stored text (orjson decodes it in a third of the JSON type's
    time) and its author's credit line, if cached (:data:`CREDIT_COLUMNS`; one read, not two)."""
    columns = NetworkItem.__table__.c  # type: ignore[attr-defined]
    return (
        select_columns(
            *(columns[name] for name in HIT_COLUMNS.split()),
            func.coalesce(columns.start_time, columns.received_at),
            cast(columns.document, Text),
            *CREDIT_COLUMNS,
        )
        .outerjoin(RemoteActor, col(RemoteActor.ap_id) == columns.author)
        .where(
            col(NetworkItem.id).in_(bindparam("ids", expanding=True)),
            _one_of(NetworkItem.state, SHOWN_STATES),
        )
    )


@functools.lru_cache(maxsize=16)
def organizations(terms: int) -> Any:
    """The ids of our organizations and networks whose name or summary has each of ``terms``
    patterns ``:t0``, ``:t1``… (a small table, read without the ORM: most searches find none)."""
    stmt = select_columns(col(LocalActor.id)).where(
        _one_of(LocalActor.kind, ("organization", "network"))
    )
    for i in range(terms):
        pattern: Any = bindparam(f"t{i}")
        stmt = stmt.where(
            or_(
                func.lower(LocalActor.name).like(pattern),
                func.lower(LocalActor.summary).like(pattern),
            )
        )
    return stmt
