"""The followers and members collections' database work, before and after keyset paging, in
one run: a network with ``--followers`` followers (20,000: a hub) and ``--members`` members
(2,000), on SQLite and PostgreSQL.

Each case builds one collection page as the node does now (``id_pages.answer``: the kept
count, one index range with LIMIT 21, one probe for the other side) and as it did before
(``count(*)`` of the accepted rows, then ``OFFSET (page - 1) * 20``), alternating the two
``--requests`` times in this one process, so both see the same machine load. Printed per
case: p50 and p99 in ms (wall clock: on PostgreSQL the work is the server's), the ratio of
the old p50 to the new, and a figure the machine's load cannot blur: on SQLite the CPU time
of this process per page (p50, ms), on PostgreSQL the shared buffers the page's statements
touch (``EXPLAIN (ANALYZE, BUFFERS)`` of each, summed). bench/bench_reads.py measures the same
pages over HTTP. Then the follower lists of the API (``GET /api/v1/followers``) and of the
workspace's People page: before, every follower loaded; now, a page of 40 (the API) or two
pages of 50 (those waiting, the followers) by cursor - the first page and the last.

    python bench/bench_collections.py [--followers 20000] [--members 2000] [--requests 200]
                                      [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_inbox import pg_schema  # noqa: E402
from seed_network import seed, seed_followers  # noqa: E402
from sqlalchemy import Engine, create_engine, event, func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from node import migrations  # noqa: E402
from node.features.follows import follower_pages  # noqa: E402
from node.features.networks.collections import MEMBERS  # noqa: E402
from node.features.profiles.routes import FOLLOWERS  # noqa: E402
from node.federation.actors import id_pages  # noqa: E402
from node.models import Follower, LocalActor  # noqa: E402
from node.urls import Urls  # noqa: E402

SIZE = id_pages.PAGE_SIZE


def old_page(session: Session, listing: id_pages.Listing, owner: int, number: int) -> list[Any]:
    """What a page cost before: a count of every counted row, then OFFSET."""
    where = (listing.owner == owner, listing.model.state == listing.state)
    session.exec(select(func.count()).select_from(listing.model).where(*where)).one()
    order = col(listing.model.id).desc() if listing.newest_first else col(listing.model.id)
    query = select(listing.value).where(*where).order_by(order)
    return list(session.exec(query.offset((number - 1) * SIZE).limit(SIZE)).all())


def new_page(
    session: Session, listing: id_pages.Listing, actor: LocalActor, want: id_pages.Asked
) -> list[Any]:
    """What a page costs now: the kept count on the actor row, one index range, one probe."""
    total = getattr(actor, "followers_count" if listing is FOLLOWERS else "members_count")
    doc = id_pages.answer(session, listing, actor.id or 0, "x", total, want)
    assert isinstance(doc, dict)
    return list(doc["orderedItems"])


def _deepest(session: Session, listing: id_pages.Listing, owner: int) -> tuple[int, int]:
    """(the old page number of the last page, the cursor that names it now)."""
    where = (listing.owner == owner, listing.model.state == listing.state)
    total = session.exec(select(func.count()).select_from(listing.model).where(*where)).one()
    last = total % SIZE or SIZE
    order = col(listing.model.id) if listing.newest_first else col(listing.model.id).desc()
    ident = session.exec(
        select(listing.model.id).where(*where).order_by(order).offset(last)
    ).first()
    return (total + SIZE - 1) // SIZE, int(ident or 0)


def old_api_list(session: Session, owner: int) -> list[Any]:
    """``GET /api/v1/followers`` before: every follower loaded, newest first, as items."""
    query = select(Follower).where(Follower.actor_id == owner).order_by(col(Follower.id).desc())
    return [
        {"actor": r.remote_id, "state": r.state, "since": r.created_at.isoformat()}
        for r in session.exec(query)
    ]


def new_api_list(session: Session, owner: int, max_id: int | None) -> list[Any]:
    """The same now: one page of 40 (``max_id``: the last page's cursor)."""
    page = follower_pages.window(session, owner, limit=40, max_id=max_id)
    return [
        {"actor": r.remote_id, "state": r.state, "since": r.created_at.isoformat()}
        for r in page.rows
    ]


def people_lists(session: Session, owner: int, max_id: int | None) -> list[Any]:
    """The People page's two lists now: 50 waiting, 50 followers (``max_id``: a deep page)."""
    waiting = follower_pages.window(session, owner, ("pending",), limit=50)
    shown = follower_pages.window(session, owner, ("accepted",), limit=50, max_id=max_id)
    return [r.remote_id for r in waiting.rows + shown.rows]


def follower_lists(engine: Engine, session: Session, owner: int, args: argparse.Namespace) -> None:
    """The API's and the People page's follower lists: before every follower, now a page."""
    ids = session.exec(
        select(Follower.id).where(Follower.actor_id == owner).order_by(col(Follower.id))
    ).all()
    last = int(ids[40] or 0)  # max_id of the last page of 40: the 40 oldest below it
    cases = (
        ("API list, first page", new_api_list, None, slice(0, 40)),
        ("API list, last page", new_api_list, last, slice(-40, None)),
        ("People page, first page", people_lists, None, None),
        ("People page, deep page", people_lists, last, None),
    )
    for name, now, cursor, same in cases:
        old: list[float] = []
        new: list[float] = []
        old_cpu: list[float] = []
        new_cpu: list[float] = []
        before = partial(old_api_list, session, owner)
        after = partial(now, session, owner, cursor)
        for _ in range(max(10, args.requests // 10)):
            a = timed(before, old, old_cpu)
            b = timed(after, new, new_cpu)
            if same is not None:
                assert a[same] == b, name  # the same items, both ways
        if engine.dialect.name == "postgresql":
            work = f"{buffers(engine, before)} / {buffers(engine, after)}"
        else:
            work = f"{_pct(old_cpu, 0.5):.2f} / {_pct(new_cpu, 0.5):.2f}"
        print(
            f"{name:<34} {_pct(old, 0.5):8.2f} {_pct(old, 0.99):8.2f}"
            f" {_pct(new, 0.5):8.2f} {_pct(new, 0.99):8.2f}"
            f" {_pct(old, 0.5) / _pct(new, 0.5):7.1f}x  {work}",
            flush=True,
        )


def timed(fn: Callable[[], list[Any]], samples: list[float], cpu: list[float]) -> list[Any]:
    started, used = time.perf_counter(), time.process_time()
    found = fn()
    samples.append((time.perf_counter() - started) * 1000)
    cpu.append((time.process_time() - used) * 1000)
    return found


def buffers(engine: Engine, fn: Callable[[], list[Any]]) -> int:
    """The shared buffers PostgreSQL touches for the statements ``fn`` runs."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    total = 0
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for statement, params in seen:
            cur = raw.cursor()
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
            found = cur.fetchone()
            cur.close()
            assert found is not None
            plan = found[0][0]["Plan"]
            total += int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))
    return total


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def database_case(label: str, url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    migrations.upgrade(engine)
    network = seed(engine, Urls("http://127.0.0.1:8999"), "ussen", args.members, 0)
    seed_followers(engine, network, args.followers)
    print(f"\n{label}: {args.followers:,} followers (1% pending), {args.members:,} members")
    extra = "buffers old / new" if "postgresql" in url else "CPU ms old / new"
    print(
        f"{'page':<34} {'old p50':>8} {'old p99':>8} {'new p50':>8} {'new p99':>8}"
        f" {'old/new':>8}  {extra}"
    )
    with Session(engine) as session:
        actor = session.get(LocalActor, network.id)
        assert actor is not None and actor.id is not None
        for name, listing in (("followers", FOLLOWERS), ("members", MEMBERS)):
            number, cursor = _deepest(session, listing, actor.id)
            deep = id_pages.Asked(**{listing.onward: cursor})
            for where, old_n, want in (
                ("page 1", 1, id_pages.Asked(page=1)),
                (f"deepest (old ?page={number})", number, deep),
            ):
                old: list[float] = []
                new: list[float] = []
                old_cpu: list[float] = []
                new_cpu: list[float] = []
                before = partial(old_page, session, listing, actor.id, old_n)
                after = partial(new_page, session, listing, actor, want)
                for _ in range(args.requests):
                    a = timed(before, old, old_cpu)
                    b = timed(after, new, new_cpu)
                    assert a == b, (name, where)  # the same items, both ways
                if engine.dialect.name == "postgresql":
                    work = f"{buffers(engine, before)} / {buffers(engine, after)}"
                else:
                    work = f"{_pct(old_cpu, 0.5):.2f} / {_pct(new_cpu, 0.5):.2f}"
                print(
                    f"{name + ' ' + where:<34} {_pct(old, 0.5):8.2f} {_pct(old, 0.99):8.2f}"
                    f" {_pct(new, 0.5):8.2f} {_pct(new, 0.99):8.2f}"
                    f" {_pct(old, 0.5) / _pct(new, 0.5):7.1f}x  {work}",
                    flush=True,
                )
        follower_lists(engine, session, actor.id, args)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as raw, ExitStack() as stack:
        if not args.no_sqlite:
            database_case("SQLite", f"sqlite:///{Path(raw) / 'node.db'}", args)
        if not args.no_postgres:
            database_case("PostgreSQL", pg_schema(stack), args)


if __name__ == "__main__":
    main()
