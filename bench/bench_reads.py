"""Aggregated reads at scale: a network of 1,000,000 filed items from 2,000 members, its pages'
p50/p99 on SQLite and PostgreSQL, each against the node's cheapest HTML page in the same run.

The network is seeded by bench/seed_network.py (rows written directly, as filing writes them).
`solnode serve --no-worker` runs in its own process on loopback; a client in another process
(bench/reads_client.py: one keep-alive connection, one request at a time, so each figure is
one request's latency, not a queue's) fetches each page `--requests` times after a warm-up (a
page slower than `--budget` seconds in all stops early, with at least 20 samples) and checks
every answer's status. Printed per page: p50 and p99 in ms, p99 / the baseline's p99, the
server's CPU time per request (from /proc, warm-up included: what a shared machine's load
disturbs least), the samples taken; and the load average before and after. The baseline is the node's cheapest HTML page, `/@coop`: the profile of an
organization with nothing published (the network's own profile, `/@ussen`, shows its upcoming
events and latest news, so it reads items: it is measured as a page like the others).

Pages: the network timeline (first page, a cursor in the middle, the deepest page, an old
`?page=60` link), the outbox collection and its first and deepest pages (ActivityStreams), the
member directory, `upcomingEvents`, the calendar (list, a month), `/regions/…`,
`/categories/…`, search, the iCal feed, RSS, Atom, JSON Feed; the followers collection of the
network (`--followers`, 20,000 by default: a hub's) and its members collection (its
`--members`): each collection, its first page, its deepest page by cursor, and an old `?page=N`
link to that deepest page.

`--pages` (below) measures only some pages (the baseline always, first).
`--code DIR`, given more than once, serves the same seeded network from each checkout in turn
(its own `solnode serve`, PYTHONPATH=DIR), page by page, so code before and after a change is
compared on the same data in the same minutes: each row is printed once per checkout, and each
checkout's multiples are of its own baseline.

    python bench/bench_reads.py [--items 1000000] [--members 2000] [--requests 200]
                                [--followers 20000] [--budget 30] [--no-postgres]
                                [--no-sqlite] [--keep DIR] [--pages REGEX,…] [--code DIR ...]

Seeding a million rows takes minutes per database. ``--keep DIR`` keeps what is seeded (SQLite
in DIR, PostgreSQL in a schema named in DIR/reads.json) and a later run with the same DIR and
the same sizes reuses it (migrated first, as ``solnode serve`` would: a new migration and its
backfill run on the seeded rows); ``--drop DIR`` drops the kept schema. ``--pages`` times only
the pages whose label matches one of its comma-separated patterns (regular expressions, case
insensitive), besides the baseline, e.g. ``--pages upcoming,members,calendar.ics``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox_load as load  # noqa: E402
from bench_inbox import PG_URL, SOLNODE, _stop, node_env, pg_schema  # noqa: E402
from reads_client import WARM_UP  # noqa: E402
from seed_network import seed, seed_followers  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from node.db import make_engine  # noqa: E402
from node.settings import load_settings, normalize_database_url  # noqa: E402
from node.urls import Urls  # noqa: E402

SLUG = "ussen"
AS_JSON = "application/activity+json"
HTML = "text/html"


def _cursor(conn: Any, table: str, owner: str, owner_id: int, offset: int, *, oldest: bool) -> str:
    """A cursor token ``offset`` rows from the newest (or the oldest) end."""
    order = "ASC" if oldest else "DESC"
    published, ident = conn.execute(
        text(
            f"SELECT published, id FROM {table} WHERE {owner} = :o"
            f" ORDER BY published {order}, id {order} LIMIT 1 OFFSET :n"
        ),
        {"o": owner_id, "n": offset},
    ).one()
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    stamp = published.replace(tzinfo=UTC).strftime("%Y%m%dT%H%M%S.%f")
    return f"{stamp}Z~{'n' if table == 'network_item' else ''}{ident}"


def _relations(
    conn: Any, table: str, owner: str, state: str, owner_id: int, *, newest_first: bool
) -> tuple[int, str]:
    """(how many, the cursor of the deepest page) of a collection of ``table`` rows."""
    where = f"WHERE {owner} = :o AND state = :s"
    params = {"o": owner_id, "s": state}
    total = int(conn.execute(text(f"SELECT count(*) FROM {table} {where}"), params).scalar_one())
    # the last page holds the final total % 20 rows (or 20): its cursor is the row before them
    last = total % 20 or 20
    order = "ASC" if newest_first else "DESC"
    query = f"SELECT id FROM {table} {where} ORDER BY id {order} LIMIT 1 OFFSET :n"
    ident = conn.execute(text(query), {**params, "n": last}).scalar_one()
    return total, f"{'before' if newest_first else 'after'}={ident}"


def _collection_pages(path: str, name: str, found: tuple[int, str]) -> list[tuple[str, str, str]]:
    total, deepest = found
    number = (total + 19) // 20
    return [
        (f"{name} collection ({total:,})", path, AS_JSON),
        (f"{name} page 1", f"{path}?page=1", AS_JSON),
        (f"{name} deepest page (cursor)", f"{path}?{deepest}", AS_JSON),
        (f"{name} old ?page={number} (301)", f"{path}?page={number}", AS_JSON),
    ]


def pages(env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, path, accept) of every page measured."""
    settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
    engine = make_engine(settings)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM local_actor WHERE slug = :s"), {"s": SLUG})
        me = int(found.scalar_one())
        total = conn.execute(text("SELECT count(*) FROM network_item")).scalar_one()
        middle = _cursor(conn, "network_item", "network_id", me, total // 2, oldest=False)
        deepest = _cursor(conn, "network_item", "network_id", me, 20, oldest=True)
        outbox_deepest = _cursor(conn, "outbox_activity", "actor_id", me, 20, oldest=True)
        followers = _relations(conn, "follower", "actor_id", "accepted", me, newest_first=True)
        members = _relations(conn, "membership", "network_id", "admitted", me, newest_first=False)
    engine.dispose()
    month = datetime.now(UTC).strftime("%Y-%m")
    net, actor = f"/networks/{SLUG}", f"/actors/{SLUG}"
    return [
        ("/@coop HTML (baseline)", "/@coop", HTML),
        ("/@ussen HTML (network profile)", f"/@{SLUG}", HTML),
        ("timeline page 1", net, HTML),
        ("timeline, middle cursor", f"{net}?before={middle}", HTML),
        ("timeline, deepest page", f"{net}?before={deepest}", HTML),
        ("timeline, old ?page=60 (301)", f"{net}?page=60", HTML),
        ("member directory", f"{net}/members", HTML),
        ("calendar (upcoming list)", f"{net}/calendar", HTML),
        ("calendar month", f"{net}/calendar?month={month}", HTML),
        ("/regions/Catalunya", "/regions/Catalunya", HTML),
        ("/categories/MEETING", "/categories/MEETING", HTML),
        ("search ?q=cooperative", "/search?q=cooperative", HTML),
        ("outbox collection", f"{actor}/outbox", AS_JSON),
        ("outbox page 1", f"{actor}/outbox?page=1", AS_JSON),
        ("outbox deepest page", f"{actor}/outbox?before={outbox_deepest}", AS_JSON),
        ("upcomingEvents page 1", f"{actor}/events?page=1", AS_JSON),
        *_collection_pages(f"{actor}/followers", "followers", followers),
        *_collection_pages(f"{actor}/members", "members", members),
        ("calendar.ics", f"/@{SLUG}/calendar.ics", "text/calendar"),
        ("RSS", f"/@{SLUG}/feed.rss", "*/*"),
        ("Atom", f"/@{SLUG}/feed.atom", "*/*"),
        ("JSON Feed", f"/@{SLUG}/feed.json", "*/*"),
    ]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux: /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm(port: int, path: str, accept: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(3):
        conn.request("GET", path, headers={"Accept": accept, "Host": "127.0.0.1:8999"})
        conn.getresponse().read()
    conn.close()


def measure(
    port: int, path: str, accept: str, args: argparse.Namespace, server: int
) -> dict[str, Any]:
    """One page, driven by bench/reads_client.py in its own process; ``cpu_ms``: the server's
    CPU time per request (warm-up included), less sensitive than latency to a shared machine."""
    cmd = [sys.executable, str(ROOT / "bench" / "reads_client.py"), str(port), path, accept]
    cmd += [str(args.requests), str(args.budget)]
    warm(port, path, accept)  # what a first request costs (imports, templates) is not counted
    before = cpu_seconds(server)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    found = dict(json.loads(out.stdout))
    found["cpu_ms"] = (cpu_seconds(server) - before) * 1000 / (found["n"] + WARM_UP)
    return found


def wanted(name: str, args: argparse.Namespace) -> bool:
    """Whether ``--pages`` asks for this page (the baseline always: the ratios need it)."""
    patterns = [w.strip() for w in (args.pages or "").split(",") if w.strip()]
    return (
        not patterns
        or "baseline" in name
        or any(re.search(w, name, re.IGNORECASE) for w in patterns)
    )


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    return {"items": args.items, "members": args.members, "followers": args.followers}


def database_case(
    label: str, tmp: Path, db: str | None, args: argparse.Namespace, kept: dict[str, Any]
) -> None:
    """Seed (or, kept from an earlier run of the same sizes, reuse) one database and time its
    pages. ``kept``: what ``--keep`` remembers between runs (written back by the caller)."""
    env = node_env(tmp, label, db)
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whichever one the venv was installed from
    mine = kept.setdefault(label, {})
    if mine.get("sizes") == _sizes(args):
        env["SOLNODE_SECRET_KEY"] = mine["secret"]
        subprocess.run([SOLNODE, "migrate"], env=env, check=True, capture_output=True)
        print(f"{label}: reusing the network seeded in {tmp / label}", flush=True)
    else:
        for cmd in (["init"], ["org", "create", "coop", "--name", "Coop"]):
            subprocess.run([SOLNODE, *cmd], env=env, check=True, capture_output=True)
        settings = load_settings(env={k: v for k, v in env.items() if k.startswith("SOLNODE_")})
        engine = make_engine(settings)
        started = time.monotonic()
        urls = Urls(settings.base_url)
        network = seed(engine, urls, SLUG, args.members, args.items, progress=print)
        seed_followers(engine, network, args.followers)
        engine.dispose()
        print(f"{label}: seeded in {time.monotonic() - started:.0f} s", flush=True)
        mine.update(sizes=_sizes(args), secret=env["SOLNODE_SECRET_KEY"])
    codes = [Path(code).resolve() for code in args.code or [ROOT]]
    with ExitStack() as stack:
        servers = []  # (checkout, port, pid) of each `solnode serve`
        for code in codes:
            port = load.free_port()
            cmd = [SOLNODE, "serve", "--no-worker", "--port", str(port)]
            proc = subprocess.Popen(
                cmd,
                env={**env, "PYTHONPATH": str(code)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(_stop, proc)
            load.wait_answering(f"http://127.0.0.1:{port}/.well-known/nodeinfo", proc)
            servers.append((code, port, proc.pid))
        baselines: dict[Path, float] = {}
        print(f"\n{label}, {args.items:,} items, {args.members:,} members")
        print(f"load average {os.getloadavg()[0]:.1f}")
        print(
            f"{'page':<34} {'p50 ms':>8} {'p99 ms':>8} {'p99/base':>9} {'CPU ms':>7}"
            f" {'n':>5}  status{'  code' if len(codes) > 1 else ''}"
        )
        for name, path, accept in [p for p in pages(env) if wanted(p[0], args)]:
            for code, port, pid in servers:
                res = measure(port, path, accept, args, pid)
                baseline = baselines.setdefault(code, res["p99_ms"])
                print(
                    f"{name:<34} {res['p50_ms']:8.1f} {res['p99_ms']:8.1f}"
                    f" {res['p99_ms'] / baseline:8.1f}x {res['cpu_ms']:7.2f} {res['n']:5}"
                    f"  {res['statuses']}{f'  {code}' if len(codes) > 1 else ''}",
                    flush=True,
                )
        print(f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--followers", type=int, default=20_000)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per page at most")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the seeded databases here, reuse them")
    parser.add_argument("--drop", type=Path, help="drop the PostgreSQL schema kept in this DIR")
    parser.add_argument("--pages", help="only pages whose label matches one of these (re,re)")
    parser.add_argument(
        "--code", action="append", help="serve from this checkout (repeat to compare them)"
    )
    args = parser.parse_args()
    if args.drop is not None:
        drop_kept(args.drop)
        return
    with ExitStack() as stack:
        if args.keep is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            tmp = args.keep.resolve()
            tmp.mkdir(parents=True, exist_ok=True)
        state = tmp / "reads.json"
        kept: dict[str, Any] = json.loads(state.read_text()) if state.exists() else {}

        def remember() -> None:
            if args.keep is not None:
                state.write_text(json.dumps(kept, indent=1))

        if not args.no_sqlite:
            database_case("SQLite", tmp, None, args, kept)
            remember()
        if not args.no_postgres:
            if args.keep is None:
                url = pg_schema(stack)
            else:
                url = kept.get("postgres_url") or pg_schema(ExitStack())  # not dropped: kept
                kept["postgres_url"] = url
            database_case("PostgreSQL", tmp, url, args, kept)
            remember()


def drop_kept(where: Path) -> None:
    """Drop the PostgreSQL schema a ``--keep`` run left (the directory is the caller's)."""
    state = where / "reads.json"
    kept = json.loads(state.read_text()) if state.exists() else {}
    url = kept.pop("postgres_url", None)
    if url is None:
        return
    schema = unquote(url.rsplit("search_path%3D", 1)[1])
    admin = create_engine(normalize_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
    kept.pop("PostgreSQL", None)
    state.write_text(json.dumps(kept, indent=1))


if __name__ == "__main__":
    main()
