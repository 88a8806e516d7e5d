"""Kept counts and keyset indexes for the followers, following, members and memberships
collections: local_actor.followers_count, following_count, members_count, memberships_count,
kept by triggers on every insert, state change and delete (cascades included), backfilled here;
(owner, state, id) indexes on follower, following and outgoing_membership (membership has one
since 0017); network_item (network_id, kind, published, id) for a network profile's latest calls
and news by published time

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, the column naming our actor, the state counted, the local_actor column keeping it)
COUNTED = (
    ("follower", "actor_id", "accepted", "followers_count"),
    ("following", "actor_id", "accepted", "following_count"),
    ("membership", "network_id", "admitted", "members_count"),
    ("outgoing_membership", "actor_id", "admitted", "memberships_count"),
)
INDEXES = (
    ("follower", "ix_follower_actor_state", "actor_id"),
    ("following", "ix_following_actor_state", "actor_id"),
    ("outgoing_membership", "ix_outgoing_membership_actor_state", "actor_id"),
)


def upgrade() -> None:
    # op.add_column, not batch mode: ALTER TABLE ADD COLUMN is in place on both databases
    for _, _, _, counter in COUNTED:
        op.add_column(
            "local_actor", sa.Column(counter, sa.Integer(), server_default="0", nullable=False)
        )
    for table, name, owner in INDEXES:
        op.create_index(name, table, [owner, "state", "id"], unique=False)
    op.create_index(
        "ix_network_item_network_kind_published",
        "network_item",
        ["network_id", "kind", "published", "id"],
        unique=False,
    )
    for table, owner, state, counter in COUNTED:
        op.execute(
            f"UPDATE local_actor SET {counter} = (SELECT count(*) FROM {table}"
            f" WHERE {table}.{owner} = local_actor.id AND {table}.state = '{state}')"
        )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table, owner, state, counter in COUNTED:
        less = f"UPDATE local_actor SET {counter} = {counter} - 1 WHERE id = OLD.{owner}"
        more = f"UPDATE local_actor SET {counter} = {counter} + 1 WHERE id = NEW.{owner}"
        op.execute(
            f"CREATE TRIGGER tr_{table}_count_insert AFTER INSERT ON {table}"
            f" WHEN NEW.state = '{state}' BEGIN {more}; END"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_count_delete AFTER DELETE ON {table}"
            f" WHEN OLD.state = '{state}' BEGIN {less}; END"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_count_update AFTER UPDATE OF state, {owner} ON {table}"
            f" WHEN (OLD.state = '{state}') IS NOT (NEW.state = '{state}')"
            f" OR OLD.{owner} IS NOT NEW.{owner}"
            f" BEGIN {less} AND OLD.state = '{state}'; {more} AND NEW.state = '{state}'; END"
        )


def _postgresql_triggers() -> None:
    for table, owner, state, counter in COUNTED:
        # CREATE OR REPLACE: a schema whose tables were dropped keeps its functions
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_count() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF TG_OP <> 'INSERT' THEN "
            f"IF OLD.state = '{state}' THEN UPDATE local_actor SET {counter} = {counter} - 1"
            f" WHERE id = OLD.{owner}; END IF; "
            "END IF; "
            "IF TG_OP <> 'DELETE' THEN "
            f"IF NEW.state = '{state}' THEN UPDATE local_actor SET {counter} = {counter} + 1"
            f" WHERE id = NEW.{owner}; END IF; "
            "END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_count AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_count()"
        )
        op.execute(
            f"CREATE TRIGGER tr_{table}_count_update AFTER UPDATE OF state, {owner} ON {table} "
            f"FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state"
            f" OR OLD.{owner} IS DISTINCT FROM NEW.{owner}) EXECUTE FUNCTION {table}_count()"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _, _, counter in COUNTED:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_count ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_count_update ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_count()")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS tr_{table}_count_{event}")
    op.drop_index("ix_network_item_network_kind_published", table_name="network_item")
    for table, name, _ in INDEXES:
        op.drop_index(name, table_name=table)
    for _, _, _, counter in COUNTED:
        if postgresql:
            op.drop_column("local_actor", counter)
        else:  # in place (3.35+): batch mode would copy the table others point at
            op.execute(f'ALTER TABLE "local_actor" DROP COLUMN "{counter}"')
