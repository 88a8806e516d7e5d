"""local_actor.moved_to: where an organization moved (its actor document's movedTo)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("local_actor") as batch:
        batch.add_column(
            sa.Column("moved_to", sa.String(length=2048), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("local_actor") as batch:
        batch.drop_column("moved_to")
