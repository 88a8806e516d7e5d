"""The database part of a backup, in two forms.

SQLite: one consistent copy made with SQLite's online backup API (it copies page by page while
the node keeps running, and restores the same way, so a WAL file never gets in between).

PostgreSQL: the node's tables as rows, one JSON line each, read and written through SQLAlchemy
in dependency order. Not ``pg_dump``: a node's database may be one schema chosen by
``search_path`` (the tests give every node its own), and ``pg_dump --schema`` writes names
qualified with that schema, so its dump restores only into a schema of the same name. Rows
restore into whatever the target URL points at (another schema, another server), and sequences
are set past the restored ids afterwards.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Date, DateTime, Engine, LargeBinary, Table, func, insert, select, text
from sqlmodel import SQLModel

import node.models  # registers every table  # noqa: F401
from node.federation.actors import kept_counts

Progress = Callable[[str], None]
BATCH = 500


def tables() -> list[Table]:
    """The node's tables, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL."""
    return Path(url.split("///", 1)[-1])


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with the online backup API (consistent while others write)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per node table (what a backup holds, what a restore brought back)."""
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in tables()
        }


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _utc_datetime(value: str) -> datetime:
    """A stored time; SQLite hands them back naive, and we only ever store UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _decoder(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turn one dumped row back into column values (dates and bytes were written as text)."""
    kinds: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, DateTime):
            kinds[column.name] = _utc_datetime
        elif isinstance(column.type, Date):
            kinds[column.name] = date.fromisoformat
        elif isinstance(column.type, LargeBinary):
            kinds[column.name] = base64.b64decode

    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {
            k: kinds[k](v) if k in kinds and v is not None else v
            for k, v in row.items()
            if k in table.columns
        }

    return decode


def dump_rows(engine: Engine, out: IO[str], progress: Progress) -> dict[str, int]:
    """Write every row of every node table as ``{"table": …, "row": {…}}`` lines."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in tables():
            n = 0
            order = list(table.primary_key.columns)
            result = conn.execution_options(stream_results=True).execute(
                select(table).order_by(*order)
            )
            for row in result.mappings():
                out.write(
                    json.dumps(
                        {"table": table.name, "row": {k: _encode(v) for k, v in row.items()}}
                    )
                )
                out.write("\n")
                n += 1
            counts[table.name] = n
            if n:
                progress(f"  {table.name}: {n} row(s)")
    return counts


def _batches(lines: IO[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Consecutive rows of one table, at most BATCH at a time."""
    current: str = ""
    batch: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        if (entry["table"] != current or len(batch) >= BATCH) and batch:
            yield current, batch
            batch = []
        current = entry["table"]
        batch.append(entry["row"])
    if batch:
        yield current, batch


def load_rows(
    engine: Engine, lines: IO[str], progress: Progress, *, clear: bool = False
) -> dict[str, int]:
    """Insert dumped rows in one transaction (after deleting every row, with ``clear``: a
    failure leaves the target as it was); sequences set past the restored ids."""
    by_name = {t.name: t for t in tables()}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        if clear:
            for table in reversed(tables()):
                conn.execute(table.delete())
        for name, batch in _batches(lines):
            table = by_name.get(name)
            if table is None:
                raise ValueError(f"the backup has rows for an unknown table {name!r}")
            decode = _decoder(table)
            conn.execute(insert(table), [decode(r) for r in batch])
            counts[name] = counts.get(name, 0) + len(batch)
        # the triggers counted the restored followers and members again
        kept_counts.recount(conn)
        if engine.dialect.name == "postgresql":
            for table in tables():
                _reset_sequence(conn, table)
    for name, n in counts.items():
        progress(f"  {name}: {n} row(s)")
    return counts


def _reset_sequence(conn: Any, table: Table) -> None:
    """Set an autoincrement id's sequence past the restored ids (inserts with explicit ids
    do not advance it; the next new row would collide)."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or pk[0].type.python_type is not int:
        return
    column = pk[0].name
    seq = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
    ).scalar_one()
    if seq:
        conn.execute(
            text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0) + 1,'  # noqa: S608 - our own table names
                " false)"
            ),
            {"s": seq},
        )
