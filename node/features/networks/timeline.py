"""A network's timeline: everything shown below it, newest first, paged by cursor at any depth.

Two sources are merged: what the network filed (``network_item``, ordered by ``published``,
the author's date never later than arrival) and the network's own items (``item``). Each
page is one index range per source, ``(owner, published, id)`` below (or above) the cursor,
``LIMIT page + 1``: no OFFSET, no window, the same cost on page 1 and page 50,000. The order
is (published, source, id), the source breaking ties between the two tables, so the cursor
names one place in the merged order exactly.

A cursor is ``<published>~<n|i><id>`` (``n``: a filed item, ``i``: the network's own), e.g.
``20260501T120000.000000Z~n8812``. Old ``?page=N`` links are answered by finding that page's
cursor on the indexes' keys alone (see :func:`cursor_at`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal, tuple_, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from node.db import as_utc
from node.features.networks.queries import Entry, Filters, _from_item, _from_row, _Profiles
from node.features.networks.queries import network_rows as _network_rows
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor
from node.models.networks import NetworkItem

FILED, OWN = 1, 0  # the source's rank in the order (a filed item first on a tie)
MAX_LEGACY_PAGE = 500  # an old ?page=N beyond this starts from the newest again
_CURSOR = re.compile(r"^(\d{8}T\d{6}\.\d{6})Z~([ni])(\d{1,18})$")


@dataclass(frozen=True, order=True)
class Cursor:
    """A place in the timeline: the (published, source, id) of an entry."""

    published: datetime
    source: int
    id: int

    def token(self) -> str:
        """The cursor as it goes in a URL."""
        stamp = self.published.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")
        return f"{stamp}Z~{'n' if self.source == FILED else 'i'}{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor a URL carries; None when absent or malformed."""
        match = _CURSOR.match(token or "")
        if match is None:
            return None
        try:
            published = datetime.strptime(match[1], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(published, FILED if match[2] == "n" else OWN, int(match[3]))


@dataclass(frozen=True)
class Page:
    """One page of the timeline, with the cursors of its neighbours (None at an end)."""

    entries: list[Entry]
    older: Cursor | None
    newer: Cursor | None


def _sources(network: LocalActor) -> list[tuple[int, Any, Any]]:
    """(rank, query, model) of each source."""
    filed = _network_rows([_id(network)], Filters())
    own = select(Item).where(Item.actor_id == network.id, col(Item.deleted_at).is_(None))
    return [(FILED, filed, NetworkItem), (OWN, own, Item)]


def _id(actor: LocalActor) -> int:
    assert actor.id is not None
    return actor.id


def _beyond(model: Any, rank: int, cursor: Cursor, older: bool) -> Any:
    """The rows of ``model`` (source ``rank``) strictly older (or newer) than ``cursor``."""
    published, ident = col(model.published), col(model.id)
    at = cursor.published.astimezone(UTC)
    if rank == cursor.source:
        key = tuple_(published, ident)
        return key < tuple_(at, cursor.id) if older else key > tuple_(at, cursor.id)
    # the other source: a tie on published falls on the side its rank puts it
    if older:
        return published <= at if rank < cursor.source else published < at
    return published >= at if rank > cursor.source else published > at


def _ordered(query: Any, model: Any, older: bool) -> Any:
    published, ident = col(model.published), col(model.id)
    if older:
        return query.order_by(published.desc(), ident.desc())
    return query.order_by(published, ident)


def _keyed(rows: list[Any], rank: int) -> list[tuple[Cursor, Any]]:
    return [(Cursor(as_utc(r.published), rank, r.id), r) for r in rows]


def page(
    session: Session,
    node: NodeContext,
    network: LocalActor,
    size: int,
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
) -> Page:
    """``size`` entries older than ``before`` (or newer than ``after``; the newest without
    either), newest first; authors looked up in one query for the page."""
    older = after is None or before is not None
    cursor = before if older else after
    picked: list[tuple[Cursor, Any]] = []
    for rank, query, model in _sources(network):
        if cursor is not None:
            query = query.where(_beyond(model, rank, cursor, older))
        rows = session.exec(_ordered(query, model, older).limit(size + 1)).all()
        picked += _keyed(list(rows), rank)
    picked.sort(key=lambda pair: pair[0], reverse=older)
    more = len(picked) > size
    picked = picked[:size]
    if not older:
        picked.reverse()
    profiles = _Profiles(session, node)
    profiles.preload(r.author for _, r in picked if isinstance(r, NetworkItem))
    me = actor_id(node.urls, network)
    entries = [
        _from_row(r, profiles) if isinstance(r, NetworkItem) else _from_item(r, profiles, me)
        for _, r in picked
    ]
    first, last = (picked[0][0], picked[-1][0]) if picked else (None, None)
    has_older = more if older else cursor is not None
    has_newer = (cursor is not None) if older else more
    return Page(entries, last if has_older else None, first if has_newer else None)


def cursor_at(session: Session, network: LocalActor, position: int) -> Cursor | None:
    """The cursor after the first ``position`` entries (an old ``?page=N`` link asks for
    position ``(N - 1) * size``), read from the indexes' keys alone; None past the end. The
    database merges the sources' first ``position`` keys and skips to the one asked for: only
    that row comes back (each key read into Python and sorted there was 4.7 ms a redirect at
    page 60 on SQLite, most of it parsing 1,200 timestamps)."""
    if position < 1:
        return None
    parts = []
    for rank, query, model in _sources(network):
        keyed = query.with_only_columns(
            col(model.published).label("published"),
            literal(rank).label("rank"),
            col(model.id).label("id"),
        )
        parts.append(_ordered(keyed, model, True).limit(position).subquery())
    merged = union_all(*[select_columns(*part.c) for part in parts]).subquery("keys")
    found = (
        session.connection()
        .execute(
            select_columns(merged.c.published, merged.c.rank, merged.c.id)
            .order_by(merged.c.published.desc(), merged.c.rank.desc(), merged.c.id.desc())
            .offset(position - 1)
            .limit(1)
        )
        .first()
    )
    if found is None:
        return None
    return Cursor(as_utc(found.published), int(found.rank), int(found.id))
