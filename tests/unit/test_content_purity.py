"""The content layer is pure: no database, no web framework, no network, nothing at import time.

node/content/{fields,markdown,events,calls,news,summary,i18n,essglobal,envelope} are functions of their
input, the ids and the clock passed in, so they are tested without a database and reused by the
API, the HTML pages and the feeds alike.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CONTENT = Path(__file__).resolve().parents[2] / "node" / "content"
PURE = [
    *sorted((CONTENT / "fields").glob("*.py")),
    *(
        CONTENT / f"{name}.py"
        for name in (
            "markdown",
            "events",
            "objects",
            "places",
            "series",
            "calls",
            "news",
            "summary",
            "i18n",
            "essglobal",
            "envelope",
        )
    ),
]
ALLOWED_THIRD_PARTY = {"markdown_it", "nh3"}
ALLOWED_NODE = ("node.activitypub", "node.content.fields", "node.content.markdown", "node.content.events",
                "node.content.objects", "node.content.places", "node.content.series",
                "node.content.calls", "node.content.news", "node.content.summary", "node.content.i18n",
                "node.content.essglobal", "node.content.envelope", "node.urls")  # fmt: skip
NO_IO = {"socket", "ssl", "asyncio", "http", "urllib.request", "sqlite3", "subprocess"}


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_the_content_modules_import_only_pure_things() -> None:
    bad = []
    for path in PURE:
        for name in imported(path):
            top = name.split(".")[0]
            if top == "node":
                if not name.startswith(ALLOWED_NODE):
                    bad.append(f"{path.name} imports {name}")
            elif name in NO_IO or top in NO_IO - {"http"} or name == "http.client":
                bad.append(f"{path.name} does I/O through {name}")
            elif (
                top not in sys.stdlib_module_names
                and top not in ALLOWED_THIRD_PARTY
                and top != "__future__"
            ):
                bad.append(f"{path.name} imports {name}")
    assert not bad, "\n".join(bad)


def test_every_pure_module_exists() -> None:
    assert all(path.exists() for path in PURE)
    assert len(PURE) >= 12
