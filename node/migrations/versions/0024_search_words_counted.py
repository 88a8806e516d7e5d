"""search words counted (SQLite): a word of the index leaves ``search_fts_terms`` with its last row

0021 kept every word the index was ever given, the words of deleted and rewritten rows too.
They match nothing, but a term reads at most 64 of the words it begins before it falls back to
FTS5's slow prefix query (node/features/search/index.py), so dead words push a term there
sooner. Now each word counts the rows of both indexes that hold it (``uses``): 0021's insert
triggers add one for each word of the new row, the delete triggers take one off for each word
of the old row (its text passed through ``search_fts_stage`` again, as the index tokenized it)
and drop the words that reach nothing, the update triggers do both. The counts start from the
index itself (fts5vocab's rows per word), so the words no row holds any more go now.

Why in the triggers, not a periodic prune: a word is gone exactly when its last row goes, no
job or timer has to run for the table to stay true, and what it costs is bounded by the words
of the rows written (one upsert a distinct word of an inserted row, docs/benchmarks.md); a
prune would have to read every doclist of the index, or probe it once per candidate word.

PostgreSQL: nothing (its GIN index answers a prefix lexeme without a merge).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sys
import time

from alembic import op

revision = "0024"
down_revision = "0023"
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


def _staged(row: str, then: str) -> str:
    """Pass ``row``'s text through the stage, run ``then`` over its words, empty the stage."""
    return (
        f"INSERT INTO {STAGE}(rowid, title, body) VALUES (1, {_text(row)}); {then} "
        f"INSERT INTO {STAGE}({STAGE}) VALUES ('delete-all');"
    )


def _counted_triggers(source: str) -> None:
    """0012's triggers of ``source`` with each word's count kept."""
    fts = f"search_fts_{source}"
    words = f"SELECT term FROM {STAGE}_vocab"
    insert = f"INSERT INTO {fts}(rowid, title, body) VALUES (new.id, {_text('new')});"
    remove = f"DELETE FROM {fts} WHERE rowid = old.id;"
    added = _staged(
        "new",
        f"INSERT INTO {TERMS}(term, uses) SELECT term, 1 FROM {STAGE}_vocab WHERE true "
        "ON CONFLICT(term) DO UPDATE SET uses = uses + 1;",
    )
    removed = _staged(
        "old",
        f"UPDATE {TERMS} SET uses = uses - 1 WHERE term IN ({words}); "
        f"DELETE FROM {TERMS} WHERE uses <= 0 AND term IN ({words});",
    )
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {insert} {added} END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {remove} {removed} END")
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF document ON {source} "
        f"BEGIN {remove} {removed} {insert} {added} END"
    )


def _drop_triggers(source: str) -> None:
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS search_fts_{source}_{suffix}")


def _kept_triggers(source: str) -> None:
    """0021's triggers of ``source`` (every word kept, never counted)."""
    fts = f"search_fts_{source}"
    insert = f"INSERT INTO {fts}(rowid, title, body) VALUES (new.id, {_text('new')});"
    remove = f"DELETE FROM {fts} WHERE rowid = old.id;"
    kept = _staged("new", f"INSERT OR IGNORE INTO {TERMS}(term) SELECT term FROM {STAGE}_vocab;")
    _drop_triggers(source)
    op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} BEGIN {insert} {kept} END")
    op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF document ON {source} "
        f"BEGIN {remove} {insert} {kept} END"
    )


def _say(message: str) -> None:
    """Progress on stderr: counting the words of a million rows takes a while, and
    ``solnode migrate`` must not look hung."""
    print(f"0024 search words counted: {message}", file=sys.stderr, flush=True)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    bind = op.get_bind()
    rows = sum(bind.exec_driver_sql(f"SELECT count(*) FROM {s}").scalar() or 0 for s in SOURCES)
    started = time.monotonic()
    if rows:
        _say(f"counting the rows of each word of {rows:,} indexed rows")
    for source in SOURCES:
        fts = f"search_fts_{source}"
        _drop_triggers(source)  # SQLite checks every trigger that names a table it renames
        op.execute(f"CREATE VIRTUAL TABLE temp.{fts}_words USING fts5vocab(main, {fts}, 'row')")
    op.execute(
        f"CREATE TABLE {TERMS}_counted (term TEXT NOT NULL PRIMARY KEY, uses INTEGER NOT NULL) WITHOUT ROWID"
    )
    op.execute(
        f"INSERT INTO {TERMS}_counted(term, uses) SELECT term, sum(doc) FROM ("
        + " UNION ALL ".join(f"SELECT term, doc FROM temp.search_fts_{s}_words" for s in SOURCES)
        + ") GROUP BY term"
    )
    for source in SOURCES:
        op.execute(f"DROP TABLE temp.search_fts_{source}_words")
    if rows:
        before = bind.exec_driver_sql(f"SELECT count(*) FROM {TERMS}").scalar() or 0
        now = bind.exec_driver_sql(f"SELECT count(*) FROM {TERMS}_counted").scalar() or 0
        _say(f"{now:,} words counted ({before - now:,} no row holds any more, dropped)")
    op.execute(f"DROP TABLE {TERMS}")
    op.execute(f"ALTER TABLE {TERMS}_counted RENAME TO {TERMS}")
    for source in SOURCES:
        _counted_triggers(source)
    if rows:
        _say(f"done in {time.monotonic() - started:.1f} s")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for source in SOURCES:
        _kept_triggers(source)
    op.execute(f"ALTER TABLE {TERMS} DROP COLUMN uses")
