"""event_feedback (ratings and comments after an event) and follower_count (daily followers)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "item_id", "participant_id", name="uq_event_feedback_item_participant"
        ),
    )
    with op.batch_alter_table("event_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_feedback_item_id"), ["item_id"], unique=False)
    op.create_table(
        "follower_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "day", name="uq_follower_count_actor_day"),
    )
    with op.batch_alter_table("follower_count", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follower_count_actor_id"), ["actor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("follower_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follower_count_actor_id"))
    op.drop_table("follower_count")
    with op.batch_alter_table("event_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_feedback_item_id"))
    op.drop_table("event_feedback")
