"""Running `solnode` commands in process against a test's database.

A command reads its settings from the SOLNODE_* variables alone, so a test clears every one it
inherited and sets those of its own database (``command_environment``); ``run`` calls the CLI's
``main`` and returns its status with everything it printed.
"""

from __future__ import annotations

import os

import pytest

from node.cli import main
from node.settings import Settings


def command_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The SOLNODE_* variables of ``settings`` (and a secret key), and no other."""
    for name in [n for n in os.environ if n.startswith("SOLNODE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SOLNODE_BASE_URL", settings.base_url)
    monkeypatch.setenv("SOLNODE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOLNODE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOLNODE_SECRET_KEY", "test-secret")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``solnode ARGV`` in process: its exit status, and its standard output and error."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err
