"""Writing items with today's code on a schema a test went down to (to see what an older
migration's triggers did with them): the columns the model has gained since are added for the
writes and taken away before the test goes up again, which adds them itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

# (table, column, its definition): added after the revisions tests go down to
LATER_COLUMNS = (("item", "span_class", "INTEGER NOT NULL DEFAULT 0"),)  # 0026


@contextmanager
def todays_columns(engine: Engine) -> Iterator[None]:
    """The model's later columns, in place for the ``with`` body (SQLite adds and drops a
    column in place: the table's triggers stay)."""
    with engine.begin() as conn:
        for table, column, definition in LATER_COLUMNS:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {definition}')
    try:
        yield
    finally:
        with engine.begin() as conn:
            for table, column, _ in LATER_COLUMNS:
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
