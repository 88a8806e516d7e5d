"""Migrations and models agree, on SQLite and PostgreSQL, and run twice without harm."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

from node import migrations


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert migrations.current_revision(engine) == migrations.head_revision(engine)
    assert migrations.upgrade(engine) is False


def test_migration_history_is_linear(engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(engine))
    assert len(script.get_heads()) == 1, "two migration heads: rebase one onto the other"
