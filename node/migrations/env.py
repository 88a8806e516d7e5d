"""Alembic environment: runs on the engine handed in by node.migrations.upgrade()."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import node.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
engine = config.attributes.get("engine")
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Migrate inside one transaction; on PostgreSQL under an advisory lock so that several
    processes starting at once (web + workers) migrate one after the other."""
    if engine is None:
        raise RuntimeError("run migrations through node.migrations.upgrade(engine)")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(727274)"))
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(727274)"))
                connection.commit()


run_migrations_online()
