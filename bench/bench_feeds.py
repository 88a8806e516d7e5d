"""Benchmark: a network's calendar and feeds, against the cost of writing the same iCalendar bare.

Run: ``.venv/bin/python bench/bench_feeds.py [--events 500] [--repeat 20]``

Builds a fresh SQLite database in a temp dir: a network that aggregated ``--events`` events of
organizations elsewhere (each with a place, a zone and a hashtag, its document filed as the
inbox files it: cleaned, under the current cleaning rules)
and an organization of this node with a monthly series, then times, in process (Starlette's
test client, no sockets), ``GET /@network/calendar.ics``, the same filtered by region, the
node-wide ``/regions/{r}/calendar.ics``, and the network's JSON Feed and RSS, each answer
checked (status 200, the expected number of VEVENTs). Peak memory of one calendar request is
read with tracemalloc.

Calendars and feeds are timed written (the render caches and the remembered answers emptied
before each request; for the network calendar the time per event is printed too, and the
process's CPU time, which a loaded machine disturbs far less than the wall clock; the load
average is printed before and after) and unchanged since the last poll (what most calendar-app
and feed-reader polls find); the network calendar is also polled three ways: a plain GET (the
body from the cache), a GET with the
ETag it was given (If-None-Match: a 304) and one with If-Modified-Since. An unchanged poll reads
the calendar's per-actor generation (calendar_stamp, kept by triggers) and loads no event.
``--events 5000`` is the size of issue #16's goal (a calendar lists at most 5,000 events to
come).

The baseline is the floor of the same output: :func:`node.features.feeds.ical.calendar` writing the
``--events`` entries from memory (no database, no HTTP, no cache), in the same run. The ratio says
what loading, crediting, grouping series and answering cost on top of writing iCalendar.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from starlette.testclient import TestClient

from node import migrations
from node.app import create_app
from node.db import make_engine, session_scope
from node.features.feeds import cache as feed_cache
from node.features.feeds import ical, stamps
from node.features.feeds.entries import CALENDAR_SIZE, FeedEntry
from node.features.networks.facts import item_facts
from node.features.networks.filing import apply_facts, file_document
from node.features.publishing import service
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.models import RemoteActor
from node.models.networks import NetworkItem
from node.settings import load_settings

BASE = "http://127.0.0.1:8000"
REGIONS = ["Midwest", "New England", "Pacific Northwest", "Southeast", "Southwest"]
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "America/New_York"]


def remote_event(n: int, author: str, start: datetime) -> dict[str, Any]:
    zone = ZONES[n % len(ZONES)]
    return {
        "id": f"https://coop{n % 50}.example/items/event-{n}",
        "type": "Event",
        "attributedTo": author,
        "name": f"Workshop {n}: group purchasing for food co-ops",
        "content": "<p>Bring your co-op's numbers; we pool orders for the season.</p>",
        "url": f"https://coop{n % 50}.example/events/{n}",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=2)).isoformat(),
        "timezone": zone,
        "location": {
            "type": "Place",
            "name": "Grange Hall",
            "address": {
                "type": "PostalAddress",
                "addressLocality": "Springfield",
                "addressRegion": REGIONS[n % len(REGIONS)],
                "addressCountry": "US",
            },
            "latitude": 40.0 + n / 1000,
            "longitude": -89.0,
        },
        "category": "WORKSHOPS_SKILL_SHARING",
        "tag": [{"type": "Hashtag", "name": "#coops"}],
        "published": "2026-10-01T12:00:00Z",
        "updated": "2026-10-01T12:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


def build(directory: Path, events: int) -> tuple[TestClient, list[dict[str, Any]]]:
    settings = load_settings(
        env={},
        base_url=BASE,
        data_dir=str(directory / "data"),
        database_url=f"sqlite:///{directory / 'node.db'}",
        secret_key="bench",
    )
    engine = make_engine(settings)
    migrations.upgrade(engine)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    docs = []
    with session_scope(engine) as session:
        network = create_actor(session, "ussen", kind="network", name="Solidarity Network")
        org = create_actor(session, "nec", kind="organization", name="New Economy Coalition")
        for n in range(50):
            ap_id = f"https://coop{n}.example/actors/coop"
            session.add(
                RemoteActor(ap_id=ap_id, name=f"Co-op {n}", domain=f"coop{n}.example", url=ap_id)
            )
        for n in range(events):
            doc = remote_event(n, f"https://coop{n % 50}.example/actors/coop", start)
            start += timedelta(hours=5)
            docs.append(doc)
            row = NetworkItem(
                network_id=network.id, object_id=doc["id"], author=doc["attributedTo"]
            )
            file_document(row, doc)
            apply_facts(row, item_facts(doc))
            session.add(row)
        first = datetime.now(UTC) + timedelta(days=10)
        service.create_series(
            session,
            NodeContext.build(settings, engine),
            org,
            {
                "name": "Monthly peer support forum",
                "startTime": first.strftime("%Y-%m-%dT18:30:00"),
                "endTime": first.strftime("%Y-%m-%dT20:00:00"),
                "timezone": "America/New_York",
                "recurrence": {"frequency": "monthly", "count": 12},
            },
        )
    app = create_app(settings, engine=engine)
    return TestClient(app, base_url=BASE), docs


def floor_entries(docs: list[dict[str, Any]]) -> list[FeedEntry]:
    """The calendar's entries as they are once loaded and credited (built before the clock)."""
    found = []
    for doc in docs:
        start = datetime.fromisoformat(doc["startTime"])
        found.append(
            FeedEntry(
                object_id=doc["id"],
                document=doc,
                kind="event",
                author_name="Co-op",
                author_url=doc["attributedTo"],
                published=datetime(2026, 10, 1, 12, tzinfo=UTC),
                updated=datetime(2026, 10, 1, 12, tzinfo=UTC),
                start=start,
                end=start + timedelta(hours=2),
            )
        )
    return found


