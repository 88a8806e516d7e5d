"""search: the full-text index of events, calls and news (local items and network items)

SQLite: one FTS5 table per source (``search_fts_item``, ``search_fts_network_item``, rowid =
the source row's id) kept up to date by triggers, so every write path (publishing, updates,
deletes, network filing, bulk deletes) updates it without knowing it exists.
PostgreSQL: a generated ``search_vector`` tsvector column on ``item`` and ``network_item``
with a GIN index: the database computes it on every write.

Neither is a model (tests/db/test_migrations.py leaves them out of the comparison, saying why).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SOURCES = ("item", "network_item")

# name, summary and content of the stored ActivityStreams document (HTML tags stripped on
# PostgreSQL; FTS5's tokenizer only adds the tag names as words, which nobody searches for).
_PG_TEXT = (
    "coalesce(document->>'name', '') || ' ' || "
    "regexp_replace(coalesce(document->>'summary', '') || ' ' || "
    "coalesce(document->>'content', ''), '<[^>]*>', ' ', 'g')"
)


def _sqlite_text(row: str) -> str:
    return (
        f"coalesce(json_extract({row}.document, '$.name'), ''), "
        f"coalesce(json_extract({row}.document, '$.summary'), '') || ' ' || "
        f"coalesce(json_extract({row}.document, '$.content'), '')"
    )


def _sqlite_upgrade() -> None:
    for source in SOURCES:
        fts = f"search_fts_{source}"
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(title, body)")
        insert = f"INSERT INTO {fts}(rowid, title, body) VALUES (new.id, {_sqlite_text('new')});"
        remove = f"DELETE FROM {fts} WHERE rowid = old.id;"
        op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {remove} END")
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF document ON {source} "
            f"BEGIN {remove} {insert} END"
        )
        op.execute(
            f"INSERT INTO {fts}(rowid, title, body) SELECT id, {_sqlite_text(source)} FROM {source}"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
        return
    for source in SOURCES:
        op.execute(
            f"ALTER TABLE {source} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS (to_tsvector('simple', {_PG_TEXT})) STORED"
        )
        op.execute(f"CREATE INDEX ix_{source}_search_vector ON {source} USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for source in SOURCES:
            fts = f"search_fts_{source}"
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        return
    for source in SOURCES:
        op.execute(f"DROP INDEX IF EXISTS ix_{source}_search_vector")
        op.execute(f"ALTER TABLE {source} DROP COLUMN IF EXISTS search_vector")
