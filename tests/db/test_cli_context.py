"""One ``CliContext`` per ``solnode`` run: settings read once, the engine built and the schema
checked once however many commands use it, and one clear message for an unknown slug."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from node import cli_kit, db, migrations
from node.cli import main
from node.cli.parser import build_parser
from node.cli_kit import CliContext, CliError
from node.settings import Settings
from tests.db.cli_support import command_environment


@pytest.fixture
def environment(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    command_environment(monkeypatch, settings)


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Count the calls of ``owner.name`` (still calling it)."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


@pytest.mark.usefixtures("environment")
def test_several_commands_share_one_engine_and_one_migration_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engines = counting(monkeypatch, db, "make_engine")
    upgrades = counting(monkeypatch, migrations, "upgrade")
    loads = counting(monkeypatch, cli_kit, "load_settings")
    ctx = CliContext()
    parser = build_parser()
    commands = [
        ["org", "create", "riverside", "--name", "Riverside Food Co-op"],
        ["network", "create", "ussen", "--name", "U.S. Solidarity Economy Network"],
        ["token", "create", "riverside"],
        ["followers", "riverside"],
        ["members", "ussen"],
        ["memberships", "riverside"],
        ["network", "rules", "ussen"],
        ["relay", "list"],
    ]
    try:
        for argv in commands:
            args = parser.parse_args(argv)
            assert args.func(ctx, args) == 0, argv
    finally:
        ctx.close()
    out = capsys.readouterr().out
    assert "Organization created: @riverside@" in out and "No followers yet." in out
    assert (len(loads), len(engines), len(upgrades)) == (1, 1, 1)


@pytest.mark.usefixtures("environment")
def test_one_command_builds_one_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``admit`` looked its network up, then built a second engine to do the work."""
    assert main(["network", "create", "ussen", "--name", "USSEN"]) == 0
    engines = counting(monkeypatch, db, "make_engine")
    upgrades = counting(monkeypatch, migrations, "upgrade")
    status = main(["admit", "ussen", "https://coop.example/actors/riverside"])
    captured = capsys.readouterr()
    assert status == 1  # no such request: the refusal is one line, not a traceback
    assert captured.err.startswith("solnode: error: ")
    assert (len(engines), len(upgrades)) == (1, 1)


@pytest.mark.usefixtures("environment")
def test_unknown_slug_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["followers", "nobody"], ["note", "nobody", "Hello"], ["members", "nobody"]):
        assert main(argv) == 1
        assert capsys.readouterr().err == (
            "solnode: error: no organization or network with slug 'nobody' on this node\n"
        )
    ctx = CliContext()
    try:
        with pytest.raises(CliError, match="no organization or network with slug 'ghost'"):
            ctx.local_actor("ghost")
    finally:
        ctx.close()


@pytest.mark.usefixtures("environment")
def test_settings_change_only_before_the_database_opens() -> None:
    ctx = CliContext(base_url="https://node.example")
    assert ctx.settings.base_url == "https://node.example"
    ctx.adopt(ctx.settings)
    assert ctx.engine is not None  # opened now
    try:
        with pytest.raises(RuntimeError):
            ctx.adopt(ctx.settings)
    finally:
        ctx.close()
