"""Collections of relationship rows paged by id cursor: an actor's followers and following, a
network's members, an organization's memberships.

A hub may have tens of thousands of followers, a network thousands of members. So a page is one
range of an ``(owner, state, id)`` index beside the cursor with ``LIMIT size + 1`` (no OFFSET,
no sort), one probe of the same index, in the same statement, tells whether there is a page on
the other side (one round trip a page), and
``totalItems`` is a count the database keeps on ``local_actor`` (migration 0018's triggers)
rather than a ``count(*)`` per request.

Cursors name a row id, as time goes: ``?before=<id>`` is the page of rows older than that one,
``?after=<id>`` of rows newer. Which one is ``next`` depends on the collection's order (the
followers, newest first: ``before``; the members, oldest first: ``after``). ``?page=1`` is the
first page; an old ``?page=N`` link is redirected to its cursor, found on the index's keys
alone (the one skip left, for links made before cursors: bounded by MAX_LEGACY_PAGE, past
which the link goes to the first page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, tuple_
from sqlmodel import Session, col, select

from node.federation.actors.documents import ordered_collection

PAGE_SIZE = 20
MAX_PAGE = 100_000
# An old ?page=N link deeper than this is sent to the first page: finding its cursor skips the
# keys of every row before it (10,000 at most), and no page of ours was ever linked that deep.
MAX_LEGACY_PAGE = 500
_MAX_DIGITS = 18
# above every id (PostgreSQL's ids are 4-byte integers, a serial's last value is never
# reached): the open end of a range, and the most a cursor says
_NO_ID = 2**31 - 1
NO_ID = _NO_ID


@dataclass(frozen=True)
class Listing:
    """The ``model`` rows whose ``owner`` column is our actor's id and whose state is
    ``state``, in id order (``newest_first`` or oldest first), each listed as ``value``."""

    model: Any
    owner: Any
    state: str
    value: Any
    newest_first: bool

    @property
    def onward(self) -> str:
        """The cursor parameter of the ``next`` page."""
        return "before" if self.newest_first else "after"

    @property
    def backward(self) -> str:
        """The cursor parameter of the ``prev`` page."""
        return "after" if self.newest_first else "before"


@dataclass(frozen=True)
class Asked:
    """What a collection URL asks for: the collection (nothing), a cursor, or a page number."""

    page: int | None = None
    before: int | None = None
    after: int | None = None


def _cursor(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > _MAX_DIGITS:
        return None
    return min(int(raw), _NO_ID)


def asked(params: Mapping[str, str]) -> Asked:
    """The request's ``?before=``/``?after=`` cursor or ``?page=`` number (malformed: page 1)."""
    before, after = _cursor(params.get("before")), _cursor(params.get("after"))
    if before is not None:
        return Asked(before=before)
    if after is not None:
        return Asked(after=after)
    raw = params.get("page")
    if raw is None:
        return Asked(page=1) if "before" in params or "after" in params else Asked()
    return Asked(page=max(1, min(int(raw), MAX_PAGE)) if raw.isdigit() else 1)


def _bounded(
    session: Session, listing: Listing, owner_id: int, low: int, high: int
) -> tuple[Any, ...]:
    """The owner's counted rows with ``low < id < high``: one range of the ``(owner, state,
    id)`` index, closed at both ends by the owner and state, and by the ids where given.

    A real cursor's id is a plain comparison: where the index range starts. An open end (0,
    _NO_ID) is left out of those: SQLite would take it for a range of its rowid and filter the
    owner. PostgreSQL's planner is told the ids again as row comparisons, both ends always:
    only that index can serve them, so it never walks the primary key in id order filtering
    the owner instead (cheap on average when one actor holds most rows, the whole table when
    an owner's rows sit at the far end). SQLite is not: it reads them as another range, and
    sorts."""
    ident = col(listing.model.id)
    found = [listing.owner == owner_id, listing.model.state == listing.state]
    if low > 0:
        found.append(ident > low)
    if high < _NO_ID:
        found.append(ident < high)
    if session.get_bind().dialect.name == "postgresql":
        key = tuple_(listing.owner, listing.model.state, ident)
        found.append(key > tuple_(owner_id, listing.state, low))
        found.append(key < tuple_(owner_id, listing.state, high))
    return tuple(found)


def between(
    session: Session, listing: Listing, owner_id: int, low: int, high: int
) -> tuple[Any, ...]:
    """The conditions of the owner's counted rows with ``low < id < high`` (0 and
    :data:`NO_ID` for open ends), as one bounded index range (for other lists of the same
    rows: the API's and the workspace's followers)."""
    return _bounded(session, listing, owner_id, max(0, low), min(high, _NO_ID))


def whole(session: Session, listing: Listing, owner_id: int) -> tuple[Any, ...]:
    """The conditions of all the owner's counted rows, as one bounded index range (for a
    page's first few, ordered by id)."""
    return _bounded(session, listing, owner_id, 0, _NO_ID)


def whole_bound(listing: Listing, postgresql: bool) -> tuple[Any, ...]:
    """The conditions of :func:`whole` for a statement built once: the owner's id is the bound
    parameter ``owner`` (``postgresql``: with the row comparisons :func:`_bounded` adds)."""
    owner: Any = bindparam("owner", type_=Integer)
    found = [listing.owner == owner, listing.model.state == listing.state]
    if postgresql:
        key = tuple_(listing.owner, listing.model.state, col(listing.model.id))
        found.append(key > tuple_(owner, listing.state, 0))
        found.append(key < tuple_(owner, listing.state, _NO_ID))
    return tuple(found)


