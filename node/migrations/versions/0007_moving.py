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
    _drop_column("local_actor", "moved_to")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
