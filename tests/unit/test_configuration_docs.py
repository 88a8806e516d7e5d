"""docs/configuration.md documents every setting node/settings.py reads, with the code's
default, and names no setting the node does not have."""

from __future__ import annotations

import re
from pathlib import Path

from node.limits import Limit
from node.settings import ENV_PREFIX, Settings
from tests.unit.deploy_support import ROOT, setting_names

DOC = ROOT / "docs" / "configuration.md"
# Named in the doc but read by something else; SOLNODE_BASE_ULR is its example of a typo.
NOT_SETTINGS = {"SOLNODE_CONFIG", "SOLNODE_TEST_POSTGRES_URL", "SOLNODE_BASE_ULR"}
# | `SOLNODE_NAME` | `default` or text | meaning |
ROW = re.compile(r"^\| `(SOLNODE_\w+)` \| ([^|]*) \|", re.MULTILINE)


def _rows(path: Path) -> dict[str, str]:
    rows: dict[str, str] = {}
    for name, default in ROW.findall(path.read_text()):
        assert name not in rows, f"{name} has two rows"
        rows[name] = default.strip()
    return rows


def _written(default: object) -> str | None:
    """The default as the docs write it, for the kinds whose default is one plain value."""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, int | Limit):
        return f"`{default}`"
    if isinstance(default, str) and default:
        return f"`{default}`"
    return None


def test_every_setting_has_a_row_in_the_configuration_reference() -> None:
    assert setting_names() - set(_rows(DOC)) == set()


def test_the_reference_names_only_real_settings() -> None:
    mentioned = set(re.findall(r"SOLNODE_[A-Z_]+[A-Z]", DOC.read_text()))
    assert mentioned - setting_names() - NOT_SETTINGS == set()


def test_documented_defaults_are_the_codes_defaults() -> None:
    rows = _rows(DOC)
    wrong = {}
    for name in Settings.__dataclass_fields__:
        expected = _written(getattr(Settings, name, None))
        documented = rows[ENV_PREFIX + name.upper()]
        if expected is not None and documented != expected:
            wrong[name] = (documented, expected)
    assert wrong == {}


def test_defaults_written_as_lists_match_too() -> None:
    rows = _rows(DOC)
    assert rows["SOLNODE_TRUSTED_PROXIES"] == f"`{', '.join(Settings.trusted_proxies)}`"
    assert rows["SOLNODE_DATA_DIR"] == f"`{Settings.data_dir}`"
