"""The dependency rules of docs/architecture.md, enforced by walking the imports."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

NODE = Path(__file__).resolve().parents[2] / "node"
PURE_ALLOWED = {"cryptography", "httpsig", "pyld", "node"}
HTTP_CLIENT_LIBS = {"aiohttp", "httpx", "requests", "urllib3", "http.client", "urllib.request"}
ROUTE_MODULES = {"node/actors/routes.py", "node/web/discovery.py", "node/web/pages.py"}


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = list(path.relative_to(NODE.parent).with_suffix("").parts)
    package = package[:-1]  # the package a relative import starts from
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            found.append((".".join([*base, node.module] if node.module else base), node.lineno))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in NODE.rglob("*.py") if "migrations/versions" not in str(p))


def test_protocol_core_imports_only_stdlib_crypto_and_itself() -> None:
    """Rule 1: node/activitypub/ knows nothing of the database, the web or the network."""
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in (NODE / "activitypub").rglob("*.py"):
        for name, line in _imports(path):
            top = name.split(".")[0]
            if top == "node" and not name.startswith("node.activitypub"):
                bad.append(f"{path.relative_to(NODE.parent)}:{line} imports {name}")
            elif top not in stdlib and top not in PURE_ALLOWED and top != "__future__":
                bad.append(f"{path.relative_to(NODE.parent)}:{line} imports {name}")
            elif name in HTTP_CLIENT_LIBS or top in {"socket", "asyncio", "ssl"}:
                bad.append(f"{path.relative_to(NODE.parent)}:{line} does I/O via {name}")
    assert not bad, "node/activitypub must stay pure:\n" + "\n".join(bad)


def test_only_node_http_creates_outbound_clients() -> None:
    """Rule 3: exactly one module talks HTTP to other servers."""
    bad = []
    for path in _modules():
        rel = str(path.relative_to(NODE.parent))
        if rel == "node/http.py":
            continue
        for name, line in _imports(path):
            if name.split(".")[0] in {"aiohttp", "httpx", "requests", "urllib3"} or name in {
                "http.client",
                "urllib.request",
            }:
                bad.append(f"{rel}:{line} imports {name}")
    assert not bad, "outbound HTTP only through node/http.py:\n" + "\n".join(bad)


def test_routes_are_leaves() -> None:
    """Rule 2: only app.py imports route modules."""
    route_names = {p.removesuffix(".py").replace("/", ".") for p in ROUTE_MODULES} | {
        str(p.relative_to(NODE.parent)).removesuffix(".py").replace("/", ".")
        for p in NODE.rglob("routes*.py")
    }
    bad = []
    for path in _modules():
        rel = str(path.relative_to(NODE.parent))
        if rel == "node/app.py":
            continue
        for name, line in _imports(path):
            if name in route_names:
                bad.append(f"{rel}:{line} imports route module {name}")
    assert not bad, "\n".join(bad)


def test_nothing_runs_at_import_time() -> None:
    """Rule 4: module top levels define things; they never build engines, read settings or
    load keys. (Calls at module level are limited to a small allow-list of pure helpers.)"""
    allowed_calls = {
        "re.compile",
        "frozenset",
        "logging.getLogger",
        "TypeVar",
        "Path",
        "dict",
        "set",
        "tuple",
        "StashKey",
        "field",
        "dataclass",
        "pytest.StashKey",
        "_B58_INDEX",
        "NewType",
        "object",
        "ContextVar",
        "enumerate",
        "bytes.fromhex",
        "len",
        "sorted",
        "Index",
        "UniqueConstraint",
        "Column",
        "Field",
    }
    bad = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for stmt in tree.body:
            targets = []
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                targets = [stmt.value]
            elif isinstance(stmt, ast.Expr):
                targets = [stmt.value]
            for value in targets:
                for call in [n for n in ast.walk(value) if isinstance(n, ast.Call)]:
                    name = ast.unparse(call.func)
                    if name.split("(")[0] in allowed_calls or name.split(".")[-1][:1].isupper():
                        continue
                    if name in {"load_settings", "make_engine", "create_app", "create_engine"} or (
                        "environ" in ast.unparse(call) or "getenv" in name
                    ):
                        bad.append(f"{path.relative_to(NODE.parent)}:{stmt.lineno} calls {name}")
    assert not bad, "\n".join(bad)
