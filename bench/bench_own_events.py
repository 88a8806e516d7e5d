"""This node's own events not over, before and after the classes of duration on ``item``
(migration 0026), in one run on SQLite and PostgreSQL: an organization with ``--past`` events
over (three hours apart), ``--coming`` to come (an hour apart), ``--running`` running now for
days to months and a year-long exhibition begun 400 days ago, beside another as big.

Each case runs the read as the node does now and as it did before (the old statements, rebuilt
here as they were), alternating the two ``--requests`` times in this one process so both see
the same machine load; the two answers are checked equal. The cases: ``own_events`` (the
organization's, and the node's: ``upcomingEvents``, the calendars), first page (51) and a page
whose cursor is among the running events; the organization's events list (``/@{slug}/events``,
``listings.read``), first page (12). Printed per case: CPU of this process per read (p50 ms;
on PostgreSQL the client's), wall p50 in ms (on PostgreSQL the server's work is there), and
old / new.

    python bench/bench_own_events.py [--past 5000] [--coming 1000] [--running 40]
                                     [--requests 300] [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_collections import _pct, timed  # noqa: E402
from bench_inbox import pg_schema  # noqa: E402
from sqlalchemy import (  # noqa: E402
    Engine,
    Integer,
    and_,
    bindparam,
    create_engine,
    event,
    insert,
    or_,
    text,
)
from sqlmodel import Session, col, select  # noqa: E402

from node import migrations  # noqa: E402
from node.db import unindexed  # noqa: E402
from node.features.networks.upcoming import Cursor, own_events, own_items  # noqa: E402
from node.features.publishing import listings  # noqa: E402
from node.federation.actors.local import create_actor  # noqa: E402
from node.models import Item, LocalActor  # noqa: E402
from node.models.spans import NO_END, event_class  # noqa: E402

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
SIZE = listings.PAGE_SIZE


def seed(engine: Engine, slug: str, args: argparse.Namespace) -> LocalActor:
    with Session(engine) as session:
        actor = create_actor(session, slug, kind="organization", name=slug)
        session.commit()
        session.refresh(actor)
    times: list[tuple[datetime, datetime | None]] = []
    for i in range(args.past):
        start = NOW - timedelta(days=1, hours=3 * (args.past - i))
        times.append((start, start + timedelta(hours=2)))
    for i in range(args.running):
        start = NOW - timedelta(days=1 + i * 4, hours=i)
        times.append((start, NOW + timedelta(days=2 + i)))
    times.append((NOW - timedelta(days=400), NOW + timedelta(days=30)))
    for i in range(args.coming):
        start = NOW + timedelta(hours=i + 1)
        times.append((start, start + timedelta(hours=2) if i % 4 else None))
    rows = [
        {
            "ap_id": f"https://x.example/{slug}/{i}",
            "actor_id": actor.id,
            "kind": "event",
            "document": {"type": "Event", "name": f"{slug} {i}"},
            "source": {},
            "start_time": start,
            "end_time": end,
            "span_class": event_class(start, end),
            "published": NOW,
            "updated": NOW,
        }
        for i, (start, end) in enumerate(times)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Item), rows)
    return actor


def old_own_query(scoped: bool, cursor: bool) -> Any:
    """own_events' statement before 0026: an OR on the end, soonest start first."""
    start, key = col(Item.start_time), col(Item.ap_id)
    query = select(col(Item.id)).where(
        Item.kind == "event",
        col(Item.deleted_at).is_(None),
        or_(
            col(Item.end_time) >= bindparam("since"),
            and_(col(Item.end_time).is_(None), start >= bindparam("no_end")),
        ),
    )
    if cursor:
        at: Any = bindparam("after_start")
        query = query.where(start >= at, or_(start > at, key > bindparam("after_key")))
    if scoped:
        query = query.where(Item.actor_id == bindparam("actor"))
    return query.order_by(start, key).limit(bindparam("limit", type_=Integer))


def old_own(session: Session, actor: LocalActor | None, after: Cursor | None) -> list[Any]:
    values: dict[str, Any] = {"since": NOW, "no_end": NOW - NO_END, "limit": 51}
    if actor is not None:
        values["actor"] = actor.id
    if after is not None:
        values.update(after_start=after.start, after_key=after.object_id)
    found = own_items(session, old_own_query(actor is not None, after is not None), values)
    return [i.ap_id for i in found]


def new_own(session: Session, actor: LocalActor | None, after: Cursor | None) -> list[Any]:
    return [i.ap_id for i in own_events(session, actor, NOW, None, after, 51)]


