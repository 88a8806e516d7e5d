"""`solnode user create` stores an argon2 hash that signing in reads, and `solnode user grant`
gives a role; a hash from before the workspace (scrypt) still signs in, and is upgraded."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.cli import main
from node.db import session_scope
from node.models import StaffRole, UserAccount
from node.settings import Settings
from tests.db.workspace_support import make_actor, sign_in, user_row


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.delenv("SOLNODE_CONFIG", raising=False)
    for key, value in {
        "SOLNODE_BASE_URL": settings.base_url,
        "SOLNODE_DATA_DIR": str(settings.data_dir),
        "SOLNODE_DATABASE_URL": settings.database_url,
        "SOLNODE_SECRET_KEY": settings.secret_key,
    }.items():
        monkeypatch.setenv(key, value)


def test_a_person_made_on_the_command_line_signs_in_with_the_role_granted_there(
    engine: Engine,
    settings: Settings,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_actor(engine, "coop-bakery")
    _cli_env(monkeypatch, settings)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["user", "create", "Ana@Example.org", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "User ana@example.org created" in out and "/workspace" in out
    assert user_row(engine, "ana@example.org").password_hash.startswith("$argon2id$")

    assert main(["user", "grant", "ana@example.org", "coop-bakery", "--role", "editor"]) == 0
    assert "ana@example.org is now editor of @coop-bakery." in capsys.readouterr().out
    assert main(["user", "grant", "ana@example.org", "coop-bakery", "--role", "admin"]) == 0
    with Session(engine) as session:
        assert [r.role for r in session.exec(select(StaffRole)).all()] == ["admin"]
    assert main(["user", "grant", "nobody@example.org", "coop-bakery", "--role", "admin"]) == 1
    assert "no user with e-mail nobody@example.org" in capsys.readouterr().err
    assert main(["user", "grant", "ana@example.org", "no-such-org", "--role", "admin"]) == 1
    assert "no organization or network" in capsys.readouterr().err

    assert sign_in(client, "ana@example.org", "a long enough password").status_code == 303
    assert "you are admin" in client.get("/workspace/coop-bakery").text


def test_a_short_password_on_the_command_line_is_refused(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _cli_env(monkeypatch, settings)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "create", "ana@example.org", "--password-stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    with Session(engine) as session:
        assert session.exec(select(UserAccount)).first() is None


def test_an_old_scrypt_hash_still_signs_in_and_becomes_argon2(
    client: TestClient, engine: Engine
) -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(b"an older password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with session_scope(engine) as session:
        session.add(
            UserAccount(
                email="old@example.org",
                password_hash=f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}",
            )
        )
    assert sign_in(client, "old@example.org", "an older passworD").status_code == 400
    assert user_row(engine, "old@example.org").password_hash.startswith("scrypt$")
    assert sign_in(client, "old@example.org", "an older password").status_code == 303
    assert user_row(engine, "old@example.org").password_hash.startswith("$argon2id$")
