"""Alembic migrations, run automatically at start (`solnode serve`, `solnode worker`, `init`).

Alembic itself (and Mako, which it loads) costs a process about 11 MiB that it never gives back,
so the check every start makes — is the database at the newest revision? — reads the version
table with one query and the newest revision from the scripts' ``revision``/``down_revision``
lines; Alembic is imported only when there is something to migrate.
"""

from __future__ import annotations

import re
import sys
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
VERSIONS = HERE / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|'([^']*)'|None)""", re.M
)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to this engine (no alembic.ini needed)."""
    from alembic.config import Config  # lazy: Alembic is loaded only to migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"the database has several migration heads: {', '.join(rows)}")
    return rows[0] if rows else None


@cache
def _head() -> str:
    revisions: dict[str, str | None] = {}
    for script in sorted(VERSIONS.glob("*.py")):
        found = {m[1]: (m[2] or m[3] or None) for m in _LINE.finditer(script.read_text())}
        if found.get("revision") is None:
            raise RuntimeError(f"migration {script.name} names no revision")
        revisions[str(found["revision"])] = found.get("down_revision")
    heads = set(revisions) - {down for down in revisions.values() if down}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must form one line, found heads {sorted(heads)}")
    return heads.pop()


def head_revision() -> str:
    """The newest revision shipped with this code (read from the scripts, once)."""
    return _head()


def upgrade(engine: Engine) -> bool:
    """Bring the schema to head; returns True if anything ran. Safe to call from many processes."""
    if current_revision(engine) == head_revision():
        return False
    from alembic import command  # lazy: Alembic is loaded only to migrate

    command.upgrade(alembic_config(engine), "head")
    complete_statistics(engine)
    return True


def complete_statistics(engine: Engine) -> list[str]:
    """Planner statistics for the indexes a migration added to an analysed SQLite database
    (returned, in the order analysed). SQLite keeps statistics only after an ``ANALYZE``
    (never run by the node; the benchmark's seed runs it, an admin may), and they must be
    whole: with rows for the old indexes and none for a new one, its planner took the new
    one for the most selective. After 0022 the timeline's first page on a million items read
    (network_id, span_class, …) and sorted every row, 3.6 s, instead of the first 21 of
    (network_id, published, id). PostgreSQL's statistics are its own (autovacuum)."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.begin() as conn:
        analysed = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).first()
        if analysed is None:
            return []
        missing = [
            str(name)
            for (name,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name IN (SELECT tbl FROM sqlite_stat1)"
                " AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)"
                " ORDER BY name"
            )
        ]
        for name in missing:
            started = time.monotonic()
            conn.exec_driver_sql(f'ANALYZE "{name}"')
            print(  # progress: an index over a million rows takes a second or so
                f"statistics of {name}: {time.monotonic() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return missing
