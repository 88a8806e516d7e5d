"""search words (SQLite): every word of the full-text index, kept by the index's triggers

An FTS5 prefix query (``"cooperative"*``) merges the whole doclist of every word it matches
before it yields its first row: 200 to 500 ms for a word in most of a million items, even when
only the newest thousand are read. An OR of whole words is read lazily, newest first, in
well under a millisecond. So a search turns each prefix into the words of the index that
begin with it (node/features/search/query.py), read from ``search_fts_terms``.

``search_fts_terms`` holds every word the index was ever given (words of deleted or rewritten
rows stay: a word that matches nothing costs a search nothing). The triggers of 0012 that add a
row to the index now also pass its text through ``search_fts_stage``, a contentless FTS5 table
of the same tokenizer (so its words are exactly the index's: case and diacritics folded), read
its words with fts5vocab and empty it again. Rows already indexed have their words read from
the index itself, once.

PostgreSQL: nothing (its GIN index answers a prefix lexeme without a merge).

Like 0012's, these are no models (tests/db/test_migrations.py leaves ``search_fts_*`` out).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sys
import time

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SOURCES = ("item", "network_item")
TERMS = "search_fts_terms"
STAGE = "search_fts_stage"


def _text(row: str) -> str:
    """The title and body 0012 indexes (a copy: a migration's SQL never changes)."""
    return (
        f"coalesce(json_extract({row}.document, '$.name'), ''), "
        f"coalesce(json_extract({row}.document, '$.summary'), '') || ' ' || "
        f"coalesce(json_extract({row}.document, '$.content'), '')"
    )


def _triggers(source: str, *, words: bool) -> None:
    """(Re)create 0012's insert and update triggers of ``source``, adding the row's words to
    ``search_fts_terms`` when ``words``."""
    fts = f"search_fts_{source}"
    insert = f"INSERT INTO {fts}(rowid, title, body) VALUES (new.id, {_text('new')});"
    remove = f"DELETE FROM {fts} WHERE rowid = old.id;"
    kept = (
        f"INSERT INTO {STAGE}(rowid, title, body) VALUES (1, {_text('new')}); "
        f"INSERT OR IGNORE INTO {TERMS}(term) SELECT term FROM {STAGE}_vocab; "
        f"INSERT INTO {STAGE}({STAGE}) VALUES ('delete-all');"
        if words
        else ""
    )
    op.execute(f"DROP TRIGGER IF EXISTS {fts}_ai")
    op.execute(f"DROP TRIGGER IF EXISTS {fts}_au")
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {insert} {kept} END")
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF document ON {source} "
        f"BEGIN {remove} {insert} {kept} END"
    )


def _say(message: str) -> None:
    """Progress on stderr: reading the words of a million rows takes a while, and
    ``solnode migrate`` must not look hung."""
    print(f"0021 search words: {message}", file=sys.stderr, flush=True)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE TABLE {TERMS} (term TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID")
    op.execute(
        f"CREATE VIRTUAL TABLE {STAGE} USING fts5(title, body, content='', detail=none, "
        "columnsize=0)"
    )
    op.execute(f"CREATE VIRTUAL TABLE {STAGE}_vocab USING fts5vocab({STAGE}, 'row')")
    for source in SOURCES:
        _triggers(source, words=True)
    bind = op.get_bind()
    for source in SOURCES:
        fts = f"search_fts_{source}"
        rows = bind.exec_driver_sql(f"SELECT count(*) FROM {source}").scalar() or 0
        if not rows:  # a new node: nothing to read, nothing to say
            continue
        started = time.monotonic()
        _say(f"reading the words of {fts} ({rows:,} rows)")
        op.execute(f"CREATE VIRTUAL TABLE temp.{fts}_words USING fts5vocab(main, {fts}, 'row')")
        op.execute(f"INSERT OR IGNORE INTO {TERMS}(term) SELECT term FROM temp.{fts}_words")
        op.execute(f"DROP TABLE temp.{fts}_words")
        _say(f"{fts} done in {time.monotonic() - started:.1f} s")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for source in SOURCES:
        _triggers(source, words=False)
    op.execute(f"DROP TABLE IF EXISTS {STAGE}_vocab")
    op.execute(f"DROP TABLE IF EXISTS {STAGE}")
    op.execute(f"DROP TABLE IF EXISTS {TERMS}")
