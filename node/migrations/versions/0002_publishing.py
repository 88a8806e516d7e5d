"""publishing: recurring series, item tags, participants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("published_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["local_actor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_uid"), ["uid"], unique=True)

    op.create_table(
        "item_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "tag", name="uq_item_tag_item_tag"),
    )
    with op.batch_alter_table("item_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_tag_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_tag_tag"), ["tag"], unique=False)

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=2048), nullable=False),
        sa.Column("join_id", sa.String(length=2048), nullable=False),
        sa.Column("join_document", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_join_id"), ["join_id"], unique=True)
        batch_op.create_index("ix_participant_item_state", ["item_id", "state"], unique=False)

    # SQLite cannot add a foreign key to an existing table: batch mode rebuilds it.
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("series_index", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_item_series_id_series", "series", ["series_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_item_series_id"), ["series_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_series_id"))
        batch_op.drop_constraint("fk_item_series_id_series", type_="foreignkey")
        batch_op.drop_column("series_index")
        batch_op.drop_column("series_id")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_item_state")
        batch_op.drop_index(batch_op.f("ix_participant_join_id"))
        batch_op.drop_index(batch_op.f("ix_participant_actor"))
    op.drop_table("participant")
    with op.batch_alter_table("item_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_tag_tag"))
        batch_op.drop_index(batch_op.f("ix_item_tag_item_id"))
    op.drop_table("item_tag")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_uid"))
        batch_op.drop_index(batch_op.f("ix_series_actor_id"))
    op.drop_table("series")