def _ordered(
    session: Session, listing: Listing, owner_id: int, beyond: int | None, onward: bool, n: int
) -> Any:
    """The select of up to ``n`` (id, value) rows past ``beyond``, going ``onward`` (the
    collection's order) or back against it, nearest first."""
    ident = col(listing.model.id)
    descending = listing.newest_first == onward
    low, high = (0, beyond or _NO_ID) if descending else (beyond or 0, _NO_ID)
    query = select(ident, listing.value).where(*_bounded(session, listing, owner_id, low, high))
    return query.order_by(ident.desc() if descending else ident.asc()).limit(n)


def _range(
    session: Session, listing: Listing, owner_id: int, beyond: int | None, onward: bool, n: int
) -> list[tuple[int, Any]]:
    """Up to ``n`` (id, value) rows past ``beyond``, going ``onward`` (the collection's order)
    or back against it, nearest first."""
    query = _ordered(session, listing, owner_id, beyond, onward, n)
    return [(int(row[0]), row[1]) for row in session.exec(query).all()]


def _range_and_probe(
    session: Session,
    listing: Listing,
    owner_id: int,
    beyond: int,
    onward: bool,
    n: int,
    edge: int,
) -> tuple[list[tuple[int, Any]], bool]:
    """:func:`_range`, and whether a row lies past ``edge`` the other way (the page's other
    link), in one statement: the probe is a scalar subquery over the same index, run once
    (SQLite's SCALAR SUBQUERY, PostgreSQL's InitPlan), which saves a round trip a page. An
    empty range carries no answer, so then the probe runs on its own."""
    ident = col(listing.model.id)
    probe = _ordered(session, listing, owner_id, edge, not onward, 1).with_only_columns(ident)
    query = _ordered(session, listing, owner_id, beyond, onward, n).add_columns(
        probe.correlate(None).scalar_subquery().label("beyond")
    )
    rows = session.exec(query).all()
    if not rows:
        return [], bool(_range(session, listing, owner_id, edge, not onward, 1))
    return [(int(row[0]), row[1]) for row in rows], rows[0][2] is not None


def _link(ident: str, param: str, at: int) -> str:
    return f"{ident}?{param}={at}"


def collection(ident: str, total: int) -> dict[str, Any]:
    """The collection: its kept size and its first page."""
    return ordered_collection(ident, total, first=f"{ident}?page=1")


def page(
    session: Session,
    listing: Listing,
    owner_id: int,
    ident: str,
    total: int,
    want: Asked,
) -> dict[str, Any]:
    """The page ``want`` names by cursor (the first page without one), with ``next`` and
    ``prev`` exactly where there is a row beyond."""
    onward_at = want.before if listing.onward == "before" else want.after
    back_at = want.after if listing.onward == "before" else want.before
    step = 1 if listing.newest_first else -1  # one id back against the collection's order
    prev_at: int | None = None
    next_at: int | None = None
    if back_at is not None:
        # whether a row lies onward of the page: of the rows from the cursor's own on (the
        # page's nearest row is the first before the cursor)
        found, beyond = _range_and_probe(
            session, listing, owner_id, back_at, False, PAGE_SIZE + 1, back_at + step
        )
        rows = found[:PAGE_SIZE][::-1]
        if len(found) > PAGE_SIZE:
            prev_at = rows[0][0]
        # nothing shown: the rows from the cursor's own on
        edge = rows[-1][0] if rows else back_at + step
        if beyond:
            next_at = edge
        doc_id = _link(ident, listing.backward, back_at)
    elif onward_at is not None:
        found, beyond = _range_and_probe(
            session, listing, owner_id, onward_at, True, PAGE_SIZE + 1, onward_at - step
        )
        rows = found[:PAGE_SIZE]
        if len(found) > PAGE_SIZE:
            next_at = rows[-1][0]
        doc_id = _link(ident, listing.onward, onward_at)
        if beyond:
            prev_at = rows[0][0] if rows else onward_at - step
    else:
        found = _range(session, listing, owner_id, None, True, PAGE_SIZE + 1)
        rows = found[:PAGE_SIZE]
        if len(found) > PAGE_SIZE:
            next_at = rows[-1][0]
        doc_id = f"{ident}?page=1"
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": doc_id,
        "type": "OrderedCollectionPage",
        "partOf": ident,
        "totalItems": total,
        "orderedItems": [value for _, value in rows],
    }
    if next_at is not None:
        doc["next"] = _link(ident, listing.onward, next_at)
    if prev_at is not None:
        doc["prev"] = _link(ident, listing.backward, prev_at)
    return doc


def legacy_target(
    session: Session, listing: Listing, owner_id: int, ident: str, number: int
) -> str:
    """Where an old ``?page=number`` link now lives: the cursor after its predecessors (the
    first page when there are not that many rows, or the number is past MAX_LEGACY_PAGE)."""
    if number > MAX_LEGACY_PAGE:
        return f"{ident}?page=1"
    ident_col = col(listing.model.id)
    query = (
        select(ident_col)
        .where(*whole(session, listing, owner_id))
        .order_by(ident_col.desc() if listing.newest_first else ident_col.asc())
        .offset((number - 1) * PAGE_SIZE - 1)
        .limit(1)
    )
    found = session.exec(query).first()
    if found is None:
        return f"{ident}?page=1"
    return _link(ident, listing.onward, int(found))


def answer(
    session: Session,
    listing: Listing,
    owner_id: int,
    ident: str,
    total: int,
    want: Asked,
) -> dict[str, Any] | str:
    """The document ``want`` asks for, or the URL an old ``?page=N`` link moved to."""
    if want.before is None and want.after is None:
        if want.page is None:
            return collection(ident, total)
        if want.page > 1:
            return legacy_target(session, listing, owner_id, ident, want.page)
    return page(session, listing, owner_id, ident, total, want)
