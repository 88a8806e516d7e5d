"""Reading the files in deploy/ as the programs that use them do: compose's variable
interpolation, systemd's unit syntax, the Dockerfile's instructions, and .env files."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from node.cli.parser import build_parser
from node.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as docker compose's .env and systemd's EnvironmentFile read them."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: {line!r} is not KEY=VALUE"
            values[key.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${...}`` interpolation; a required variable missing from env is an error."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op and op.endswith("?") and not value:
            raise AssertionError(f"compose needs {name}: {arg}")
        if value is None or (op == ":-" and not value):
            return arg if op and op.endswith("-") else ""
        return value

    return _INTERPOLATION.sub(one, text)


def compose_document() -> dict[str, Any]:
    """deploy/compose.yaml as loaded YAML, before interpolation (YAML merge keys resolved)."""
    document = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def setting_names() -> set[str]:
    """Every SOLNODE_* variable node/settings.py reads."""
    return {ENV_PREFIX + name.upper() for name in Settings.__dataclass_fields__}


def parse_solnode(argv: list[str]) -> None:
    """Refuse (AssertionError) a command line that is no `solnode` command."""
    assert argv, "an empty command"
    assert Path(argv[0]).name == "solnode", f"{argv} does not run solnode"
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as exc:
        raise AssertionError(f"`{shlex.join(argv)}` is no valid solnode command") from exc


def read_unit(path: Path) -> configparser.ConfigParser:
    """A systemd unit file's sections and keys (case kept)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(path.read_text(), source=str(path))
    return parser


def dockerfile_stages(path: Path) -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, f"{line!r} comes before the first FROM"
        stages[-1].append((instruction.upper(), rest.strip()))
    return stages
