"""An organization's section pages and a hashtag page, before and after cursor paging, in one
run on SQLite and PostgreSQL: an organization with ``--items`` items of each kind (events,
half over; calls, a quarter closed; news; every one tagged ``#coop``) beside another as big.

Each case reads one page of 12 as the node does now (``listings.read`` from the cursor that
names the page: one or two index ranges, LIMIT 13) and as it did before (the same filter and
order, ``OFFSET (page - 1) * 12 LIMIT 13``), alternating the two ``--requests`` times in this
one process so both see the same machine load; the old page's items are checked equal to the
new one's. Printed per case: p50 and p99 in ms (wall clock), old p50 / new p50, and on SQLite
the CPU time of this process per page (p50 ms), on PostgreSQL (where the work is the server's)
the shared buffers the page's statements touch. Then the redirect of an old ``?page=N`` link
(``listings.cursor_at``), which is what a page number costs now.

    python bench/bench_sections.py [--items 5000] [--page 200] [--requests 200]
                                   [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_collections import _pct, buffers, timed  # noqa: E402
from bench_inbox import pg_schema  # noqa: E402
from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402
from sqlmodel import Session, col, or_, select  # noqa: E402

from node import migrations  # noqa: E402
from node.features.publishing import listings  # noqa: E402
from node.federation.actors.local import create_actor  # noqa: E402
from node.models import Item, ItemTag, LocalActor  # noqa: E402
from node.models.spans import event_class  # noqa: E402

SIZE = listings.PAGE_SIZE
NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def old_query(actor: LocalActor, name: str, now: datetime) -> Any:
    """A section's query before: the whole filter and order, to be paged by OFFSET."""
    query = select(Item).where(
        Item.actor_id == actor.id, col(Item.deleted_at).is_(None), col(Item.parent_id).is_(None)
    )
    end, start, published, ident = (
        col(Item.end_time),
        col(Item.start_time),
        col(Item.published),
        col(Item.id),
    )
    if name == "events":
        return query.where(Item.kind == "event", end >= now).order_by(start, ident)
    if name == "past":
        return query.where(Item.kind == "event", end < now).order_by(start.desc(), ident.desc())
    if name == "calls":
        still_open = or_(end.is_(None), end >= now)
        return query.where(Item.kind == "call").order_by(
            still_open.desc(), published.desc(), ident.desc()
        )
    if name == "tag":
        return (
            select(Item)
            .join(ItemTag, col(ItemTag.item_id) == ident)
            .where(ItemTag.tag == "coop", col(Item.deleted_at).is_(None))
            .where(col(Item.parent_id).is_(None))
            .order_by(published.desc(), ident.desc())
        )
    return query.where(Item.kind == "news").order_by(published.desc(), ident.desc())


def old_page(session: Session, query: Any, number: int) -> list[Any]:
    rows = list(session.exec(query.offset((number - 1) * SIZE).limit(SIZE + 1)))
    listings.session_counts(session, rows[:SIZE])  # as the page did (the conferences' sessions)
    return [r.id for r in rows[:SIZE]]


def new_page(session: Session, lst: listings.Ranges, at: Any) -> list[Any]:
    return [i.id for i in listings.read(session, lst, after=at).items]


def seed(engine: Engine, slug: str, n: int, earlier: timedelta = timedelta(0)) -> LocalActor:
    """``n`` items of each kind, published a minute apart (ending ``earlier`` before NOW, so
    that, as on a node, ids follow publication), every one tagged #coop."""
    with Session(engine) as session:
        actor = create_actor(session, slug, kind="organization", name=slug)
        session.commit()
        session.refresh(actor)
    rows: list[dict[str, Any]] = []
    for i in range(3 * n):
        kind = ("event", "call", "news")[i % 3]
        start = end = None
        if kind == "event":
            start = NOW + timedelta(hours=i - 3 * n // 2)
            end = start + timedelta(hours=2)
        if kind == "call":
            end = NOW + (timedelta(days=-1) if i % 4 == 1 else timedelta(days=30))
        rows.append(
            {
                "ap_id": f"https://x.example/{slug}/{i}",
                "actor_id": actor.id,
                "kind": kind,
                "document": {"type": "Note", "name": f"{slug} {kind} {i}"},
                "source": {},
                "start_time": start,
                "end_time": end,
                "span_class": event_class(start, end),  # as the ORM keeps it (0026)
                "published": NOW - earlier - timedelta(minutes=3 * n - i),
                "updated": NOW,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Item), rows)
        ids = conn.execute(
            text("SELECT id FROM item WHERE actor_id = :a"), {"a": actor.id}
        ).scalars()
        conn.execute(insert(ItemTag), [{"item_id": i, "tag": "coop"} for i in ids])
    return actor


def database_case(label: str, url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    migrations.upgrade(engine)
    seed(engine, "other", args.items, timedelta(days=365))
    actor = seed(engine, "nec", args.items)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(
        f"\n{label}: {args.items:,} items of each kind, page {args.page} (load {os.getloadavg()})"
    )
    extra = "buffers old / new" if "postgresql" in url else "CPU ms old / new"
    print(
        f"{'page':<28} {'old p50':>8} {'old p99':>8} {'new p50':>8} {'new p99':>8}"
        f" {'old/new':>8}  {extra}"
    )
    with Session(engine) as session:
        for name in ("events", "past", "calls", "news", "tag"):
            lst = (
                listings.tag_list("coop")
                if name == "tag"
                else listings.section_list(actor, name, NOW)  # type: ignore[arg-type]
            )
            for number in (1, args.page):
                at = listings.cursor_at(session, lst, (number - 1) * SIZE)
                assert at is not None or number == 1, f"{name} has no page {number}"
                before = partial(old_page, session, old_query(actor, name, NOW), number)
                after = partial(new_page, session, lst, at)
                old: list[float] = []
                new: list[float] = []
                old_cpu: list[float] = []
                new_cpu: list[float] = []
                for _ in range(args.requests):
                    a = timed(before, old, old_cpu)
                    b = timed(after, new, new_cpu)
                    assert a == b, (name, number)
                work = (
                    f"{buffers(engine, before)} / {buffers(engine, after)}"
                    if engine.dialect.name == "postgresql"
                    else f"{_pct(old_cpu, 0.5):.2f} / {_pct(new_cpu, 0.5):.2f}"
                )
                print(
                    f"{name + ' page ' + str(number):<28} {_pct(old, 0.5):8.2f}"
                    f" {_pct(old, 0.99):8.2f} {_pct(new, 0.5):8.2f} {_pct(new, 0.99):8.2f}"
                    f" {_pct(old, 0.5) / _pct(new, 0.5):7.1f}x  {work}",
                    flush=True,
                )
            redirect: list[float] = []
            redirect_cpu: list[float] = []
            for _ in range(max(10, args.requests // 10)):
                timed(
                    lambda lst=lst: [listings.cursor_at(session, lst, (args.page - 1) * SIZE)],
                    redirect,
                    redirect_cpu,
                )
            print(
                f"{name + f' old ?page={args.page} (302)':<28} {'':>8} {'':>8}"
                f" {_pct(redirect, 0.5):8.2f} {_pct(redirect, 0.99):8.2f}"
                f" {'':>8}  CPU {_pct(redirect_cpu, 0.5):.2f}",
                flush=True,
            )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--page", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        if not args.no_sqlite:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            database_case("SQLite", f"sqlite:///{tmp / 'sections.db'}", args)
        if not args.no_postgres:
            database_case("PostgreSQL", pg_schema(stack), args)


if __name__ == "__main__":
    main()