def old_list(session: Session, actor: LocalActor) -> list[Any]:
    """The events list's first page before: begun over RUNNING (366 days) ago and running, on
    the end index; running, begun since; then to come: read in turn up to 13."""
    start, end, ident = col(Item.start_time), col(Item.end_time), col(Item.id)
    events = select(Item).where(
        Item.actor_id == actor.id,
        col(Item.deleted_at).is_(None),
        col(Item.parent_id).is_(None),
        Item.kind == "event",
    )
    long_ago = NOW - timedelta(days=366)
    ranges = [
        events.where(unindexed(start) < long_ago, end >= NOW).order_by(
            unindexed(start), unindexed(ident)
        ),
        events.where(start >= long_ago, start < NOW, end >= NOW).order_by(start, ident),
        events.where(start >= NOW, end >= NOW).order_by(start, ident),
    ]
    rows: list[Any] = []
    for query in ranges:
        rows += session.exec(query.limit(SIZE + 1 - len(rows))).all()
        if len(rows) > SIZE:
            break
    return [i.id for i in rows[:SIZE]]


def new_list(session: Session, actor: LocalActor) -> list[Any]:
    lst = listings.section_list(actor, "events", NOW)
    return [i.id for i in listings.read(session, lst, SIZE).items]


def server_ms(engine: Engine, fn: Callable[[], list[Any]], n: int) -> str:
    """PostgreSQL's planning + execution (ms, p50 of ``n``) of the statements ``fn`` runs
    that read ``item`` (``EXPLAIN (ANALYZE, TIMING OFF)``)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM item" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    plans: list[float] = []
    runs: list[float] = []
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        for _ in range(n):
            plan = run = 0.0
            for statement, params in seen:
                cur.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + statement, params)
                [[found]] = cur.fetchall()
                plan += found[0]["Planning Time"]
                run += found[0]["Execution Time"]
            plans.append(plan)
            runs.append(run)
        cur.close()
        conn.rollback()
    return f"{_pct(plans, 0.5):.2f} + {_pct(runs, 0.5):.2f}"


def pair(
    label: str,
    before: Callable[[], list[Any]],
    after: Callable[[], list[Any]],
    n: int,
    engine: Engine,
) -> None:
    old: list[float] = []
    new: list[float] = []
    old_cpu: list[float] = []
    new_cpu: list[float] = []
    for i in range(n):
        if i % 2:
            b = timed(after, new, new_cpu)
            a = timed(before, old, old_cpu)
        else:
            a = timed(before, old, old_cpu)
            b = timed(after, new, new_cpu)
        assert a == b, label
    print(
        f"{label:<40} {_pct(old_cpu, 0.5):8.2f} {_pct(new_cpu, 0.5):8.2f}"
        f" {_pct(old_cpu, 0.5) / _pct(new_cpu, 0.5):7.1f}x"
        f" {_pct(old, 0.5):8.2f} {_pct(new, 0.5):8.2f} {_pct(old, 0.5) / _pct(new, 0.5):7.1f}x",
        flush=True,
    )
    if engine.dialect.name == "postgresql":
        m = max(20, n // 5)
        print(f"{'':<40} server plan + exec: {server_ms(engine, before, m)} -> "
              f"{server_ms(engine, after, m)}", flush=True)  # fmt: skip


def database_case(label: str, url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    migrations.upgrade(engine)
    seed(engine, "other", args)
    actor = seed(engine, "nec", args)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(
        f"\n{label}: {args.past:,} past, {args.running + 1} running, {args.coming:,} to come"
        f" an organization, two (load {os.getloadavg()})"
    )
    print(
        f"{'read':<40} {'CPU old':>8} {'CPU new':>8} {'ratio':>8}"
        f" {'p50 old':>8} {'p50 new':>8} {'ratio':>8}"
    )
    deep = Cursor(NOW - timedelta(days=30), "")  # among the running events
    with Session(engine) as session:
        for who, name in (
            (actor, "own_events (one org)"),
            (None, "own_events (the node)"),
        ):
            for at, page in ((None, "page 1"), (deep, "amid running")):
                pair(
                    f"{name}, {page}",
                    lambda who=who, at=at: old_own(session, who, at),
                    lambda who=who, at=at: new_own(session, who, at),
                    args.requests,
                    engine,
                )
        pair(
            "events list /@nec/events, page 1",
            lambda: old_list(session, actor),
            lambda: new_list(session, actor),
            args.requests,
            engine,
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--past", type=int, default=5000)
    parser.add_argument("--coming", type=int, default=1000)
    parser.add_argument("--running", type=int, default=40)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        if not args.no_sqlite:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            database_case("SQLite", f"sqlite:///{tmp / 'bench.db'}", args)
        if not args.no_postgres:
            database_case("PostgreSQL", pg_schema(stack), args)


if __name__ == "__main__":
    main()
