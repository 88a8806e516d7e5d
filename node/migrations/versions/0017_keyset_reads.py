"""Keyset reads: network_item.published and (…, published, id) indexes for the timeline and the
outbox, (network_id, state, id) for the directory; local_actor.outbox_count for the outbox's totalItems without a count(*) per request

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 01:45:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place: making the column NOT NULL afterwards would copy network_item (batch mode),
        # and the copy loses the table's triggers (search, 0012; calendar stamps, 0016). SQLite
        # adds a NOT NULL column in place when it has a default; filing always writes the real
        # value and the backfill replaces the default in every existing row.
        op.add_column(
            "network_item",
            sa.Column(
                "published",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default="1970-01-01 00:00:00.000000",
            ),
        )
        _backfill_published()
    else:
        op.add_column("network_item", sa.Column("published", sa.DateTime(timezone=True)))
        _backfill_published()
        op.alter_column(
            "network_item", "published", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    op.create_index(
        "ix_network_item_network_published",
        "network_item",
        ["network_id", "published", "id"],
        unique=False,
    )
    op.create_index(
        "ix_membership_network_state", "membership", ["network_id", "state", "id"], unique=False
    )
    for table, name, owner in (
        ("item", "ix_item_actor_published", "actor_id"),
        ("outbox_activity", "ix_outbox_actor_published", "actor_id"),
    ):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [owner, "published", "id"], unique=False)
    with op.batch_alter_table("local_actor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outbox_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE local_actor SET outbox_count = (SELECT count(*) FROM outbox_activity"
        " WHERE outbox_activity.actor_id = local_actor.id AND outbox_activity.public)"
    )


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _backfill_published() -> None:
    """``published`` as filing now computes it: the document's, unless later than arrival."""
    bind = op.get_bind()
    table = sa.table(
        "network_item",
        sa.column("id", sa.Integer),
        sa.column("document", sa.JSON),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("published", sa.DateTime(timezone=True)),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.document, table.c.received_at)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for ident, document, received in rows:
            received = _aware(received)
            stated = _moment((document or {}).get("published"))
            published = received if stated is None or stated > received else stated
            bind.execute(
                sa.update(table).where(table.c.id == ident).values(published=published)
            )
        last = rows[-1][0]


def downgrade() -> None:
    _drop_column("local_actor", "outbox_count")
    for table, name, owner in (
        ("item", "ix_item_actor_published", "actor_id"),
        ("outbox_activity", "ix_outbox_actor_published", "actor_id"),
    ):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [owner, "published"], unique=False)
    op.drop_index("ix_membership_network_state", table_name="membership")
    op.drop_index("ix_network_item_network_published", table_name="network_item")
    _drop_column("network_item", "published")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
