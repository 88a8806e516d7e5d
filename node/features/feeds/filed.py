"""A calendar's rows of what a network filed, read lean: the columns an entry is made of, and the
document decoded by orjson.

Through SQLAlchemy's JSON type a document costs ~30 µs to decode (``json.loads`` and the type's
processing), a third of what writing its VEVENT costs; read as text and decoded by orjson, ~5 µs.
The rows are found by their keys first (node/features/networks/upcoming.py, bounded index
ranges), then read here by primary key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, cast
from sqlmodel import Session, col, select

from node.db import document_of
from node.models.networks import NetworkItem

CHUNK = 1000  # primary keys per query


def _columns() -> tuple[Any, ...]:
    return (
        NetworkItem.id,
        NetworkItem.object_id,
        NetworkItem.author,
        NetworkItem.kind,
        NetworkItem.clean_rules,
        NetworkItem.received_at,
        NetworkItem.start_time,
        NetworkItem.end_time,
        # as text on both databases: psycopg would otherwise decode ``json`` itself (json.loads)
        cast(NetworkItem.document, Text),
    )


class FiledRow(NamedTuple):
    """The columns of a ``network_item`` an entry is made of (their names, as on the model)."""

    object_id: str
    author: str
    kind: str
    clean_rules: int
    received_at: datetime
    start_time: datetime | None
    end_time: datetime | None
    document: dict[str, Any]


def filed_rows(session: Session, keys: list[Any]) -> list[FiledRow]:
    """The rows of these keys ((id, …) as upcoming.event_keys gives them), in the keys' order."""
    ids = [k[0] for k in keys]
    found: dict[int, FiledRow] = {}
    columns = _columns()
    for start in range(0, len(ids), CHUNK):
        query = select(*columns).where(col(NetworkItem.id).in_(ids[start : start + CHUNK]))
        for ident, object_id, author, kind, rules, received, start, end, text in session.execute(
            query
        ):
            found[ident] = FiledRow(
                object_id, author, kind, rules, received, start, end, document_of(text)
            )
    return [found[i] for i in ids if i in found]
