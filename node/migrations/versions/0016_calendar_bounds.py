"""Bounded calendars: network_item.ends_at and .lasting (a sargable "not over yet"), and
calendar_stamp, a generation per actor bumped by triggers, read before any event is loaded

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# (table, the column naming the actor whose calendars it feeds)
STAMPED = (("network_item", "network_id"), ("item", "actor_id"), ("series", "actor_id"))
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the table, and the copy loses the search
    # triggers of migration 0012 (ADD COLUMN is in place on both databases).
    op.add_column("network_item", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "network_item",
        sa.Column("lasting", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _backfill()
    op.create_index(
        "ix_network_item_network_lasting_end",
        "network_item",
        # start_time too: "begun before now" is checked in the index, not on every row of a
        # long event still to come
        ["network_id", "lasting", "ends_at", "start_time"],
        unique=False,
    )
    op.create_table(
        "calendar_stamp",
        sa.Column("actor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _backfill() -> None:
    """The same rule as node/features/networks/facts.py ``over_at`` and ``lasting``."""
    if op.get_bind().dialect.name == "postgresql":
        ends = (
            "CASE WHEN end_time IS NULL THEN start_time + interval '12 hours' "
            "ELSE GREATEST(end_time, start_time) END"
        )
        op.execute(f"UPDATE network_item SET ends_at = {ends} WHERE start_time IS NOT NULL")
        op.execute(
            "UPDATE network_item SET lasting = (ends_at - start_time > interval '1 day') "
            "WHERE ends_at IS NOT NULL"
        )
        return
    # SQLite keeps these columns as "YYYY-MM-DD HH:MM:SS.ffffff" text in UTC (SQLAlchemy's
    # DateTime); julianday() reads that form and strftime writes it back.
    fmt = "'%Y-%m-%d %H:%M:%f'"
    ends = (
        f"CASE WHEN end_time IS NULL THEN strftime({fmt}, start_time, '+12 hours') "
        "WHEN end_time < start_time THEN start_time ELSE end_time END"
    )
    op.execute(f"UPDATE network_item SET ends_at = {ends} WHERE start_time IS NOT NULL")
    op.execute(
        "UPDATE network_item SET lasting = (julianday(ends_at) - julianday(start_time) > 1) "
        "WHERE ends_at IS NOT NULL"
    )


def _sqlite_triggers() -> None:
    for table, column in STAMPED:
        for event in EVENTS:
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE TRIGGER tr_{table}_stamp_{event.lower()} AFTER {event} ON {table} "
                "BEGIN INSERT INTO calendar_stamp (actor_id, generation) "
                f"VALUES ({row}.{column}, 1) "
                "ON CONFLICT (actor_id) DO UPDATE SET generation = generation + 1; END"
            )


def _postgresql_triggers() -> None:
    for table, column in STAMPED:
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_stamp() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE owner integer; BEGIN "
            f"IF TG_OP = 'DELETE' THEN owner := OLD.{column}; ELSE owner := NEW.{column}; END IF; "
            "INSERT INTO calendar_stamp (actor_id, generation) VALUES (owner, 1) "
            "ON CONFLICT (actor_id) DO UPDATE SET generation = calendar_stamp.generation + 1; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_stamp AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_stamp()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in STAMPED:
            op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_stamp ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_stamp()")
    else:
        for table, _ in STAMPED:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_stamp_{event.lower()}")
    op.drop_table("calendar_stamp")
    op.drop_index("ix_network_item_network_lasting_end", table_name="network_item")
    _drop_column("network_item", "lasting")
    _drop_column("network_item", "ends_at")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
