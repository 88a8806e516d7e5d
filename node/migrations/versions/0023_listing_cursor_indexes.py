"""Section and hashtag pages follow a cursor: item (actor_id, kind, start_time, id) for an
organization's events in start order (upcoming ascending from the cursor, past descending
below it), and item_tag (tag, item_id) for a hashtag's items, newest first by item id. Before,
those pages skipped OFFSET rows: page 200 read and sorted every item before it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sys
import time

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# (name, table, columns): plain CREATE INDEX on both databases, no table copied.
INDEXES = (
    ("ix_item_actor_kind_start", "item", ["actor_id", "kind", "start_time", "id"]),
    ("ix_item_tag_tag_item", "item_tag", ["tag", "item_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        began = time.monotonic()
        print(f"0023: indexing {table} ({', '.join(columns)})...", file=sys.stderr, flush=True)
        op.create_index(name, table, columns, unique=False)
        print(f"0023: {name} done in {time.monotonic() - began:.1f} s", file=sys.stderr)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
