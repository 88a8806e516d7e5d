"""Shared fixtures: settings, a migrated database on SQLite AND PostgreSQL, the app, a client.

Database tests take the ``database_url`` fixture (directly or through ``engine``); it is
parametrized over both dialects. PostgreSQL comes from SOLNODE_TEST_POSTGRES_URL (default:
this machine's trust-auth server, database ``test``); every test gets its own schema, so tests
and the node processes they start never see each other's rows. Set the variable to ``skip``
to run without PostgreSQL on a laptop; CI never does.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from node import migrations
from node.app import create_app
from node.db import make_engine
from node.settings import Settings, load_settings, normalize_database_url
from tests.harness.fixtures import *  # noqa: F403  (fedify_peer, fedify_peer_factory)
from tests.harness.nodes import NodeFactory, make_node_factory

# The marker each folder's tests get (see pyproject's markers): ``-m "unit or db"`` is the edit loop.
# Listed slowest first: the suite runs in that order, so that under pytest-xdist (make pytest:
# --dist loadfile --no-loadscope-reorder) the long integration and browser files start first and
# the many short unit files fill the workers at the end, instead of one slow file running alone.
FOLDER_ORDER = ("integration", "browser", "db", "unit")
FOLDER_MARKERS = set(FOLDER_ORDER)
TESTS_DIR = Path(__file__).parent


def _folder(item: pytest.Item) -> str | None:
    try:
        folder = item.path.relative_to(TESTS_DIR).parts[0]
    except ValueError:  # a test file given from outside tests/ gets no folder marker
        return None
    return folder if folder in FOLDER_MARKERS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the name of its folder under tests/, so that ``-m`` selects by
    folder, and put the folders in FOLDER_ORDER (a stable sort: each file stays in one piece)."""
    for item in items:
        folder = _folder(item)
        if folder is not None:
            item.add_marker(folder)
    rank = {folder: i for i, folder in enumerate(FOLDER_ORDER)}
    items.sort(key=lambda item: rank.get(_folder(item) or "", len(rank)))


PG_URL = os.environ.get("SOLNODE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DIALECTS = ["sqlite", "postgresql"]


def _pg_admin_engine() -> Engine:
    return create_engine(normalize_database_url(PG_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """A connection to the PostgreSQL test database for creating per-test schemas."""
    if PG_URL == "skip":
        pytest.skip("PostgreSQL disabled with SOLNODE_TEST_POSTGRES_URL=skip")
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # CI must see this as an error, not a skip
        raise RuntimeError(
            f"PostgreSQL at {PG_URL} is not reachable ({exc}); start it or set "
            "SOLNODE_TEST_POSTGRES_URL (or 'skip' to run SQLite only)"
        ) from exc
    yield engine
    engine.dispose()


def pg_schema_url(admin: Engine, schema: str) -> str:
    """A database URL whose connections use their own schema (search_path)."""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = normalize_database_url(PG_URL)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_pg_schema(admin: Engine, schema: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (migrating every test
    from scratch was most of the suite's time)."""
    path = tmp_path_factory.mktemp("template") / "node.db"
    eng = create_engine(f"sqlite:///{path}")
    migrations.upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def pg_test_schema(pg_admin: Engine) -> Iterator[str]:
    """One migrated PostgreSQL schema for the session's database tests, emptied before each."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_schema_url(pg_admin, schema)
    eng = create_engine(url)
    migrations.upgrade(eng)
    eng.dispose()
    try:
        yield url
    finally:
        drop_pg_schema(pg_admin, schema)


def _empty_pg_schema(url: str) -> None:
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
                if name != "alembic_version"
            ]
            if tables:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(
                    text(
                        "TRUNCATE "
                        + ", ".join(f'"{t}"' for t in tables)
                        + " RESTART IDENTITY CASCADE"
                    )
                )
    finally:
        eng.dispose()


@pytest.fixture(params=DIALECTS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with no rows: a copy of the SQLite template, or the session's
    PostgreSQL schema emptied."""
    if request.param == "sqlite":
        target = tmp_path / "node.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url: str = request.getfixturevalue("pg_test_schema")
    _empty_pg_schema(url)
    yield url


@pytest.fixture
def node_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NodeFactory]:
    """Start real `solnode serve` processes on loopback ports (SQLite files by default; set
    ``@pytest.mark.parametrize("node_db", ["postgresql"], indirect=True)`` for PostgreSQL)."""
    dialect = getattr(request, "param", None) or "sqlite"
    schemas: list[str] = []
    counter = iter(range(1000))

    def database_url() -> str:
        if dialect == "sqlite":
            return f"sqlite:///{tmp_path / f'node-{next(counter)}.db'}"
        admin: Engine = request.getfixturevalue("pg_admin")
        schema = f"n_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        return pg_schema_url(admin, schema)

    yield from make_node_factory(tmp_path, database_url)
    if schemas:
        admin = request.getfixturevalue("pg_admin")
        for schema in schemas:
            drop_pg_schema(admin, schema)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of a loopback node at http://127.0.0.1:8000 on the test database."""
    return load_settings(
        env={},
        base_url="http://127.0.0.1:8000",
        data_dir=str(tmp_path / "data"),
        database_url=database_url,
        secret_key="test-secret",
        allow_hosts="127.0.0.1",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    eng = make_engine(settings)
    migrations.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Starlette:
    """The web app (no in-process worker: tests step jobs themselves)."""
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: Starlette, settings: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client for the app, addressed as the node's own host."""
    with TestClient(app, base_url=settings.base_url) as tc:
        yield tc
