"""network_item.span_class: each event's class of duration, so that what is still running of the
events begun before now is read as one range per class, closed on both sides, instead of the
long events by their end up to a window of 1,000 (node/features/networks/upcoming.py).

Class 0: a day or less (or no start); class k: over 4^(k-1) and up to 4^k days; class 11 reaches
past any datetime. Only rows 0016 marked ``lasting`` (over a day) can be above class 0, so only
they (and those within two seconds of a day, where 0016's julianday() could round) are read, in
batches by id, their class computed in Python from their times (exact, where a logarithm in SQL
could round at a class's edge). The index (network_id, lasting, ends_at, start_time) and the
column ``lasting`` go: nothing else reads them.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BATCH = 5000
# a copy of node/features/networks/facts.py SPANS (a migration never changes with the code)
SPANS = tuple(timedelta(days=4**k) for k in range(12))
TABLE = sa.table(
    "network_item",
    sa.column("id", sa.Integer),
    sa.column("start_time", sa.DateTime(timezone=True)),
    sa.column("ends_at", sa.DateTime(timezone=True)),
    sa.column("span_class", sa.Integer),
)


def _say(message: str) -> None:
    """Progress on stderr: a big network's long events take a while, and ``solnode migrate``
    must not look hung."""
    print(f"0022 span classes: {message}", file=sys.stderr, flush=True)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def span_class(start: datetime, ends: datetime) -> int:
    length = ends - start
    return next((k for k, span in enumerate(SPANS) if length <= span), len(SPANS) - 1)


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the table, and the copy loses the triggers of
    # migrations 0012, 0016 and 0021. ADD COLUMN with a default is in place on both databases.
    op.add_column(
        "network_item",
        sa.Column("span_class", sa.Integer(), nullable=False, server_default="0"),
    )
    items = op.get_bind().execute(sa.select(sa.func.count()).select_from(TABLE)).scalar()
    if items:  # a new node: nothing to class, nothing to say
        _backfill()
        _say(f"indexing {items:,} items by (network_id, span_class, start_time, ends_at)")
    started = time.monotonic()
    op.create_index(
        "ix_network_item_network_span_start",
        "network_item",
        ["network_id", "span_class", "start_time", "ends_at"],
        unique=False,
    )
    op.drop_index("ix_network_item_network_lasting_end", table_name="network_item")
    if items:  # SQLite rewrites every row to drop a column: ~30 s at a million items
        _say(f"indexed in {time.monotonic() - started:.1f} s; dropping the column lasting")
    _drop_column("network_item", "lasting")
    if items:
        _say(f"done in {time.monotonic() - started:.1f} s")


def _candidates() -> Any:
    """The rows that may be over a day: 0016's ``lasting``, and on SQLite those within 2 s
    of a day (its julianday() difference is a float; 0.99998 days is 86,398 s)."""
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("lasting")
    return sa.text("(lasting OR julianday(ends_at) - julianday(start_time) > 0.99998)")


def _backfill() -> None:
    """Class the rows that may last over a day, in batches by id."""
    bind = op.get_bind()
    where = _candidates()
    total = bind.execute(sa.select(sa.func.count()).select_from(TABLE).where(where)).scalar()
    _say(f"{total:,} events may last over a day")
    started, last, done = time.monotonic(), 0, 0
    while True:
        rows = bind.execute(
            sa.select(TABLE.c.id, TABLE.c.start_time, TABLE.c.ends_at)
            .where(where, TABLE.c.id > last)
            .order_by(TABLE.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        classes = [
            {"ident": ident, "k": span_class(_aware(start), _aware(ends))}
            for ident, start, ends in rows
            if start is not None and ends is not None
        ]
        if any(c["k"] for c in classes):
            bind.execute(
                sa.update(TABLE)
                .where(TABLE.c.id == sa.bindparam("ident"))
                .values(span_class=sa.bindparam("k")),
                [c for c in classes if c["k"]],
            )
        last, done = rows[-1][0], done + len(rows)
        _say(f"{done:,} of {total:,}")
    _say(f"classed in {time.monotonic() - started:.1f} s")


def downgrade() -> None:
    op.add_column(
        "network_item",
        sa.Column("lasting", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE network_item SET lasting = (span_class > 0)")
    op.create_index(
        "ix_network_item_network_lasting_end",
        "network_item",
        ["network_id", "lasting", "ends_at", "start_time"],
        unique=False,
    )
    op.drop_index("ix_network_item_network_span_start", table_name="network_item")
    _drop_column("network_item", "span_class")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table (see 0016)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
