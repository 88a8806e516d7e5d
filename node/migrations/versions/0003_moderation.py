"""moderation: domain blocks and allows, actor blocks, reports, the moderation log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actor_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("actor_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_block_actor"), ["actor"], unique=True)

    op.create_table(
        "domain_allow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("domain_allow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_allow_domain"), ["domain"], unique=True)

    op.create_table(
        "domain_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("domain_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_block_domain"), ["domain"], unique=True)

    op.create_table(
        "moderation_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=2048), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_log_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_moderation_log_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("reporter", sa.String(length=2048), nullable=False),
        sa.Column("target_actor", sa.String(length=2048), nullable=False),
        sa.Column("target_objects", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_activity_id"), ["activity_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_report_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_state"))
        batch_op.drop_index(batch_op.f("ix_report_activity_id"))
    op.drop_table("report")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_moderation_log_action"))
    op.drop_table("moderation_log")
    with op.batch_alter_table("domain_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_block_domain"))
    op.drop_table("domain_block")
    with op.batch_alter_table("domain_allow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_allow_domain"))
    op.drop_table("domain_allow")
    with op.batch_alter_table("actor_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_block_actor"))
    op.drop_table("actor_block")
