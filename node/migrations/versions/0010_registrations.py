"""participant: one registration per person per event, and a secret link to see or cancel it

``person_key`` says who registered on the page (``email:<address>`` or ``browser:<hash>``;
NULL for fediverse participants, who are one per actor already). The unique index, not only a
check in code, keeps a double submit from making two rows. ``manage_hash`` is the SHA-256 of
the secret token in the registration's own URL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_key", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("manage_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_participant_item_person", ["item_id", "person_key"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_participant_manage_hash"), ["manage_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_participant_manage_hash", table_name="participant")
    op.drop_index("ix_participant_item_person", table_name="participant")
    _drop_column("participant", "manage_hash")
    _drop_column("participant", "person_key")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
