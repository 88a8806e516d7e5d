"""call_answer: answers to calls for collaboration sent with the form on the call's page

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_answer_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_answer_actor_id"), ["actor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_answer_actor_id"))
        batch_op.drop_index(batch_op.f("ix_call_answer_item_id"))
    op.drop_table("call_answer")
