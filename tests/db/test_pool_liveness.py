"""The pool's connections to PostgreSQL: what a read costs in round trips, and what happens when
the server ends every connection (a restart, ``pg_terminate_backend``).

The pool used to send an empty query on every checkout (``pool_pre_ping``) and every read ran
in a transaction (BEGIN before its first statement, ROLLBACK when it went back to the pool):
three round trips a page besides its statements. A connection's liveness is now a poll of its
socket, and the collections, feeds and calendars read in autocommit (``node.db.read_session``).
The round trips are counted from libpq's own trace of the protocol (one ReadyForQuery a round
trip), and the connections are ended by the server itself, as in a restart."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import Engine, event, text
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Follower
from tests.db.collections_support import actor, followers, members

AP = {"Accept": "application/activity+json"}
_HUB = text("SELECT id FROM local_actor WHERE slug = 'hub'")
PAGES = {
    "/actors/hub/outbox?page=1": AP,
    "/actors/hub/followers": AP,
    "/actors/hub/followers?page=1": AP,
    "/actors/net/members?page=1": AP,
    "/actors/net/events?page=1": AP,
    "/@net/feed.rss": {},
    "/@net/feed.json": {},
    "/@net/calendar.ics": {},
    "/@hub": {},  # an HTML page, still read in a transaction
}


# PostgreSQL only, never skipped: SQLite has no server that could end a connection, and no
# round trips to count
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    assert engine.dialect.name == "postgresql"
    return engine


def _people(engine: Engine) -> None:
    hub, net = actor(engine, "hub"), actor(engine, "net", kind="network")
    followers(engine, hub, net, 45)
    members(engine, net, 30)


def _bodies(client: TestClient) -> dict[str, bytes]:
    found = {}
    for path, headers in PAGES.items():
        answer = client.get(path, headers=headers, follow_redirects=False)
        assert answer.status_code == 200, (path, answer.status_code)
        found[path] = answer.content
    return found


def _backends(engine: Engine) -> list[int]:
    """The backend pids of the connections the pool opens from now on."""
    pids: list[int] = []
    engine.dispose()  # the connections opened so far (migrations, set-up) are closed

    @event.listens_for(engine, "connect")
    def _opened(dbapi_conn: Any, _record: Any) -> None:
        pids.append(dbapi_conn.info.backend_pid)

    return pids


def _terminate(pg_admin: Engine, pids: list[int]) -> None:
    """End those backends as a restart does (SIGTERM: a FATAL message, then the socket's end),
    and wait until they are gone."""
    with pg_admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"), {"p": pids})
        for _ in range(100):
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": pids}
            ).scalar_one()
            if alive == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {pids} still alive")


def test_every_page_answers_after_postgresql_ends_every_connection(
    pg_engine: Engine, client: TestClient, pg_admin: Engine
) -> None:
    _people(pg_engine)
    pids = _backends(pg_engine)
    before = _bodies(client)
    # two connections at once, so the pool holds more than the one every request reuses
    with pg_engine.connect() as one, pg_engine.connect() as two:
        one.execute(text("SELECT 1"))
        two.execute(text("SELECT 1"))
    opened = list(pids)
    assert len(opened) >= 2
    _terminate(pg_admin, opened)

    # no request fails: each dead connection is found at its checkout and replaced
    assert _bodies(client) == before
    assert pids[len(opened) :] and not set(pids[len(opened) :]) & set(opened)
    # and writing works too, on connections the restart did not leave behind
    _terminate(pg_admin, pids[len(opened) :])
    with session_scope(pg_engine) as session:
        hub_id = session.connection().execute(_HUB).scalar_one()
        who = "https://late.example/users/late"
        session.add(Follower(actor_id=hub_id, remote_id=who, state="accepted", inbox=who))
    after = client.get("/actors/hub/followers", headers=AP).json()
    assert after["totalItems"] == 45  # 45, the one pending (every 50th) left out, the late one


@pytest.fixture
def traced(pg_engine: Engine) -> Iterator[Path]:
    """libpq's trace of every message the pool's connections exchange, into one file."""
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "trace"
        sink = path.open("ab", buffering=0)

        def _on(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            dbapi_conn.pgconn.trace(sink.fileno())
            dbapi_conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        def _off(dbapi_conn: Any, _record: Any) -> None:
            if not dbapi_conn.closed:
                dbapi_conn.pgconn.untrace()

        event.listen(pg_engine, "checkout", _on)
        event.listen(pg_engine, "checkin", _off)
        try:
            yield path
        finally:
            event.remove(pg_engine, "checkout", _on)
            event.remove(pg_engine, "checkin", _off)
            sink.close()


def _round_trips(client: TestClient, trace: Path, path: str) -> tuple[int, list[str]]:
    start = trace.stat().st_size
    assert client.get(path, headers=PAGES[path]).status_code == 200
    found = trace.read_bytes()[start:].decode().splitlines()
    lines = [fields for fields in (line.split("\t") for line in found) if len(fields) > 2]
    # simple queries sent (BEGIN, ROLLBACK, the empty query of a ping): "F <len> Query <text>"
    simple = [fields[3].strip() for fields in lines if fields[0] == "F" and fields[2] == "Query"]
    return sum(fields[2] == "ReadyForQuery" for fields in lines), simple


def test_a_read_pays_its_statements_and_no_more(
    pg_engine: Engine, client: TestClient, traced: Path
) -> None:
    _people(pg_engine)
    # the feeds and the calendar written once, what follows are polls; each statement run more
    # than five times, which psycopg would prepare (a round trip more), and an HTML page read
    # in a transaction between them, whose ROLLBACK would make it forget them
    for _ in range(6):
        _bodies(client)
    expected = {
        # the actor, then the page (its probe of the other link in the same statement)
        "/actors/hub/outbox?page=1": 2,
        "/actors/hub/followers?page=1": 2,
        "/actors/net/members?page=1": 2,
        # the actor, its calendar generation: the page is kept (kept_slices.list_page; read
        # afresh it is the network's events and our own, two more)
        "/actors/net/events?page=1": 2,
        # the actor, its kept count in its row
        "/actors/hub/followers": 1,
        # the actor, the validator (the answer is kept)
        "/@net/feed.rss": 2,
        "/@net/calendar.ics": 2,
    }
    for path, trips in expected.items():
        counted, simple = _round_trips(client, traced, path)
        # no BEGIN, no ROLLBACK, no empty query to check the connection
        assert simple == [], (path, simple)
        assert counted == trips, (path, counted)


def test_a_write_after_reads_is_still_one_transaction(
    pg_engine: Engine, client: TestClient, traced: Path
) -> None:
    """The reads' autocommit does not stay on the pooled connection they used: a write that
    fails halfway leaves nothing, and an HTML page still reads in a transaction."""
    _people(pg_engine)
    _bodies(client)
    _, simple = _round_trips(client, traced, "/@hub")
    assert len(simple) == 2 and simple[0].startswith('"BEGIN') and simple[1] == '"ROLLBACK"'

    class Halfway(Exception):
        pass

    with pytest.raises(Halfway), session_scope(pg_engine) as session:
        hub_id = session.connection().execute(_HUB).scalar_one()
        who = "https://half.example/users/half"
        session.add(Follower(actor_id=hub_id, remote_id=who, state="accepted", inbox=who))
        session.flush()
        raise Halfway
    assert client.get("/actors/hub/followers", headers=AP).json()["totalItems"] == 44
