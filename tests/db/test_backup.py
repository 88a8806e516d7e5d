"""``solnode backup`` and ``solnode restore`` in-process, on SQLite and PostgreSQL: a node with
an organization, a follower, a published event and an uploaded image is backed up, its data
dir and database thrown away, and restored into a new empty place with the same keys,
followers, items and media; a damaged archive, an occupied target or another base URL are
refused and change nothing."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node import migrations
from node.cli import main
from node.features.operations import database_dump
from node.models import Follower, Item, LocalActor
from node.settings import Settings
from tests.conftest import drop_pg_schema, pg_schema_url
from tests.db.publishing_support import Api, add_follower, fixture, future, make_org

BASE = "http://127.0.0.1:8000"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"x" * 40


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("SOLNODE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SOLNODE_BASE_URL", settings.base_url)
    monkeypatch.setenv("SOLNODE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOLNODE_DATA_DIR", str(settings.data_dir))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "secret_key").write_text("test-secret\n")


@pytest.fixture
def empty_target(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, Path]]:
    """A database nobody created yet and an empty data dir (a new machine)."""
    data_dir = tmp_path / "new-data"
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'new' / 'solnode.db'}", data_dir
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = f"r_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(admin, schema), data_dir
    finally:
        drop_pg_schema(admin, schema)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _a_node_with_history(client: TestClient, engine: Engine, settings: Settings) -> str:
    """An organization with a follower, one published event and one uploaded image."""
    api = Api(client, make_org(engine))
    add_follower(engine, "nec", "http://127.0.0.1:9101/users/peer")
    answer = api.post("/api/v1/events", future(fixture("conference.json")["conference"]))
    assert answer.status_code == 201, answer.json()
    media = settings.data_dir / "media" / "nec"
    media.mkdir(parents=True)
    (media / "logo.png").write_bytes(PNG)
    return str(answer.json()["id"])


def _snapshot(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        return {
            "keys": (actor.rsa_private_pem, actor.ed_private_pem, actor.rsa_public_pem),
            # kept by triggers: a restore from rows must not count its followers twice
            "counts": (actor.followers_count, actor.outbox_count),
            "followers": sorted(f.remote_id for f in session.exec(select(Follower))),
            "items": sorted(
                (i.ap_id, i.published, i.start_time) for i in session.exec(select(Item))
            ),
            "documents": sorted(str(i.document) for i in session.exec(select(Item))),
        }


def _use(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    monkeypatch.setenv("SOLNODE_DATABASE_URL", url)
    monkeypatch.setenv("SOLNODE_DATA_DIR", str(data_dir))


def test_backup_then_restore_on_a_new_machine_keeps_keys_followers_items_and_media(
    env: None,
    client: TestClient,
    engine: Engine,
    settings: Settings,
    empty_target: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = _a_node_with_history(client, engine, settings)
    before = _snapshot(engine)
    archive = tmp_path / "backups" / "node.tar.gz"

    status, out = run(capsys, "backup", str(archive))
    assert status == 0, out
    assert f"Backed up {BASE} to {archive}" in out and "actors and their keys: nec" in out
    assert "1 media file(s)" in out and "Writing the archive" in out  # progress on stderr

    url, data_dir = empty_target
    _use(monkeypatch, url, data_dir)
    status, out = run(capsys, "restore", str(archive))
    assert status == 0, out
    assert f"Restored the node at {BASE}" in out
    assert "actors and their keys: nec" in out and "follower 1" in out and "item 1" in out
    assert "secret key: restored" in out and "media: 1 file(s)" in out
    assert "does not check out" not in out  # every restored key was checked

    restored = create_engine(url)
    try:
        assert _snapshot(restored) == before
        assert database_dump.row_counts(restored) == database_dump.row_counts(engine)
        # New rows get new ids (PostgreSQL's sequences were moved past the restored ones).
        add_follower(restored, "nec", "http://127.0.0.1:9102/users/newcomer")
    finally:
        restored.dispose()
    assert (data_dir / "media" / "nec" / "logo.png").read_bytes() == PNG
    assert (data_dir / "secret_key").read_text().strip() == "test-secret"
    # The restored node starts and serves what it had, under the same ids.
    status, out = run(capsys, "status")
    assert status == 0 and f"at {BASE}" in out
    assert item_id.startswith(BASE + "/items/")


def test_a_restored_key_that_does_not_check_out_is_named(
    env: None,
    client: TestClient,
    engine: Engine,
    settings: Settings,
    empty_target: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The archive is whole, but the key it carries was damaged before the backup: signing
    loads keys unchecked, so restore checks each one and says which."""
    from tests.unit.test_private_key_loading import damaged_copy

    _a_node_with_history(client, engine, settings)
    with Session(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        actor.rsa_private_pem = damaged_copy(actor.rsa_private_pem)
        session.add(actor)
        session.commit()
    archive = tmp_path / "node.tar.gz"
    assert run(capsys, "backup", str(archive))[0] == 0
    url, data_dir = empty_target
    _use(monkeypatch, url, data_dir)
    status, out = run(capsys, "restore", str(archive))
    assert status == 0, out
    assert "note: the private key of nec does not check out" in out
    assert out.count("does not check out") == 1  # its Ed25519 key is sound


def test_restore_refuses_a_damaged_archive_and_changes_nothing(
    env: None,
    client: TestClient,
    engine: Engine,
    settings: Settings,
    empty_target: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _a_node_with_history(client, engine, settings)
    archive = tmp_path / "node.tar.gz"
    assert run(capsys, "backup", str(archive))[0] == 0
    altered = tmp_path / "altered.tar.gz"
    _rewrite_member(archive, altered, "media/nec/logo.png", PNG[:-1] + b"y")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    not_ours = tmp_path / "notes.tar.gz"
    not_ours.write_bytes(gzip.compress(b"hello"))

    url, data_dir = empty_target
    _use(monkeypatch, url, data_dir)
    for bad, reason in [
        (altered, "media/nec/logo.png does not match its checksum"),
        (truncated, "truncated or damaged"),
        (not_ours, "not a readable gzipped tar"),
        (tmp_path / "missing.tar.gz", "does not exist"),
    ]:
        status, out = run(capsys, "restore", str(bad))
        assert status == 1 and f"refusing to restore {bad}: " in out and reason in out, out
    assert not (data_dir / "secret_key").exists() and not (data_dir / "media").exists()
    if url.startswith("sqlite"):
        assert not database_dump.sqlite_path(url).exists()
        return
    target = create_engine(url)
    try:
        assert migrations.current_revision(target) is None  # not even migrated
    finally:
        target.dispose()


def test_restore_over_a_node_with_data_needs_force(
    env: None,
    client: TestClient,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _a_node_with_history(client, engine, settings)
    before = _snapshot(engine)
    archive = tmp_path / "node.tar.gz"
    assert run(capsys, "backup", str(archive))[0] == 0
    add_follower(engine, "nec", "http://127.0.0.1:9102/users/later")

    status, out = run(capsys, "restore", str(archive))
    assert status == 1 and "the target is not empty (database rows: " in out and "--force" in out
    assert "follower 2" in out and "1 media file(s)" in out
    assert len(_snapshot(engine)["followers"]) == 2  # untouched

    engine.dispose()  # the restore replaces the database under this engine
    status, out = run(capsys, "restore", "--force", str(archive))
    assert status == 0, out
    assert _snapshot(engine) == before


def test_restore_refuses_another_base_url(
    env: None,
    engine: Engine,
    empty_target: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_org(engine)
    archive = tmp_path / "node.tar.gz"
    assert run(capsys, "backup", str(archive))[0] == 0
    url, data_dir = empty_target
    _use(monkeypatch, url, data_dir)
    monkeypatch.setenv("SOLNODE_BASE_URL", "http://127.0.0.1:8001")
    status, out = run(capsys, "restore", str(archive))
    assert status == 1 and f"restore with SOLNODE_BASE_URL={BASE}" in out
    assert not (data_dir / "secret_key").exists()


def _rewrite_member(source: Path, target: Path, name: str, data: bytes) -> None:
    """Copy an archive with one member's bytes replaced (the manifest left as it was)."""
    with tarfile.open(source, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            fh = src.extractfile(member)
            body = data if member.name == name else (fh.read() if fh else b"")
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))


def test_a_sqlite_backup_restores_into_postgresql(
    sqlite_template: Path,
    pg_admin: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moving from the single-file setup to PostgreSQL is a backup and a restore."""
    for name in [n for n in os.environ if n.startswith("SOLNODE_")]:
        monkeypatch.delenv(name)
    source = tmp_path / "small.db"
    source.write_bytes(sqlite_template.read_bytes())
    monkeypatch.setenv("SOLNODE_BASE_URL", BASE)
    _use(monkeypatch, f"sqlite:///{source}", tmp_path / "small")
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "secret_key").write_text("small-secret\n")
    sqlite = create_engine(f"sqlite:///{source}")
    try:
        make_org(sqlite)
        add_follower(sqlite, "nec", "http://127.0.0.1:9101/users/peer")
        before = _snapshot(sqlite)
    finally:
        sqlite.dispose()
    archive = tmp_path / "small.tar.gz"
    assert run(capsys, "backup", str(archive))[0] == 0

    schema = f"r_{uuid.uuid4().hex[:12]}"
    url = pg_schema_url(pg_admin, schema)
    try:
        _use(monkeypatch, url, tmp_path / "big")
        status, out = run(capsys, "restore", str(archive))
        assert status == 0 and "follower 1" in out, out
        target = create_engine(url)
        try:
            after = _snapshot(target)
        finally:
            target.dispose()
    finally:
        drop_pg_schema(pg_admin, schema)
    assert after["keys"] == before["keys"] and after["followers"] == before["followers"]
