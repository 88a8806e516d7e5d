"""A big network's calendar stays right and bounded: a month busier than any old window shows
every one of its events, page by page; the list and ``upcomingEvents`` walked by cursor visit
every event not over yet exactly once (one that started yesterday and ends tomorrow included);
an unchanged calendar is answered 304 before any event is read, and a changed event changes its
ETag."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks.facts import item_facts
from node.features.networks.filing import apply_facts
from node.features.networks.highlights import network_highlights, node_upcoming
from node.features.networks.routes import MONTH_SIZE
from node.federation.context import NodeContext
from node.models import LocalActor
from node.models.networks import NetworkItem
from node.settings import Settings
from tests.db.network_support import event as remote_event
from tests.db.network_support import local, remote, upcoming_walk

AP = {"Accept": "application/activity+json"}
ORG = "https://coops.example/actors/grocery"
OLD_WINDOW = 2000  # the old month view showed the 2,000 events soonest after now


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def file_events(engine: Engine, network: LocalActor, docs: list[dict[str, Any]]) -> None:
    """File events as the inbox files them (the facts, ends_at and lasting included)."""
    with session_scope(engine) as session:
        for doc in docs:
            row = NetworkItem(
                network_id=network.id or 0, object_id=doc["id"], author=ORG, document=doc
            )
            apply_facts(row, item_facts(doc))
            session.add(row)


def timed(n: int, start: datetime, end: datetime | None, name: str = "") -> dict[str, Any]:
    doc = remote_event(ORG, n, name=name or f"Event {n}", startTime=start.isoformat())
    if end is None:
        doc.pop("endTime")
    else:
        doc["endTime"] = end.isoformat()
    return doc


def test_a_month_busier_than_the_old_window_shows_every_event(
    engine: Engine, node: NodeContext, client: TestClient
) -> None:
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    june = datetime(2099, 6, 1, tzinfo=UTC)
    busy = [timed(n, june + timedelta(minutes=20 * n), None) for n in range(OLD_WINDOW + 50)]
    long_one = timed(9000, june - timedelta(days=10), june + timedelta(days=40), "Summer fair")
    outside = [
        timed(9001, june - timedelta(days=2), june - timedelta(days=1), "May market"),
        timed(9002, datetime(2099, 7, 1, tzinfo=UTC), None, "July assembly"),
    ]
    file_events(engine, network, [*busy, long_one, *outside])

    with Session(engine) as session:
        until = datetime(2099, 7, 1, tzinfo=UTC)
        walk = upcoming_walk(session, node, network, since=june, until=until, limit=300)
    seen = [e.object_id for e in walk]
    assert len(seen) == len(set(seen)) == OLD_WINDOW + 51
    assert set(seen) == {d["id"] for d in [*busy, long_one]}

    first = client.get("/networks/ussen/calendar?month=2099-06")
    assert first.status_code == 200 and "Summer fair" in first.text
    more = re.search(r'href="([^"]*after=[^"]*)" rel="next">More events this month', first.text)
    assert more is not None
    second = client.get(more[1].replace("&amp;", "&"))
    # the first page: the fair (begun in May) and the Events before MONTH_SIZE - 1; the second
    # goes on from there
    last = MONTH_SIZE - 2
    assert f"Event {last}<" in first.text and f"Event {last + 1}<" not in first.text
    assert second.status_code == 200 and f"Event {last + 1}<" in second.text
    assert f"Event {last}<" not in second.text and "July assembly" not in second.text


def upcoming_scene(engine: Engine) -> tuple[LocalActor, list[str], set[str]]:
    """Events around now: over, running (one since yesterday until tomorrow), and coming, many
    of them at the same minute (ties the cursor must not lose)."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    now = datetime.now(UTC).replace(microsecond=0)
    over = [
        timed(1, now - timedelta(hours=5), now - timedelta(hours=3), "Over already"),
        timed(2, now - timedelta(hours=13), None, "No end, started 13 hours ago"),
        timed(3, now - timedelta(days=30), now - timedelta(days=2), "Long and over"),
    ]
    running = [
        timed(4, now - timedelta(days=1), now + timedelta(days=1), "Since yesterday"),
        timed(5, now - timedelta(hours=1), now + timedelta(hours=1), "Running now"),
        timed(6, now - timedelta(hours=6), None, "No end, started 6 hours ago"),
        timed(7, now - timedelta(days=90), now + timedelta(days=90), "Season-long exhibition"),
    ]
    soon = now + timedelta(days=3)
    coming = [timed(100 + n, soon + timedelta(hours=n // 7), None) for n in range(130)]
    file_events(engine, network, [*over, *running, *coming])
    soonest = sorted([*running, *coming], key=lambda d: (d["startTime"], d["id"]))
    return network, [d["id"] for d in soonest], {d["id"] for d in over}


def test_upcoming_events_walked_by_cursor_visit_every_event_once(
    engine: Engine, client: TestClient
) -> None:
    _, upcoming, over = upcoming_scene(engine)
    collection = client.get("/actors/ussen/events", headers=AP).json()
    assert "totalItems" not in collection
    url: str | None = collection["first"]
    seen: list[str] = []
    while url is not None:
        page = client.get(url, headers=AP).json()
        assert page["type"] == "OrderedCollectionPage" and len(page["orderedItems"]) <= 20
        seen += [item["id"] for item in page["orderedItems"]]
        url = page.get("next")
    assert seen == upcoming  # each once, soonest first, ties in id order
    assert not over & set(seen)


def test_upcoming_events_walk_through_more_running_events_than_a_page(
    engine: Engine, client: TestClient
) -> None:
    """Each of the three ranges holds more than a page (long events running for weeks, events
    of the last day still running, events to come), with ties on the same minute across them:
    the walk by ``next`` gives each exactly once, soonest first, however the pages cut the
    ranges, and leaves out what is over."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    now = datetime.now(UTC).replace(microsecond=0)
    lasting = [  # started 1 to 45 days ago, running for weeks more
        timed(n, now - timedelta(days=1 + n % 45), now + timedelta(days=7 + n), f"Fair {n}")
        for n in range(45)
    ]
    today = [  # started in the last day, over in the next hours (or with no end: 12 hours)
        timed(
            100 + n,
            now - timedelta(minutes=20 * (n // 2) + 10),
            None if n % 3 else now + timedelta(hours=2),
            f"Today {n}",
        )
        for n in range(33)
    ]
    # the same minutes as some of the fairs' starts and of each other
    ties = [
        timed(200 + n, now - timedelta(days=1 + n % 5), now + timedelta(days=3)) for n in range(6)
    ]
    coming = [timed(300 + n, now + timedelta(hours=1 + n // 4), None) for n in range(45)]
    over = [
        timed(400, now - timedelta(days=20), now - timedelta(days=1), "Fair over"),
        timed(401, now - timedelta(hours=20), now - timedelta(hours=1), "Over this morning"),
        timed(402, now - timedelta(hours=12, minutes=1), None, "No end, over"),
    ]
    file_events(engine, network, [*lasting, *today, *ties, *coming, *over])
    running = [*lasting, *today, *ties, *coming]
    expected = [d["id"] for d in sorted(running, key=lambda d: (d["startTime"], d["id"]))]

    url: str | None = client.get("/actors/ussen/events", headers=AP).json()["first"]
    pages: list[list[str]] = []
    while url is not None:
        with Statements(engine) as statements:
            page = client.get(url, headers=AP).json()
        pages.append([item["id"] for item in page["orderedItems"]])
        url = page.get("next")
        # one statement finds a page's events and reads their rows; the documents embedded
        # credit their organizers, so no author is looked up
        assert len([s for s in statements.seen if "FROM network_item" in s]) == 1
        assert not [s for s in statements.seen if "remote_actor" in s]
    seen = [ident for page in pages for ident in page]
    assert seen == expected  # each once, soonest first, ties in id order
    assert [len(p) for p in pages] == [20] * 6 + [9]  # every page full but the last
    assert not {d["id"] for d in over} & set(seen)


def test_the_calendar_list_pages_by_cursor_and_keeps_what_is_still_running(
    engine: Engine, client: TestClient
) -> None:
    upcoming_scene(engine)
    first = client.get("/networks/ussen/calendar")
    assert first.status_code == 200
    for running in ("Since yesterday", "Running now", "No end, started 6 hours ago"):
        assert running in first.text
    assert "Season-long exhibition" in first.text
    for gone in ("Over already", "No end, started 13 hours ago", "Long and over"):
        assert gone not in first.text
    titles: list[str] = []
    page = first
    while True:
        titles += re.findall(r">(Event \d+)<", page.text)
        more = re.search(r'href="([^"]*after=[^"]*)" rel="next">Later events', page.text)
        if more is None:
            break
        page = client.get(more[1].replace("&amp;", "&"))
    assert len(titles) == len(set(titles)) == 130


class Statements:
    """The SQL an engine runs while counted."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.seen = engine, list[str]()

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)


def test_an_unchanged_calendar_is_a_304_before_any_event_is_read(
    engine: Engine, client: TestClient
) -> None:
    network, _, _ = upcoming_scene(engine)
    first = client.get("/@ussen/calendar.ics")
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert (
        len(icalendar.Calendar.from_ical(first.content).walk("VEVENT")) == 4 + 130 + 3
    )  # running, coming, recent past

    with Statements(engine) as statements:
        again = client.get("/@ussen/calendar.ics", headers={"If-None-Match": etag})
        since = client.get("/@ussen/calendar.ics", headers={"If-Modified-Since": modified})
        plain = client.get("/@ussen/calendar.ics")
    assert (again.status_code, since.status_code, plain.status_code) == (304, 304, 200)
    assert again.headers["etag"] == etag and plain.content == first.content
    assert not [s for s in statements.seen if "network_item" in s], statements.seen

    with session_scope(engine) as session:
        row = session.exec(
            select(NetworkItem).where(NetworkItem.network_id == network.id).limit(1)
        ).one()
        row.document = {**row.document, "name": "Renamed by its organizer"}
    changed = client.get("/@ussen/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"Renamed by its organizer" in changed.content

    with session_scope(engine) as session:  # a row deleted (a Delete from its organizer)
        session.delete(session.get(NetworkItem, row.id))
    shorter = client.get("/@ussen/calendar.ics", headers={"If-None-Match": changed.headers["etag"]})
    assert shorter.status_code == 200 and b"Renamed by its organizer" not in shorter.content


def test_the_short_lists_leave_sessions_out_and_go_on_by_cursor(
    engine: Engine, node: NodeContext, client: TestClient
) -> None:
    """The profile's and the front page's next events read as many as they show, and read on
    when a conference's sessions (listed in its programme, not there) fill what they read."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    sessions = [timed(n, soon + timedelta(minutes=n), None, f"Session {n}") for n in range(10)]
    for doc in sessions:
        doc["superEvent"] = "https://far.example/events/conference"
    talks = [
        timed(100 + n, soon + timedelta(hours=3, minutes=n), None, f"Talk {n}") for n in range(8)
    ]
    file_events(engine, network, [*sessions, *talks])
    with Session(engine) as session:
        mine, _ = network_highlights(session, node, network, 6)
        everyone = node_upcoming(session, node, 6)
    wanted = [f"Talk {n}" for n in range(6)]
    assert [e.document["name"] for e in mine] == wanted
    assert [e.document["name"] for e in everyone] == wanted
    page = client.get("/@ussen").text
    assert "Talk 5<" in page and "Talk 6<" not in page and "Session" not in page
