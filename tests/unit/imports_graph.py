"""Every import inside node/, read from the source (function-level ones included), for the
architecture contract tests."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

NODE = Path(__file__).resolve().parents[2] / "node"


@dataclass(frozen=True)
class Import:
    """One imported name: ``target`` is the module (or ``module.attribute``) it names."""

    source: str  # dotted module doing the import
    target: str
    line: int
    function_level: bool
    type_only: bool  # under ``if TYPE_CHECKING:``
    why: str  # the comment that explains a function-level import ("" when none)


def module_name(path: Path) -> str:
    """``node/federation/http.py`` -> ``node.federation.http`` (packages drop ``__init__``)."""
    parts = list(path.relative_to(NODE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the node (migration scripts aside), by dotted name."""
    return {
        module_name(p): p for p in sorted(NODE.rglob("*.py")) if "migrations/versions" not in str(p)
    }


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


@functools.cache
def imports_of(path: Path) -> list[Import]:
    """The imports of one file, with where they stand."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source, filename=str(path))
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[Import] = []

    def why(line: int) -> str:
        text = lines[line - 1]
        if "#" in text:
            return text.split("#", 1)[1].strip()
        above = lines[line - 2].strip() if line >= 2 else ""
        return above.lstrip("# ").strip() if above.startswith("#") else ""

    def visit(node: ast.AST, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, True, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), in_function, type_only)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(
                        Import(
                            name,
                            alias.name,
                            child.lineno,
                            in_function,
                            type_only,
                            why(child.lineno),
                        )
                    )
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                for alias in child.names:
                    found.append(
                        Import(
                            name,
                            f"{module}.{alias.name}",
                            child.lineno,
                            in_function,
                            type_only,
                            why(child.lineno),
                        )
                    )
            else:
                visit(child, in_function, type_only)

    visit(tree, False, False)
    return found


def resolve(target: str, known: dict[str, Path]) -> str | None:
    """The node module an imported name lives in (``node.db.now_utc`` -> ``node.db``)."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in known:
            return candidate
    return None


@functools.cache
def edges(*, include_type_only: bool = False) -> list[tuple[str, str, Import]]:
    """(importer, imported module, import) for every import of one node module by another."""
    known = modules()
    out = []
    for path in known.values():
        for imp in imports_of(path):
            if imp.type_only and not include_type_only:
                continue
            target = resolve(imp.target, known)
            if target is not None and target != imp.source:
                out.append((imp.source, target, imp))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return result
