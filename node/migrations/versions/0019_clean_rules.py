"""network_item.clean_rules: the version of the cleaning rules (node/features/networks/clean.py)
a row's document was filed under, so a document filed under the current rules is shown as stored
instead of being cleaned again on every read. Existing rows get 0: cleaned when shown, as before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the table, and the copy loses the triggers of
    # migrations 0012 (search) and 0016 (calendar stamps). ADD COLUMN with a default is in place
    # on both databases, and gives every existing row 0 (never trusted).
    op.add_column(
        "network_item",
        sa.Column("clean_rules", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # SQLite drops a column in place (3.35+); batch mode would copy the table (see 0017).
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE "network_item" DROP COLUMN "clean_rules"')
    else:
        op.drop_column("network_item", "clean_rules")
