"""Database engine and sessions. Dialect differences between SQLite and PostgreSQL live here only."""

from __future__ import annotations

import json
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event, exc, func
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from node.settings import Settings

_Row = TypeVar("_Row")


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive datetime read back from SQLite (we only ever store UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def epoch() -> float:
    """Seconds since the epoch; jobs use plain numbers so both dialects compare them the same."""
    return time.time()


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether this engine or connection talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Create the engine for ``settings.database_url`` with the per-dialect setup we rely on."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    # The same ceiling as 10 kept + 10 overflow (docs/scaling.md), all kept: an overflow
    # connection was closed on its return and opened again a moment later, and a worker running
    # 32 inbox jobs opened one every third job (a PostgreSQL backend started each time).
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 0)
    if kwargs.get("poolclass") is NullPool:
        kwargs.pop("pool_size")
        kwargs.pop("max_overflow")
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    # A pooled connection's liveness, checked without a round trip. SQLAlchemy's pool_pre_ping
    # sent an empty query on every checkout, a round trip per request of every page (a third
    # to a fifth of a collection page's, docs/benchmarks.md). An idle connection has nothing
    # to read: when its backend is terminated (pg_terminate_backend, a restart, a crash, an
    # idle timeout) the server's FATAL message or the socket's end arrives, and the socket
    # polls readable. Only then is the empty query sent, as pool_pre_ping would, and a
    # connection it finds dead invalidates the pool (every connection older than it is
    # replaced at its checkout), exactly as pool_pre_ping did: the request then runs on a new
    # connection instead of failing. tests/db/test_pool_liveness.py kills backends.
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if _quiet(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:
            raise exc.InvalidatePoolError(f"connection found dead on checkout: {err}") from err


def _quiet(dbapi_conn: Any) -> bool:
    """Whether a psycopg connection is idle with nothing waiting to be read (no round trip:
    one poll of its socket). False also for a connection already closed or in a transaction."""
    if dbapi_conn.closed or dbapi_conn.info.transaction_status != 0:  # 0: TransactionStatus.IDLE
        return False
    poller = select.poll()
    poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling issues BEGIN lazily and never BEGIN IMMEDIATE, so we
    # take it over (the SQLAlchemy-documented recipe): the driver runs in autocommit mode and
    # we emit BEGIN ourselves. A connection with execution option sqlite_immediate=True takes
    # the write lock up front, which is what the job claim needs with several threads.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A Core connection in a write transaction (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in a write transaction: commits on success, rolls back on error.

    On SQLite the transaction starts with BEGIN IMMEDIATE, like ``write_connection``. A plain
    (deferred) BEGIN reads first and asks for the write lock at its first write; in WAL mode
    that upgrade fails at once with "database is locked" whenever another connection has
    committed since the read began (busy_timeout does not apply to it). Under a burst of inbox
    jobs that was most of them, and each failure cost a retry with back-off (found by
    tests/integration/test_no_lost_work.py). Code that only reads uses a plain ``Session``.
    """
    with write_connection(engine) as conn, Session(bind=conn, expire_on_commit=False) as session:
        yield session
        # Flushes; the transaction itself is committed by write_connection on the way out.
        session.commit()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for a request that only reads: on PostgreSQL its connection is in autocommit,
    so no BEGIN before its first statement and no ROLLBACK when it goes back to the pool (two
    round trips of a page's three to five). What it reads is the same: under READ COMMITTED,
    PostgreSQL's default, each statement of a transaction sees its own snapshot anyway. Nothing
    written through it would be rolled back, so it is for reading only. SQLite keeps its plain
    session (its BEGIN is in-process, and its driver's autocommit switch would undo the
    transaction handling of ``_configure_sqlite``)."""
    if is_sqlite(engine):
        with Session(engine) as session:
            yield session
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # psycopg prepares a statement run five times on a connection, in a round trip of its
        # own, and forgets every prepared one at a ROLLBACK (sending DEALLOCATE ALL): with the
        # pages that still read in a transaction on the same connections, that was two round
        # trips more, again and again. Reads through here are not prepared, as before.
        driver: Any = conn.connection.driver_connection
        threshold = driver.prepare_threshold
        driver.prepare_threshold = None
        try:
            with Session(bind=conn) as session:
                yield session
        finally:
            driver.prepare_threshold = threshold


def detached(session: Session, row: _Row) -> _Row:
    """Write ``row`` now and detach it, so the caller can read it after the session closes."""
    session.flush()
    session.expunge(row)
    return row


def select_rows(
    session: Session, statement: Any, params: dict[str, Any] | None = None
) -> list[Any]:
    """The rows of a select of columns, run on the session's connection (its transaction):
    plain tuples, without the ORM's execution path (its compile state and loader set-up cost
    more than a small indexed read). ``params`` binds a statement built once."""
    return list(session.connection().execute(statement, params or {}).all())


def unindexed(expression: Any) -> Any:
    """``expression`` as one no index holds, with its value and type: ``coalesce(e, e)``, which
    both databases read alike for text and timestamps (SQLite's unary ``+`` would do on SQLite
    alone, ``|| ''`` on text alone). A condition or order on it leaves the planner to read a
    range that another index bounds better and check this one on its few rows."""
    return func.coalesce(expression, expression)


def document_of(text: str | None) -> dict[str, Any]:
    """A stored document: orjson, else ``json`` for what only it reads (NaN and infinities,
    lone surrogates: the column is written by ``json.dumps``); anything not an object is ``{}``.
    (orjson reads an integer over 64 bits as a float: such a number in a remote document is
    never one a calendar writes as it is.)"""
    if not text:
        return {}
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            found = json.loads(text)
        except ValueError:
            return {}
    return found if isinstance(found, dict) else {}
