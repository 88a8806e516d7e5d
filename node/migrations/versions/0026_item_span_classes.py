"""item.span_class: each of our own events' class of duration, as 0022 gave the events networks
file, so that what still runs of the events begun before a moment is read as one range per
class, closed on both sides: the calendars' and ``upcomingEvents``' own events
(node/features/networks/own_ranges.py) and an organization's events list
(node/features/publishing/listings.py), which walked every past event of the node or of the
organization from its first, or every one to come.

Class 0: a day or less (or no start); class k: over 4^(k-1) and up to 4^k days; class 11 reaches
past any datetime; an event without an end lasts 12 hours (node/models/spans.py). The rows with
a start are read in batches by id, their class computed in Python from their times (exact, where
a logarithm in SQL could round at a class's edge). Two indexes come: (actor_id, kind,
span_class, start_time, id) for an organization's, (kind, span_class, start_time, id) for the
node's; (actor_id, kind, end_time) goes: only the events list's long-running range read it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

BATCH = 5000
# copies of node/models/spans.py (a migration never changes with the code)
SPANS = tuple(timedelta(days=4**k) for k in range(12))
NO_END = timedelta(hours=12)
TABLE = sa.table(
    "item",
    sa.column("id", sa.Integer),
    sa.column("start_time", sa.DateTime(timezone=True)),
    sa.column("end_time", sa.DateTime(timezone=True)),
    sa.column("span_class", sa.Integer),
)
INDEXES = (
    ("ix_item_actor_kind_span_start", ["actor_id", "kind", "span_class", "start_time", "id"]),
    ("ix_item_kind_span_start", ["kind", "span_class", "start_time", "id"]),
)


def _say(message: str) -> None:
    """Progress on stderr: ``solnode migrate`` must not look hung."""
    print(f"0026 item span classes: {message}", file=sys.stderr, flush=True)


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite may hand back text
        value = datetime.fromisoformat(value)
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def span_class(start: datetime | None, end: datetime | None) -> int:
    if start is None:
        return 0
    length = max(end, start) - start if end is not None else NO_END
    return next((k for k, span in enumerate(SPANS) if length <= span), len(SPANS) - 1)


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the table, and the copy loses the triggers of
    # migrations 0012, 0016 and 0021. ADD COLUMN with a default is in place on both databases.
    op.add_column("item", sa.Column("span_class", sa.Integer(), nullable=False, server_default="0"))
    bind = op.get_bind()
    items = bind.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() or 0
    if items:  # a new node: nothing to class, nothing to say
        _backfill()
    started = time.monotonic()
    for name, columns in INDEXES:
        op.create_index(name, "item", columns, unique=False)
    op.drop_index("ix_item_actor_kind_end", table_name="item")
    if items:
        _say(f"indexed {items:,} items in {time.monotonic() - started:.1f} s")
        if bind.dialect.name != "sqlite":
            # the planner's view of the new column (an analysed SQLite database gets its new
            # indexes' statistics from migrations.complete_statistics after every upgrade)
            op.execute("ANALYZE item")


def _backfill() -> None:
    """Class the items with a start (only they can be above class 0), in batches by id."""
    bind = op.get_bind()
    dated = TABLE.c.start_time.is_not(None)
    total = bind.execute(sa.select(sa.func.count()).select_from(TABLE).where(dated)).scalar()
    _say(f"{total:,} items have a start")
    started, last, done = time.monotonic(), 0, 0
    while True:
        rows = bind.execute(
            sa.select(TABLE.c.id, TABLE.c.start_time, TABLE.c.end_time)
            .where(dated, TABLE.c.id > last)
            .order_by(TABLE.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        classes = [
            {"ident": ident, "k": span_class(_aware(start), _aware(end))}
            for ident, start, end in rows
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
    op.create_index("ix_item_actor_kind_end", "item", ["actor_id", "kind", "end_time"])
    for name, _ in INDEXES:
        op.drop_index(name, table_name="item")
    if op.get_bind().dialect.name == "sqlite":
        # in place (3.35+): batch mode would copy the table and lose its triggers (see 0016)
        op.execute('ALTER TABLE "item" DROP COLUMN "span_class"')
    else:
        op.drop_column("item", "span_class")
