"""An actor's outbox, paged by cursor: public activities, newest first, at any depth.

A network's outbox holds an Announce for every item it relayed - a million rows is a normal
size. So a page is one range of the ``(actor_id, published, id)`` index below the cursor with
``LIMIT size + 1`` (no OFFSET), and ``totalItems`` is the count ``send()`` keeps on the actor
(``local_actor.outbox_count``) rather than a ``count(*)`` per request. The collection itself
carries ``totalItems`` (Mastodon shows it as the account's post count); its pages omit it, as
ActivityStreams allows: a page's reader needs its items and ``next``.

Cursors: ``?before=<published>~<id>`` (``20260501T120000.000000Z~88121``). ``?page=1`` is the
first page; an old ``?page=N`` link is redirected to its cursor, found on the index's keys
alone (the one skip left, for links made before cursors: bounded by MAX_LEGACY_PAGE, past
which the link goes to the first page).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from node import keyset
from node.federation.actors.documents import ordered_collection
from node.models import LocalActor, OutboxActivity

PAGE_SIZE = 20
# An old ?page=N link deeper than this is sent to the first page: finding its cursor skips the
# keys of every activity before it (10,000 at most).
MAX_LEGACY_PAGE = 500


def cursor_token(published: datetime, ident: int) -> str:
    """A place in the outbox, as it goes in a URL (node/keyset.py's token of the key)."""
    return keyset.token(published, ident)


def parse_cursor(token: str | None) -> tuple[datetime, int] | None:
    """(published, id) from a URL's cursor; None when absent or malformed."""
    found = keyset.parse(token, datetime, int)
    if found is None:
        return None
    published, ident = found
    assert isinstance(published, datetime) and isinstance(ident, int)
    return published, ident


def _listed(actor: LocalActor) -> Any:
    return (OutboxActivity.actor_id == actor.id, col(OutboxActivity.public).is_(True))


def _newest_first(query: Any) -> Any:
    return query.order_by(col(OutboxActivity.published).desc(), col(OutboxActivity.id).desc())


def collection(actor: LocalActor, ident: str) -> dict[str, Any]:
    """The outbox collection: its size and its first page."""
    return ordered_collection(ident, actor.outbox_count, first=f"{ident}?page=1")


def page(
    session: Session,
    actor: LocalActor,
    ident: str,
    before: tuple[datetime, int] | None,
    shown: Any,
) -> dict[str, Any]:
    """The page of activities older than ``before`` (the newest without it), each ``shown``."""
    query = select(OutboxActivity.id, OutboxActivity.published, OutboxActivity.document).where(
        *_listed(actor)
    )
    if before is not None:
        at, last = before
        key = tuple_(col(OutboxActivity.published), col(OutboxActivity.id))
        query = query.where(key < tuple_(at.astimezone(UTC), last))
    rows = session.exec(_newest_first(query).limit(PAGE_SIZE + 1)).all()
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ident}?before={cursor_token(*before)}" if before else f"{ident}?page=1",
        "type": "OrderedCollectionPage",
        "partOf": ident,
        "orderedItems": [shown(row[2]) for row in rows[:PAGE_SIZE]],
    }
    if len(rows) > PAGE_SIZE:
        last_row = rows[PAGE_SIZE - 1]
        doc["next"] = f"{ident}?before={cursor_token(last_row[1], last_row[0])}"
    return doc


def legacy_target(session: Session, actor: LocalActor, ident: str, number: int) -> str:
    """Where an old ``?page=number`` link now lives: the cursor after its predecessors (the
    first page past the end or past MAX_LEGACY_PAGE)."""
    if number > MAX_LEGACY_PAGE:
        return f"{ident}?page=1"
    skip = (number - 1) * PAGE_SIZE
    query = select(OutboxActivity.id, OutboxActivity.published).where(*_listed(actor))
    row = session.exec(_newest_first(query).offset(skip - 1).limit(1)).first()
    if row is None:
        return f"{ident}?page=1"
    return f"{ident}?before={cursor_token(row[1], row[0])}"
