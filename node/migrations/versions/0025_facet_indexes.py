"""A region's and a category's events read one index range each: network_item (network_id,
category, start_time), and (network_id, lower(region), start_time) and (network_id,
lower(country), start_time) for a region (it matches either). Before, a calendar or a
``/regions/…`` page walked every upcoming event of a network in time order looking for the
ones that matched: ~250 ms of CPU on a million items for a region nobody uses.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 13:40:00
"""

from __future__ import annotations

import sys
import time

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# Plain CREATE INDEX on both databases: no table is copied, so no trigger is lost.
INDEXES = (
    ("ix_network_item_network_category_start", "network_id, category, start_time"),
    ("ix_network_item_network_region_start", "network_id, lower(region), start_time"),
    ("ix_network_item_network_country_start", "network_id, lower(country), start_time"),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.exec_driver_sql("SELECT count(*) FROM network_item").scalar() or 0
    for name, columns in INDEXES:
        started = time.monotonic()
        op.execute(f"CREATE INDEX {name} ON network_item ({columns})")
        if rows:  # a new node: nothing to say
            # progress on stderr: an index over a million rows takes seconds, and
            # ``solnode migrate`` must not look hung
            print(
                f"0025 facet indexes: {name} over {rows:,} rows in"
                f" {time.monotonic() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    if rows and bind.dialect.name != "sqlite":
        # PostgreSQL's expression indexes have statistics of their own, gathered by ANALYZE
        # (a sample: about a second on a million rows). An analysed SQLite database gets its
        # new indexes' statistics from migrations.complete_statistics after every upgrade.
        op.execute("ANALYZE network_item")


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="network_item")
