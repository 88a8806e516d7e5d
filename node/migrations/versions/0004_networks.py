"""networks: memberships both ways, network items, network rules, relays; forwarded bodies in
the outbox; network decisions in the moderation log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("style", sa.String(length=16), nullable=False),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("actor", sa.String(length=2048), nullable=False),
        sa.Column("follow_id", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("relay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_follow_id"), ["follow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relay_url"), ["url"], unique=True)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("join_id", sa.String(length=2048), nullable=False),
        sa.Column("join_document", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "member", name="uq_membership_network_member"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index("ix_membership_member_state", ["member", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_network_id"), ["network_id"], unique=False)

    op.create_table(
        "network_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=2048), nullable=False),
        sa.Column("author", sa.String(length=2048), nullable=False),
        sa.Column("via", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tags", sa.String(length=2000), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("announce_id", sa.String(length=2048), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "object_id", name="uq_network_item_network_object"),
    )
    with op.batch_alter_table("network_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_item_author"), ["author"], unique=False)
        batch_op.create_index(batch_op.f("ix_network_item_kind"), ["kind"], unique=False)
        batch_op.create_index(
            "ix_network_item_network_received", ["network_id", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_network_item_network_start", ["network_id", "start_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_item_object_id"), ["object_id"], unique=False)

    op.create_table(
        "network_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("blocked_domains", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id"),
    )
    op.create_table(
        "outgoing_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=2048), nullable=False),
        sa.Column("join_id", sa.String(length=2048), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_id", "network", name="uq_outgoing_membership_actor_network"),
    )
    with op.batch_alter_table("outgoing_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outgoing_membership_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outgoing_membership_join_id"), ["join_id"], unique=False
        )

    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_moderation_log_network_id"), ["network_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_moderation_log_network_id",
            "local_actor",
            ["network_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("outbox_activity", schema=None) as batch_op:
        # server_default: rows sent before this migration have no raw body ("" = the document)
        batch_op.add_column(sa.Column("raw", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("outbox_activity", schema=None) as batch_op:
        batch_op.drop_column("raw")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.drop_constraint("fk_moderation_log_network_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_moderation_log_network_id"))
        batch_op.drop_column("network_id")
    with op.batch_alter_table("outgoing_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_membership_join_id"))
        batch_op.drop_index(batch_op.f("ix_outgoing_membership_actor_id"))
    op.drop_table("outgoing_membership")
    op.drop_table("network_rules")
    with op.batch_alter_table("network_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_item_object_id"))
        batch_op.drop_index("ix_network_item_network_start")
        batch_op.drop_index("ix_network_item_network_received")
        batch_op.drop_index(batch_op.f("ix_network_item_kind"))
        batch_op.drop_index(batch_op.f("ix_network_item_author"))
    op.drop_table("network_item")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_network_id"))
        batch_op.drop_index("ix_membership_member_state")
    op.drop_table("membership")
    with op.batch_alter_table("relay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_url"))
        batch_op.drop_index(batch_op.f("ix_relay_follow_id"))
    op.drop_table("relay")
