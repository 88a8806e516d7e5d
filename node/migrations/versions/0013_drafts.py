"""drafts: events, series, calls and news prepared in the workspace, optionally scheduled;
how many dates of a series are published ahead

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ahead", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_draft_publish_at"), ["publish_at"], unique=False)
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ahead", sa.Integer(), nullable=True))


def downgrade() -> None:
    _drop_column("series", "ahead")
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_publish_at"))
        batch_op.drop_index(batch_op.f("ix_draft_actor_id"))
    op.drop_table("draft")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
