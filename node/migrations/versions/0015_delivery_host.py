"""job.host: the remote host a deliver job goes to, so a dead host's backlog is held in one UPDATE

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_job_host", ["host", "state", "run_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_host", table_name="job")
    _drop_column("job", "host")


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): batch mode would copy the table, and dropping the
    old copy fails on rows other tables point at while foreign keys are enforced."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)
