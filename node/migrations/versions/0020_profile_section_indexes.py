"""Profile sections read one index range each: item (actor_id, kind, published, id) for an
organization's latest calls and news, and item (actor_id, kind, end_time) for its events not
over yet. Before, upcoming events walked the start-time index of every organization's items from
the oldest, and the latest calls sorted every call of that kind on the node.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Plain CREATE INDEX on both databases: no table is copied, so no trigger is lost.
INDEXES = (
    ("ix_item_actor_kind_published", ["actor_id", "kind", "published", "id"]),
    ("ix_item_actor_kind_end", ["actor_id", "kind", "end_time"]),
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "item", columns, unique=False)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="item")
