"""``solnode doctor``'s checks that need no network, each shown the problem it claims to find
(on SQLite and PostgreSQL): a stale schema, an old ready job, dead jobs, an open circuit, the
data dir, and the public URL's scheme and host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from node import migrations
from node.federation import jobs
from node.federation.doctor import local
from node.settings import Settings, load_settings


def test_a_migrated_database_is_healthy(engine: Engine, settings: Settings) -> None:
    results = [
        local.migrations_current(engine),
        local.queue(engine),
        local.dead_jobs(engine),
        local.open_circuits(engine),
    ]
    assert [r.status for r in results] == ["OK"] * 4, results


@pytest.fixture
def restore_revision(engine: Engine) -> Iterator[str]:
    """The head revision; put back afterwards (the PostgreSQL schema is shared by the tests)."""
    head = migrations.head_revision()
    assert head is not None
    yield head
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})


def test_a_stale_schema_fails(engine: Engine, restore_revision: str) -> None:
    older = f"{int(restore_revision) - 1:04d}"
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
    result = local.migrations_current(engine)
    assert result.status == "FAIL"
    assert older in result.detail and "solnode migrate" in result.hint


def test_an_empty_database_fails(engine: Engine, restore_revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    result = local.migrations_current(engine)
    assert result.status == "FAIL" and "solnode init" in result.hint


def test_an_old_ready_job_warns_and_a_fresh_one_does_not(engine: Engine) -> None:
    now = time.time()
    with engine.begin() as conn:
        jobs.enqueue(conn, "deliver", {"n": 1}, now=now - 60)
    assert local.queue(engine, now=now).status == "OK"
    with engine.begin() as conn:
        jobs.enqueue(conn, "deliver", {"n": 2}, now=now - 2 * local.OLD_READY_JOB)
    result = local.queue(engine, now=now)
    assert result.status == "WARN"
    assert result.detail.startswith("2 job(s) due") and "worker" in result.hint


def test_dead_jobs_warn(engine: Engine) -> None:
    with engine.begin() as conn:
        jobs.enqueue(conn, "deliver", {"n": 1})
        conn.execute(text("UPDATE job SET state = 'dead'"))
    result = local.dead_jobs(engine)
    assert result.status == "WARN" and "1 deliver" in result.detail


def test_an_open_circuit_warns_and_a_closed_one_does_not(engine: Engine) -> None:
    now = time.time()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO host_state (host, consecutive_failures, open_until, last_error)"
                " VALUES ('gone.example', 9, :open, ''), ('back.example', 0, :closed, '')"
            ),
            {"open": now + 600, "closed": now - 600},
        )
    result = local.open_circuits(engine, now=now)
    assert result.status == "WARN"
    assert "gone.example" in result.detail and "back.example" not in result.detail


def test_a_missing_data_dir_fails_and_low_space_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert local.disk_space(tmp_path / "nowhere").status == "FAIL"
    # A disk cannot be filled in a test: the threshold is raised above any real disk instead.
    monkeypatch.setattr(local, "LOW_DISK_BYTES", 1 << 60)
    assert local.disk_space(tmp_path).status == "WARN"


@pytest.mark.parametrize(
    ("base_url", "status"),
    [
        ("http://127.0.0.1:8000", "WARN"),  # loopback development
        ("https://192.168.1.20", "WARN"),  # not reachable from the internet
        ("https://node.localhost", "WARN"),
        ("https://node.example.org", "OK"),
    ],
)
def test_the_public_url(base_url: str, status: str, tmp_path: Path) -> None:
    settings = load_settings(env={}, base_url=base_url, data_dir=str(tmp_path))
    assert local.public_url(settings).status == status
