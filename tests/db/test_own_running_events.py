"""An organization of this node runs more of its own events at once than any window: a summer
of 1,200 fairs begun two days to seven weeks ago, a decade-long exhibition, a few talks without
an end, beside thousands of its past events and a hundred to come. Our own items are read as a
network's are, one range per class of duration (``item.span_class``, migration 0026), so each
walk by cursor gives every event not over exactly once, soonest first: ``upcomingEvents``, the
node's own events in the calendars (every organization's), and the organization's events list
(running, then to come), forwards and back. Classes are kept by the ORM on every write: an
event rescheduled to last months moves to its class."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation.context import NodeContext
from node.models import Item
from node.models.spans import NO_END, SPANS, event_class
from node.settings import Settings
from tests.db.collections_support import actor
from tests.db.network_support import upcoming_walk
from tests.db.publishing_support import Page

AP = {"Accept": "application/activity+json"}
FAIRS = 1200
PAST = 2000
COMING = 100
FIRST_FAIRS = ("fair-00001", "fair-00002", "fair-00003")  # Fair 1199, 1198, 1197: one minute


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def _event(owner: int, key: str, name: str, start: datetime, end: datetime | None) -> Item:
    ap_id = f"https://x.example/events/{key}"
    doc: dict[str, Any] = {"type": "Event", "id": ap_id, "name": name}
    doc["startTime"] = start.isoformat()
    if end is not None:
        doc["endTime"] = end.isoformat()
    return Item(ap_id=ap_id, actor_id=owner, kind="event", document=doc, source={},
                start_time=start, end_time=end, published=start, updated=start)  # fmt: skip


def summer(engine: Engine, slug: str = "nec") -> list[dict[str, Any]]:
    """The organization's events (plus another's few), as (name, ap id, start, end, id)
    dicts. The fairs begun at the same minute have ap ids in the other order than their ids,
    so that the orders by (start, ap id) and by (start, id) differ."""
    owner = actor(engine, slug).id or 0
    other = actor(engine, f"{slug}-other").id or 0
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        _event(owner, f"fair-{FAIRS - n:05d}", f"Fair {n}",
               now - timedelta(days=2, hours=n - n % 3), now + timedelta(days=1, hours=n))
        for n in range(FAIRS)
    ]  # fmt: skip
    rows.append(
        _event(owner, "museum", "Museum", now - timedelta(days=3000), now + timedelta(days=900))
    )
    rows += [
        _event(owner, f"talk-{n}", f"Talk {n}", now - timedelta(hours=2 * n + 1), None)
        for n in range(8)  # without an end: the 6 begun in the last 12 hours are not over
    ]
    rows += [
        _event(owner, f"past-{n:05d}", f"Past {n}",
               now - timedelta(days=3, hours=3 * n), now - timedelta(days=3, hours=3 * n - 2))
        for n in range(PAST)
    ]  # fmt: skip
    rows += [
        _event(owner, f"coming-{n}", f"Coming {n}", now + timedelta(hours=n // 2 + 2),
               now + timedelta(hours=n // 2 + 4) if n % 5 else None)
        for n in range(COMING)
    ]  # fmt: skip
    rows += [
        _event(other, f"other-{n}", f"Other {n}", now - timedelta(days=40 * n), now + timedelta(days=2))
        for n in range(5)
    ]  # fmt: skip
    with session_scope(engine) as session:
        session.add_all(rows)
        session.flush()
        found = [
            {"name": r.document["name"], "ap_id": r.ap_id, "start": r.start_time,
             "end": r.end_time, "id": r.id, "owner": r.actor_id}
            for r in rows
        ]  # fmt: skip
    return found


def _not_over(events: list[dict[str, Any]], at: datetime) -> list[dict[str, Any]]:
    """What upcomingEvents and the calendars show of ours: not over at ``at`` (without an end,
    over NO_END after the start), soonest first, ties by ap id."""
    shown = [
        e
        for e in events
        if (e["end"] is not None and e["end"] >= at)
        or (e["end"] is None and e["start"] >= at - NO_END)
    ]
    return sorted(shown, key=lambda e: (e["start"], e["ap_id"]))


def test_upcoming_events_give_every_own_event_running_or_to_come_once(
    engine: Engine, client: TestClient
) -> None:
    events = summer(engine)
    mine = [e for e in events if not e["name"].startswith("Other")]
    expected = [e["ap_id"] for e in _not_over(mine, datetime.now(UTC))]
    assert len(expected) == FAIRS + 1 + 6 + COMING
    url: str | None = client.get("/actors/nec/events", headers=AP).json()["first"]
    seen: list[str] = []
    while url is not None:
        page = client.get(url, headers=AP).json()
        assert len(page["orderedItems"]) <= 20
        seen += [item["id"] for item in page["orderedItems"]]
        url = page.get("next")
    assert seen == expected  # each once, soonest first: the museum, then the fairs begun first
    # (the three of that minute by ap id, where the organization's list orders them by id)
    assert seen[:4] == [f"https://x.example/events/{k}" for k in ("museum", *FIRST_FAIRS)]


def test_the_nodes_own_events_walked_by_tiny_pages_are_every_organizations(
    engine: Engine, node: NodeContext
) -> None:
    events = summer(engine)
    since = datetime.now(UTC)
    expected = [e["ap_id"] for e in _not_over(events, since)]
    with Session(engine) as session:
        seen = [e.object_id for e in upcoming_walk(session, node, None, since=since, limit=7)]
    assert seen == expected
    assert any("/other-" in s for s in seen)


def _titles(page: Page) -> list[str]:
    return [text for level, text in page.headings if level == 2]


def test_the_organizations_events_list_walks_every_running_event_forwards_and_back(
    engine: Engine, client: TestClient
) -> None:
    events = summer(engine)
    now = datetime.now(UTC)
    mine = [e for e in events if not e["name"].startswith("Other")]
    # the list's events: an end not passed (running, then to come), ordered by (start, id)
    listed = sorted(
        (e for e in mine if e["end"] is not None and e["end"] >= now),
        key=lambda e: (e["start"], e["id"]),
    )
    expected = [e["name"] for e in listed]
    pages, urls = [], []
    url = "/@nec/events"
    while url:
        page = Page(client.get(url).text)
        pages.append(_titles(page))
        urls.append(url)
        following = page.find("a", rel="next")
        url = following[0]["href"] if following else ""
    assert [t for p in pages for t in p] == expected
    assert expected[:4] == ["Museum", "Fair 1197", "Fair 1198", "Fair 1199"]
    assert "Past 0" not in expected and "Talk 0" not in expected
    # back from the last page by "Previous": the same pages
    back = [pages[-1]]
    page = Page(client.get(urls[-1]).text)
    while previous := page.find("a", rel="prev"):
        page = Page(client.get(previous[0]["href"]).text)
        back.append(_titles(page))
    assert back[::-1] == pages
    # an old ?page=N lands where that page begins
    moved = client.get("/@nec/events?page=40", follow_redirects=False)
    assert _titles(Page(client.get(moved.headers["location"]).text)) == pages[39]


def test_a_cursor_of_the_former_long_running_range_goes_on_in_the_running_one(
    engine: Engine, client: TestClient
) -> None:
    """``l~…`` cursors (the events begun over a year ago, once a range of their own) are the
    running range's: the page after the museum is the fairs begun first."""
    events = summer(engine)
    museum = next(e for e in events if e["name"] == "Museum")
    stamp = museum["start"].strftime("%Y%m%dT%H%M%S.%fZ")
    page = client.get(f"/@nec/events?after=l~{stamp}~{museum['id']}")
    assert page.status_code == 200
    now = datetime.now(UTC)
    fairs = sorted(
        (e for e in events if e["name"].startswith("Fair")), key=lambda e: (e["start"], e["id"])
    )
    assert fairs[0]["end"] >= now
    assert _titles(Page(page.text))[:3] == [f["name"] for f in fairs[:3]]


def test_every_write_keeps_the_class_of_an_item(engine: Engine) -> None:
    owner = actor(engine, "nec").id or 0
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(_event(owner, "a", "A", start, start + timedelta(hours=3)))
        session.add(_event(owner, "b", "B", start, start + SPANS[3]))
        session.add(_event(owner, "c", "C", start, start + SPANS[3] + timedelta(microseconds=1)))
        session.add(_event(owner, "d", "D", start, None))
    with Session(engine) as session:
        found = {i.ap_id[-1]: i.span_class for i in session.exec(select(Item))}
    assert found == {"a": 0, "b": 3, "c": 4, "d": 0}
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id.endswith("/a"))).one()
        item.end_time = start + timedelta(days=200)  # rescheduled to run for months
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id.endswith("/a"))).one()
        assert item.span_class == 4 == event_class(start, start + timedelta(days=200))
