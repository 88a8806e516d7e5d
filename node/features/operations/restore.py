"""``solnode restore FILE``: bring a node back from its backup archive.

Order matters: the archive is unpacked and every checksum checked first, then the target is
checked (empty, or ``force``), and only then is anything written — a damaged archive or an
occupied target changes nothing. The base URL must be the archive's: every stored id starts
with it, and a restored node federates as before only under the same address.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from node import migrations
from node.activitypub import keys
from node.db import make_engine
from node.features.operations import archive, database_dump
from node.features.operations.backup import (
    CONFIG_MEMBER,
    MEDIA_DIR,
    SECRET_MEMBER,
    media_files,
)
from node.features.operations.database_dump import Progress
from node.settings import SECRET_FILE, Settings

RESTORED_CONFIG = "solnode.toml"
# Rows ``solnode init`` or a first start write on their own; a target with only these is empty.
SELF_MADE = {"node_meta"}


class RestoreError(Exception):
    """Restore refused; nothing was changed."""


@dataclass
class RestoreResult:
    """What a restore brought back."""

    manifest: archive.Manifest
    rows: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    secret_key: str = ""
    config_path: Path | None = None
    notes: list[str] = field(default_factory=list)


def restore(settings: Settings, source: Path, *, force: bool, progress: Progress) -> RestoreResult:
    """Restore the archive ``source`` into the node ``settings`` describe."""
    # Unpacked beside the data dir, not in /tmp: media can be large.
    settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=".solnode-restore-", dir=settings.data_dir.parent
    ) as tmp:
        staged = Path(tmp)
        progress(f"Checking {source}…")
        try:
            manifest = archive.read_archive(source, staged)
        except archive.ArchiveError as exc:
            raise RestoreError(f"refusing to restore {source}: {exc}") from None
        facts = manifest.facts
        if facts.get("base_url") != settings.base_url:
            raise RestoreError(
                f"the backup is of the node at {facts.get('base_url')}, but this run's base URL "
                f"is {settings.base_url}; its ids are known under the old address, so restore "
                f"with SOLNODE_BASE_URL={facts.get('base_url')}"
            )
        engine = make_engine(settings)
        try:
            occupied = _occupied(settings, engine)
            if occupied and not force:
                raise RestoreError(
                    f"the target is not empty ({'; '.join(occupied)}); restore refuses to "
                    "overwrite a node: point SOLNODE_DATA_DIR / SOLNODE_DATABASE_URL at an "
                    "empty one, or pass --force to replace it with the backup"
                )
            result = RestoreResult(manifest=manifest)
            result.rows = _restore_database(settings, engine, staged, facts, force, progress)
            result.notes.extend(_damaged_keys(engine, progress))
        finally:
            engine.dispose()
        _restore_files(settings, staged, result, progress)
    return result


def _occupied(settings: Settings, engine: Engine) -> list[str]:
    """What the target already holds (rows, media); empty means safe to restore into."""
    found = []
    if migrations.current_revision(engine) is not None:
        counts = database_dump.row_counts(engine)
        rows = {t: n for t, n in counts.items() if n and t not in SELF_MADE}
        if rows:
            found.append("database rows: " + ", ".join(f"{t} {n}" for t, n in sorted(rows.items())))
    media = media_files(settings.data_dir)
    if media:
        found.append(f"{len(media)} media file(s) in {settings.data_dir / MEDIA_DIR}")
    return found


def _restore_database(
    settings: Settings,
    engine: Engine,
    staged: Path,
    facts: dict[str, Any],
    force: bool,
    progress: Progress,
) -> dict[str, int]:
    db = facts.get("database") or {}
    member = staged / str(db.get("member", ""))
    form = db.get("form")
    if form == "sqlite" and engine.dialect.name == "sqlite":
        target = database_dump.sqlite_path(settings.database_url)
        progress(f"Database: copying the backup into {target} with SQLite's online backup…")
        engine.dispose()
        target.parent.mkdir(parents=True, exist_ok=True)
        database_dump.copy_sqlite(member, target)
        migrations.upgrade(engine)
        return database_dump.row_counts(engine)
    if form == "sqlite":
        # A SQLite backup restored into PostgreSQL: read its rows through SQLAlchemy.
        source = create_engine(f"sqlite:///{member}")
        try:
            migrations.upgrade(source)
            rows = staged / "from-sqlite.jsonl"
            with rows.open("w", encoding="utf-8") as out:
                database_dump.dump_rows(source, out, lambda _line: None)
        finally:
            source.dispose()
        member = rows
    elif form != "rows":
        raise RestoreError(f"the backup's database form {form!r} is unknown to this solnode")
    elif facts.get("revision") != migrations.head_revision():
        raise RestoreError(
            f"the backup's rows are of schema revision {facts.get('revision')}, this solnode's "
            f"is {migrations.head_revision()}; restore with the solnode version that made it"
        )
    migrations.upgrade(engine)
    progress("Database: inserting the backup's rows…")
    with member.open(encoding="utf-8") as lines:
        database_dump.load_rows(engine, lines, progress, clear=force)
    return database_dump.row_counts(engine)


def _damaged_keys(engine: Engine, progress: Progress) -> list[str]:
    """A note for each restored private key whose numbers do not check out. The node signs
    with its keys unchecked (30 ms a key saved per process: ``keys.load_private_key``), so a
    key that came back damaged from an archive is checked here, once, with the archive's rows
    already in place: the checksums proved the archive whole, not how its keys were made."""
    progress("Keys: checking each actor's private keys…")
    notes = []
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT slug, rsa_private_pem, ed_private_pem FROM local_actor ORDER BY slug")
        ).all()
    for slug, *pems in rows:
        for pem in filter(None, pems):
            try:
                keys.load_private_key(pem, checked=True)
            except keys.KeyFormatError as exc:
                notes.append(
                    f"the private key of {slug} does not check out ({exc}): what it signs will "
                    "be refused; `solnode doctor` names it too. Restore from another backup."
                )
    return notes


def _restore_files(
    settings: Settings, staged: Path, result: RestoreResult, progress: Progress
) -> None:
    """The secret key, the media folder and the config file."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = staged / SECRET_MEMBER
    if secret.is_file():
        key = secret.read_text(encoding="utf-8").strip()
        path = data_dir / SECRET_FILE
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(key + "\n", encoding="utf-8")
        result.secret_key = key
        env_key = os.environ.get("SOLNODE_SECRET_KEY")
        if env_key and env_key != key:
            result.notes.append(
                f"SOLNODE_SECRET_KEY is set and differs from the restored key in {path}; unset "
                "it (or set it to the restored key) so sessions and tokens stay valid"
            )
    media_root = staged / MEDIA_DIR
    if media_root.is_dir() or (data_dir / MEDIA_DIR).is_dir():
        shutil.rmtree(data_dir / MEDIA_DIR, ignore_errors=True)
    if media_root.is_dir():
        shutil.copytree(media_root, data_dir / MEDIA_DIR)
        result.media_files = len(media_files(data_dir))
        progress(f"Media: {result.media_files} file(s) into {data_dir / MEDIA_DIR}")
    config = staged / CONFIG_MEMBER
    if config.is_file():
        result.config_path = data_dir / RESTORED_CONFIG
        shutil.copy2(config, result.config_path)
