"""``solnode backup FILE``: the whole node in one archive.

What a node is, beyond its code: the database (its actors with their keys, followers, items,
node_meta with the base URL every id starts with), the secret key (sessions, tokens), the
uploaded media in ``DATA_DIR/media``, and the SOLNODE_CONFIG file when there is one. The
archive (node/features/operations/archive.py) holds all of them with checksums.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from node import __version__, migrations
from node.db import now_utc
from node.features.operations import archive, database_dump
from node.features.operations.database_dump import Progress
from node.models import LocalActor
from node.settings import Settings

SQLITE_MEMBER = "database/solnode.sqlite3"
ROWS_MEMBER = "database/rows.jsonl"
SECRET_MEMBER = "secret_key"  # noqa: S105 (a member name)
CONFIG_MEMBER = "config/solnode.toml"
MEDIA_DIR = "media"


@dataclass(frozen=True)
class BackupResult:
    """What went into an archive, for the command's closing lines."""

    path: Path
    manifest: archive.Manifest

    @property
    def size(self) -> int:
        """The archive's size in bytes."""
        return self.path.stat().st_size


def media_files(data_dir: Path) -> list[Path]:
    """The uploaded media files of a data dir (none when it has no ``media/``)."""
    root = data_dir / MEDIA_DIR
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def backup(
    settings: Settings,
    engine: Engine,
    target: Path,
    *,
    config_file: Path | None,
    progress: Progress,
) -> BackupResult:
    """Write the node's database, secret key, media and config into the archive ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside the archive, not in /tmp: media can be large, and the rename stays local.
    with tempfile.TemporaryDirectory(prefix=".solnode-backup-", dir=target.parent) as tmp:
        staging = Path(tmp)
        facts = _facts(settings, engine)
        facts["database"] = _stage_database(settings, engine, staging, progress)
        if settings.secret_key:
            _write_private(staging / SECRET_MEMBER, settings.secret_key + "\n")
        media = media_files(settings.data_dir)
        for path in media:
            dest = staging / MEDIA_DIR / path.relative_to(settings.data_dir / MEDIA_DIR)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        if media:
            progress(f"Media: {len(media)} file(s) from {settings.data_dir / MEDIA_DIR}")
        facts["media_files"] = len(media)
        if config_file is not None:
            (staging / CONFIG_MEMBER).parent.mkdir(parents=True)
            shutil.copy2(config_file, staging / CONFIG_MEMBER)
            progress(f"Config: {config_file}")
        facts["config"] = config_file is not None
        progress("Writing the archive and its checksums…")
        manifest = archive.write_archive(target, staging, facts)
    return BackupResult(path=target, manifest=manifest)


def _facts(settings: Settings, engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        actors = conn.execute(
            select(col(LocalActor.slug)).where(col(LocalActor.kind) != "application")
        ).scalars()
        slugs = sorted(actors)
    return {
        "created_at": now_utc().isoformat(),
        "solnode_version": __version__,
        "base_url": settings.base_url,
        "dialect": engine.dialect.name,
        "revision": migrations.current_revision(engine),
        "actors": slugs,
    }


def _stage_database(
    settings: Settings, engine: Engine, staging: Path, progress: Progress
) -> dict[str, Any]:
    """Copy the database into ``staging``: a SQLite file, or PostgreSQL rows."""
    (staging / "database").mkdir()
    counts = database_dump.row_counts(engine)
    total = sum(counts.values())
    if engine.dialect.name == "sqlite":
        source = database_dump.sqlite_path(settings.database_url)
        progress(f"Database: copying {source} ({total} rows) with SQLite's online backup…")
        database_dump.copy_sqlite(source, staging / SQLITE_MEMBER)
        return {"form": "sqlite", "member": SQLITE_MEMBER, "rows": counts}
    progress(f"Database: dumping {total} rows from PostgreSQL…")
    with (staging / ROWS_MEMBER).open("w", encoding="utf-8") as out:
        counts = database_dump.dump_rows(engine, out, progress)
    return {"form": "rows", "member": ROWS_MEMBER, "rows": counts}


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.write_text(text, encoding="utf-8")
