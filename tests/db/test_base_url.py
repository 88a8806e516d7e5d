"""The base URL the data was created with is kept and enforced (ids are forever); `solnode
rebase` moves a node that never federated; no command but `init` runs on a data dir that was
never initialised (it used to make a second, empty database silently)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from node.cli import main
from node.db import make_engine
from node.settings import load_settings


@pytest.fixture
def node_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder to run `solnode` in, with no SOLNODE_* variable set."""
    for name in [n for n in os.environ if n.startswith("SOLNODE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], base: str, *argv: str
) -> tuple[int, str]:
    monkeypatch.setenv("SOLNODE_BASE_URL", base)
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_an_uninitialised_data_dir_is_refused_and_nothing_is_created(
    node_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["org", "create", "foo", "--name", "Foo"], ["serve"], ["status"], ["demo"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "no node was initialised here" in err
        assert str(node_dir / "data") in err and "solnode.db" in err
        assert "SOLNODE_DATA_DIR" in err and "SOLNODE_DATABASE_URL" in err and "solnode init" in err
    assert not (node_dir / "data").exists()


def test_a_database_without_migrations_is_refused(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    capsys.readouterr()
    empty = node_dir / "other.db"
    empty.touch()
    monkeypatch.setenv("SOLNODE_DATABASE_URL", f"sqlite:///{empty}")
    assert main(["status"]) == 1
    assert "the database was never initialised" in capsys.readouterr().err


def test_a_changed_base_url_is_refused_naming_both_and_the_way_out(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = "http://127.0.0.1:8000", "http://127.0.0.1:8123"
    assert run(monkeypatch, capsys, old, "init")[0] == 0
    for argv in (["status"], ["worker", "--drain"], ["init"]):
        status, out = run(monkeypatch, capsys, new, *argv)
        assert status == 1, argv
        assert old in out and new in out and f"solnode rebase {new}" in out
    # `serve --port` without SOLNODE_BASE_URL is refused too, before it listens.
    monkeypatch.delenv("SOLNODE_BASE_URL")
    assert main(["serve", "--port", "8123"]) == 1
    assert f"created for {old}" in capsys.readouterr().err
    assert run(monkeypatch, capsys, old, "status")[0] == 0


def test_rebase_moves_the_demo_and_then_serves_under_the_new_address(
    node_dir: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On both databases (JSON columns are cast to text and back on PostgreSQL)."""
    monkeypatch.setenv("SOLNODE_DATABASE_URL", database_url)
    old, new = "http://127.0.0.1:8000", "http://127.0.0.1:8123"
    assert run(monkeypatch, capsys, old, "init")[0] == 0
    assert run(monkeypatch, capsys, old, "demo")[0] == 0
    status, out = run(monkeypatch, capsys, old, "rebase", new)
    assert status == 0, out
    assert f"from {old} to {new}" in out
    assert run(monkeypatch, capsys, old, "status")[0] == 1  # the old address is refused now
    assert run(monkeypatch, capsys, new, "status")[0] == 0
    engine = make_engine(load_settings(env={}, database_url=database_url))
    try:
        with engine.connect() as conn:
            for table, column in (
                ("item", "ap_id"),
                ("outbox_activity", "ap_id"),
                ("job", "payload"),
            ):
                rows = conn.execute(text(f"SELECT {column} FROM {table}")).scalars().all()
                assert rows and all(old not in str(r) for r in rows), table
                assert any(new in str(r) for r in rows), table
    finally:
        engine.dispose()


def test_rebase_refuses_a_node_that_federated(
    node_dir: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On both databases (JSON columns are cast to text and back on PostgreSQL)."""
    monkeypatch.setenv("SOLNODE_DATABASE_URL", database_url)
    old = "http://127.0.0.1:8000"
    assert run(monkeypatch, capsys, old, "init")[0] == 0
    assert run(monkeypatch, capsys, old, "org", "create", "nec", "--name", "NEC")[0] == 0
    engine = make_engine(load_settings(env={}, database_url=database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO follower (actor_id, remote_id, inbox, shared_inbox, follow_id,"
                    " state, created_at) SELECT id, 'https://mastodon.example/users/ana', '', '',"
                    " '', 'accepted', CURRENT_TIMESTAMP FROM local_actor WHERE slug = 'nec'"
                )
            )
    finally:
        engine.dispose()
    status, out = run(monkeypatch, capsys, old, "rebase", "http://127.0.0.1:8123")
    assert status == 1 and "1 remote followers" in out and "has federated" in out
    assert run(monkeypatch, capsys, old, "status")[0] == 0  # nothing moved
