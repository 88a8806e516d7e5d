"""``inbox_activity``'s index on ``actor`` dropped: nothing reads inbox rows by their sender (the
inbox job reads its row by id, dedupe goes by ``activity_id``, ``solnode rebase`` rewrites the
column over the whole table), and every POST the node accepts paid for one more B-tree entry of
a URL, and the index grew with every row kept for dedupe (~50 bytes a row). The store step on
SQLite with 30,000 rows stored, CPU a row, in process: 68-74 -> 63-65 us alone, 49-50 -> 47-48 us
in a group commit of 64 (docs/benchmarks.md, Inbox).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 18:25:00
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain DROP INDEX on both databases: no table is copied, so no trigger is lost.
    op.execute("DROP INDEX IF EXISTS ix_inbox_activity_actor")


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_inbox_activity_actor ON inbox_activity (actor)")
