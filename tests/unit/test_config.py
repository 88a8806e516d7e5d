"""Configuration: sensible defaults, and one clear message for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.settings import ConfigError, ensure_secret, load_settings


def test_defaults_give_a_local_sqlite_node(tmp_path: Path) -> None:
    s = load_settings(env={"SOLNODE_DATA_DIR": str(tmp_path)})
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'solnode.db'}"
    assert s.host == "127.0.0.1:8000" and s.is_loopback
    assert s.allow_hosts == frozenset()


def test_environment_and_toml_file(tmp_path: Path) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text('base_url = "https://node.example.org"\ninstance_name = "From file"\n')
    s = load_settings(
        env={
            "SOLNODE_CONFIG": str(cfg),
            "SOLNODE_DATABASE_URL": "postgres://u@db:5432/solnode",
            "SOLNODE_ALLOW_HOSTS": "127.0.0.1, Localhost ,",
            "SOLNODE_INSTANCE_NAME": "From env",
        }
    )
    assert s.base_url == "https://node.example.org" and not s.is_loopback
    assert s.database_url == "postgresql+psycopg://u@db:5432/solnode"
    assert s.allow_hosts == {"127.0.0.1", "localhost"}
    assert s.instance_name == "From env"  # the environment wins over the file


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SOLNODE_BASE_URL": "http://node.example.org"}, "must use https://"),
        ({"SOLNODE_BASE_URL": "node.example.org"}, "absolute URL"),
        ({"SOLNODE_BASE_URL": "https://node.example.org/path"}, "just scheme://host"),
        ({"SOLNODE_BASE_URL": "https://node.example.org:99999"}, "bad port"),
        ({"SOLNODE_DATABASE_URL": "mysql://x"}, "SOLNODE_DATABASE_URL"),
        ({"SOLNODE_AUTHORIZED_FETCH": "maybe"}, "true or false"),
        ({"SOLNODE_BASE_URLL": "https://x.org"}, "unknown setting(s): SOLNODE_BASE_URLL"),
        ({"SOLNODE_CONFIG": "/nonexistent/solnode.toml"}, "does not exist"),
        ({"SOLNODE_REMOTE_ACTOR_MAX_AGE": "-5"}, "at least 0"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env=env)
    assert message in str(info.value)


def test_http_allowed_for_loopback_hosts() -> None:
    for url in (
        "http://127.0.0.1:8001",
        "http://localhost:8000",
        "http://[::1]:8000",
        "http://127.0.0.2",
    ):
        assert load_settings(env={"SOLNODE_BASE_URL": url}).scheme == "http"


def test_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    s = load_settings(env={"SOLNODE_DATA_DIR": str(tmp_path)})
    assert s.secret_key == ""
    s2 = ensure_secret(s)
    assert len(s2.secret_key) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(env={"SOLNODE_DATA_DIR": str(tmp_path)}).secret_key == s2.secret_key
