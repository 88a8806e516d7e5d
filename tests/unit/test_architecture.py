"""The dependency rules of docs/architecture.md, enforced by walking every import.

Each rule lists every place that breaks it; none may.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

from tests.unit.imports_graph import NODE, cycles, edges, imports_of, module_name, modules

PURE_ALLOWED = {"cryptography", "pyld", "rfc8785", "http_sf", "idna", "node"}
# aiohappyeyeballs and httptools: the connect and the answer parser of the transport
HTTP_CLIENT_LIBS = {"aiohttp", "aiohappyeyeballs", "httptools", "httpx", "requests", "urllib3"}
# the client, and the lean transport its requests go through (its pool, its connections)
HTTP_CLIENT_MODULES = {
    "node.federation.http",
    "node.federation.http_transport",
    "node.federation.http_wire",
}

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS: list[tuple[str, int]] = [
    ("node.activitypub", 0),
    ("node.content", 1),
    ("node.settings", 1),
    ("node.settings_values", 1),
    ("node.limits", 1),
    ("node.db", 1),
    ("node.models", 1),
    ("node.migrations", 1),
    ("node.urls", 1),
    ("node.keyset", 1),
    ("node.keycache", 1),
    ("node.heap", 1),
    ("node.byte_lru", 1),
    ("node.ratelimit", 1),
    ("node.spent_tokens", 1),
    ("node.federation", 2),
    ("node.web", 3),
    ("node.api", 3),
    ("node.features", 4),
    ("node.app", 5),
    ("node.cli_kit", 3),  # the kit the commands are written with (CliContext)
    ("node.cli", 5),
    ("node.wiring", 5),
]
LAYER_NAMES = ["activitypub", "base", "federation", "web/api kits", "features", "composition"]

# What a feature may use of another (anything else between features is a break).
DECLARED_USES: dict[str, set[str]] = {
    "networks": {"publishing", "follows", "profiles", "moderation"},
    "feeds": {"publishing", "networks"},
    "bridges": {"publishing", "networks", "profiles"},
    "site": {"feeds", "publishing", "networks", "search"},
    "search": {"networks"},
    "profiles": {"publishing", "media"},
    "participation": {"mail"},
    "follows": set(),
    "moving": {"follows"},
    "interactions": {"publishing"},
    "moderation": set(),
    "publishing": {"participation", "media", "mail"},
    "media": set(),
    "mail": set(),
    "workspace": {
        "publishing",
        "profiles",
        "media",
        "follows",
        "participation",
        "moderation",
        "networks",
    },
}


def layer_of(module: str) -> int:
    """The layer of a node module (``node`` itself, the version, is the lowest)."""
    best, found = "", 1
    for prefix, layer in LAYERS:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best, found = prefix, layer
    if module == "node":
        return 0
    assert best, f"{module} is in no layer: add it to LAYERS in this test"
    return found


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "features" else None


def _none(found: set[str], what: str) -> None:
    assert not found, f"{what}:\n  " + "\n  ".join(sorted(found))


def test_layers_import_only_downward() -> None:
    """Rule 2: nothing imports a higher layer, function-level imports included."""
    found = set()
    for source, target, imp in edges(include_type_only=False):
        if layer_of(target) > layer_of(source):
            found.add(f"{source} -> {target}")
    _none(found, "upward imports")


def test_features_use_only_declared_features() -> None:
    """Features are independent of each other except through declared uses."""
    found = set()
    for source, target, _ in edges(include_type_only=True):
        mine, theirs = feature_of(source), feature_of(target)
        if mine and theirs and mine != theirs and theirs not in DECLARED_USES.get(mine, set()):
            found.add(f"{source} -> {target}")
    _none(found, "undeclared uses between features")


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in edges():
        graph[source].add(target)
    found = {" <-> ".join(component) for component in cycles(graph)}
    _none(found, "import cycles between modules")


def test_no_import_cycles_between_packages() -> None:
    def package(module: str) -> str:
        path = modules()[module]
        return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _ in edges():
        a, b = package(source), package(target)
        # a package's __init__ may gather its own modules; that is not a cycle of packages
        if a != b and not b.startswith(a + "."):
            graph[a].add(b)
    found = {" <-> ".join(component) for component in cycles(graph)}
    _none(found, "import cycles between packages")


def test_function_level_imports_say_why() -> None:
    """An import inside a function needs a reason in a comment (optional dependency, start-up
    cost); dodging an import cycle is not one."""
    found = set()
    for path in modules().values():
        for imp in imports_of(path):
            if imp.function_level and not imp.why.lower().startswith("lazy:"):
                found.add(f"{imp.source}:{imp.target}")
    _none(found, "function-level imports without a reason")


def test_protocol_core_imports_only_stdlib_crypto_and_itself() -> None:
    """Rule 1: node/activitypub/ knows nothing of the database, the web or the network."""
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in (NODE / "activitypub").rglob("*.py"):
        for imp in imports_of(path):
            top = imp.target.split(".")[0]
            where = f"{path.relative_to(NODE.parent)}:{imp.line}"
            if top == "node" and not imp.target.startswith("node.activitypub"):
                bad.append(f"{where} imports {imp.target}")
            elif top not in stdlib and top not in PURE_ALLOWED and top != "__future__":
                bad.append(f"{where} imports {imp.target}")
            elif (
                top in HTTP_CLIENT_LIBS or top in {"socket", "asyncio", "ssl", "http", "urllib"}
            ) and not imp.target.startswith("urllib.parse"):
                bad.append(f"{where} does I/O via {imp.target}")
    assert not bad, "node/activitypub must stay pure:\n" + "\n".join(bad)


def test_only_the_federation_client_makes_outbound_requests() -> None:
    """Rule 3: exactly one module talks HTTP to other servers."""
    bad = []
    for name, path in modules().items():
        if name in HTTP_CLIENT_MODULES:
            continue
        for imp in imports_of(path):
            if imp.target.split(".")[0] in HTTP_CLIENT_LIBS or imp.target.startswith(
                ("http.client", "urllib.request")
            ):
                bad.append(f"{name}:{imp.line} imports {imp.target}")
    assert not bad, f"outbound HTTP only through {sorted(HTTP_CLIENT_MODULES)}:\n" + "\n".join(bad)


def test_the_node_does_not_import_aiohttp() -> None:
    # The outbound transport replaced it (its ~8 MiB were an idle node's); tests and benches
    # still run aiohttp.web servers as the other side.
    bad = [
        f"{name}:{imp.line}"
        for name, path in modules().items()
        for imp in imports_of(path)
        if imp.target.split(".")[0] == "aiohttp"
    ]
    assert not bad, "node/ imports aiohttp:\n" + "\n".join(bad)


def route_modules() -> set[str]:
    """Modules that define routes: a ``routes()`` list, a ``*_route`` function or an API
    ``@endpoint``."""
    found = set()
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        for stmt in tree.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = {ast.unparse(d).split("(")[0] for d in stmt.decorator_list}
            if stmt.name == "routes" or stmt.name.endswith("_route") or "endpoint" in decorators:
                found.add(name)
    return found


def test_route_modules_are_found() -> None:
    """The detector of route modules still sees the ones we know (guards the next test)."""
    known = {
        "node.federation.inbox.routes",
        "node.features.networks.api",
        "node.features.publishing.api",
        "node.features.feeds.routes",
    }
    assert known <= route_modules()


def test_routes_are_leaves() -> None:
    """Only the composition root imports route modules."""
    routes = route_modules()
    bad = sorted(
        f"{source} imports route module {target}"
        for source, target, _ in edges(include_type_only=True)
        if target in routes and layer_of(source) < 5
    )
    _none(set(bad), "imports of route modules")


# Calls a module's top level may make: constructors of plain values and declarations.
IMPORT_TIME_CALLS = {
    "re.compile",
    "N_",  # marks a string for the gettext catalogue; returns it unchanged
    "frozenset",
    "logging.getLogger",
    "TypeVar",
    "Path",
    "dict",
    "set",
    "tuple",
    "list",
    "field",
    "dataclass",
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
    "Relationship",
    "ForeignKey",
    "JSON",
    "String",
    "Text",
    "LargeBinary",
    "BigInteger",
    "Integer",
    "DateTime",
    "Boolean",
    "Float",
    "Enum",
    "Decimal",
    "timedelta",
    "range",
    "zip",
    "str",
    "int",
    "float",
    "max",
    "min",
    "ord",
    "chr",
    "map",
    "isinstance",
    "Path(__file__).resolve",
    # declarations from the libraries we build on (no I/O, no state)
    "padding.PKCS1v15",
    "padding.PSS",
    "padding.MGF1",
    "hashes.SHA256",
    "hashes.SHA512",
    "MappingProxyType",
    "ipaddress.IPv6Network",
    "ipaddress.IPv4Network",
    "text",
    "bindparam",
    "threading.local",
    "copy.deepcopy",
    "weakref.WeakKeyDictionary",
}


# Calls that build a constant from a pure value type of this project, or read a dict's values.
IMPORT_TIME_CALLS_OF_MODULES = {
    "node.api.openapi_schemas:IMAGE_TYPES.values",
    "node.features.feeds.entries:ICAL_STATUS.values",
    "node.federation.inbox.forwarded:Limits",
    "node.federation.inbox.process:RetryPolicy",
    "node.features.mail.jobs:RetryPolicy",
    "node.migrations.env:config.attributes.get",  # Alembic runs env.py to migrate
    # which rows a relationship collection lists (a frozen dataclass of column references)
    "node.features.networks.member_lists:id_pages.Listing",
    "node.features.profiles.routes:id_pages.Listing",
}


def test_nothing_runs_at_import_time() -> None:
    """Rule 4: module top levels define things; they never build engines, read settings, load
    keys or do I/O. Every call at module level is on an allow-list of plain constructors, or
    is a class of this module (a dataclass or an enum instance) or a listed exception."""
    bad = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        own = {s.name for s in tree.body if isinstance(s, ast.ClassDef | ast.FunctionDef)}
        for stmt in tree.body:
            values: list[ast.expr] = []
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                values = [stmt.value]
            elif isinstance(stmt, ast.Expr):
                values = [stmt.value]
            for value in values:
                for call in [n for n in ast.walk(value) if isinstance(n, ast.Call)]:
                    func = ast.unparse(call.func)
                    if func in IMPORT_TIME_CALLS or func.split(".")[0] in own:
                        continue
                    if func.startswith("text(") and func.endswith(").bindparams"):
                        continue
                    if f"{name}:{func}" in IMPORT_TIME_CALLS_OF_MODULES:
                        continue
                    bad.append(f"{path.relative_to(NODE.parent)}:{stmt.lineno} calls {func}")
    assert not bad, "\n".join(bad)


def _long_functions() -> dict[str, int]:
    found = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    found[f"{name}.{node.name}"] = length
    return found


def test_modules_stay_small() -> None:
    """One noun per module: none over 400 lines (migrations aside)."""
    found = {
        module_name(path) for path in modules().values() if len(path.read_text().splitlines()) > 400
    }
    _none(found, "modules over 400 lines")


def test_functions_stay_short() -> None:
    _none(set(_long_functions()), "functions over 60 lines")


def test_every_package_is_in_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_the_contract_sees_function_level_imports(tmp_path: Path) -> None:
    """The walker finds imports inside functions and under TYPE_CHECKING (guards the rest)."""
    sample = NODE / "federation" / "worker.py"
    assert any(not i.function_level for i in imports_of(sample))
    code = "def f():\n    from node.app import create_app  # lazy: start-up cost\n"
    probe = NODE / "_probe_for_test.py"
    try:
        probe.write_text(code)
        (imp,) = [i for i in imports_of(probe) if i.target.startswith("node.app")]
        assert imp.function_level and imp.why == "lazy: start-up cost"
    finally:
        probe.unlink()