def timed(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def unchanged(
    client: TestClient, get: Callable[..., Callable[[], Any]], shown: int, base: float, repeat: int
) -> None:
    """The network calendar written, per event, and polled unchanged three ways."""
    path = "/@ussen/calendar.ics"
    first = get(path, shown)()
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    def cold() -> Any:
        feed_cache.calendars.clear()
        stamps.answers.clear()
        return get(path, shown)()

    written = timed(cold, max(3, repeat // 4))
    print(
        f"network calendar of {shown} events written: {written * 1000:.1f} ms, "
        f"{written * 1000 / shown:.3f} ms an event ({written / base:.2f}x the floor)"
    )
    cpu_times = []
    for _ in range(max(3, repeat // 4)):
        began = time.process_time()
        cold()
        cpu_times.append(time.process_time() - began)
    cpu = statistics.median(cpu_times)
    print(
        f"  written, CPU time of the process (every thread): {cpu * 1000:.1f} ms, "
        f"{cpu * 1000 / shown:.3f} ms an event"
    )
    polls = [
        ("plain GET (body from the cache)", get(path, shown)),
        ("If-None-Match (304)", get(path, headers={"If-None-Match": etag})),
        ("If-Modified-Since (304)", get(path, headers={"If-Modified-Since": modified})),
    ]
    for name, run in polls:
        took = timed(run, repeat * 5)
        print(f"  unchanged, {name}: {took * 1000:.2f} ms ({took / base:.4f}x the floor)")
    began = time.process_time()
    for _ in range(repeat * 5):
        get(path, headers={"If-None-Match": etag})()
    cpu = (time.process_time() - began) / (repeat * 5)
    print(f"  unchanged, If-None-Match, CPU time per poll: {cpu * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"building a network with {args.events} aggregated events …", flush=True)
        client, docs = build(Path(tmp), args.events)
        with client:

            def get(
                path: str, vevents: int | None = None, headers: dict[str, str] | None = None
            ) -> Callable[[], Any]:
                def run() -> Any:
                    answer = client.get(path, headers=headers or {})
                    if headers:
                        assert answer.status_code == 304, (path, answer.status_code)
                        return answer
                    assert answer.status_code == 200, (path, answer.status_code)
                    if vevents is not None:
                        found = answer.content.count(b"BEGIN:VEVENT")
                        assert found == vevents, (path, found, vevents)
                    return answer

                return run

            shown = min(args.events, CALENDAR_SIZE)
            midwest = sum(
                1 for d in docs[:shown] if d["location"]["address"]["addressRegion"] == "Midwest"
            )
            cases = [
                ("network calendar", get("/@ussen/calendar.ics", shown)),
                ("network calendar ?region=Midwest", get("/@ussen/calendar.ics?region=Midwest")),
                ("/regions/Midwest/calendar.ics", get("/regions/Midwest/calendar.ics")),
                ("organization calendar (a series)", get("/@nec/calendar.ics", 4)),
                ("network JSON Feed", get("/@ussen/feed.json")),
                ("network RSS", get("/@ussen/feed.rss")),
            ]
            ready = floor_entries(docs[:shown])
            base = timed(lambda: ical.calendar("floor", ready, BASE), args.repeat)
            print(
                f"floor: ical.calendar() writes {shown} entries from memory: {base * 1000:.1f} ms"
            )
            for name, run in cases:
                # feeds, like calendars, are answered from a validator while unchanged

                def cold(run: Callable[[], Any] = run) -> Any:
                    feed_cache.calendars.clear()
                    feed_cache.feeds.clear()
                    stamps.answers.clear()
                    return run()

                took = timed(cold, args.repeat)
                print(f"{name}, written: {took * 1000:.1f} ms ({took / base:.2f}x the floor)")
                took = timed(run, args.repeat)
                label = f"{name}, unchanged since the last poll"
                print(f"{label}: {took * 1000:.1f} ms ({took / base:.2f}x the floor)")
            print(f"(the Midwest calendars hold {midwest} events)")
            unchanged(client, get, shown, base, args.repeat)
            feed_cache.calendars.clear()
            stamps.answers.clear()
            tracemalloc.start()
            get("/@ussen/calendar.ics", shown)()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"peak memory of one network calendar request: {peak / 2**20:.1f} MiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
