"""A network's month page, and a region's or a category's, keep their slice of events under the
calendar generations (node/features/networks/kept_slices.py): read again, they are joined from
what was kept; a change to anything the slice was drawn from (an event filed, updated, hidden,
or moved to another month) shows at the next read, a renamed author is credited by the new
name even while the slice itself stays kept, and an event that ends leaves a region's page
while the rest of its slice is still served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sqlalchemy_event
from sqlmodel import select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.networks import collections, highlights, kept_slices, routes, rules
from node.federation.context import NodeContext
from node.models import LocalActor, RemoteActor
from node.settings import Settings
from tests.db.network_support import PUBLIC, activity, admitted, deliver, event, local, remote
from tests.db.test_calendar_bounds import file_events, timed

ORG = "https://coop.example/actors/riverside"
MAY, JUNE = "/networks/ussen/calendar?month=2099-05", "/networks/ussen/calendar?month=2099-06"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def ussen(engine: Engine) -> LocalActor:
    net = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, net, ORG)
    return net


def create(obj: dict[str, object]) -> dict[str, object]:
    return activity("Create", ORG, obj, to=[PUBLIC])


def hourly_meetings(engine: Engine, network: LocalActor, count: int) -> datetime:
    """File "Meeting 01" .. "Meeting {count}", each starting n hours from now and lasting 50
    minutes; returns that now (to the second)."""
    now = datetime.now(UTC).replace(microsecond=0)
    meetings = [
        timed(n, now + timedelta(hours=n), now + timedelta(hours=n, minutes=50), f"Meeting {n:02d}")
        for n in range(1, count + 1)
    ]
    file_events(engine, network, meetings)
    return now


def month(client: TestClient, engine: Engine, path: str = MAY) -> tuple[str, bool]:
    """The month's page, and whether its slice was the kept one."""
    store = kept_slices.kept(engine)
    hits = store.hits
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.text, store.hits > hits


async def test_a_month_read_again_is_the_kept_slice_until_an_event_is_filed(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, 1, name="Seed swap")))
    first, kept = month(client, engine)
    assert "Seed swap" in first and not kept
    again, kept = month(client, engine)
    assert kept and again == first  # the same page, its rows not read again

    await deliver(node, create(event(ORG, 2, name="Tool library")))
    page, kept = month(client, engine)
    assert not kept  # a new generation: the slice is read anew
    assert "Seed swap" in page and "Tool library" in page
    assert month(client, engine)[1]


async def test_an_event_updated_into_another_month_or_hidden_leaves_the_kept_month(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    moving, hidden = event(ORG, 1, name="Compost day"), event(ORG, 2, name="Repair cafe")
    for ev in (moving, hidden):
        await deliver(node, create(ev))
    assert month(client, engine)[0].count("(Riverside)") == 2
    assert month(client, engine)[1]

    june = moving | {
        "startTime": "2099-06-05T18:00:00-04:00",
        "endTime": "2099-06-05T20:00:00-04:00",
    }
    assert "updated" in await deliver(node, activity("Update", ORG, june, to=[PUBLIC]))
    with session_scope(engine) as session:
        rules.hide_item(session, node, ussen, str(hidden["id"]), "cli:ana", "off topic")
    may, kept = month(client, engine)
    assert not kept
    assert "Compost day" not in may and "Repair cafe" not in may
    assert "Compost day" in month(client, engine, JUNE)[0]


async def test_a_renamed_author_is_credited_by_the_new_name_from_the_kept_slice(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, 1, name="Seed swap")))
    assert "(Riverside)" in month(client, engine)[0]
    with session_scope(engine) as session:
        row = session.exec(select(RemoteActor).where(RemoteActor.ap_id == ORG)).one()
        row.name = "Riverside Growers"
        session.add(row)
    # a remote actor's name is no item of the network: the generation stays, the slice is
    # the kept one, and its credit line is read again
    page, kept = month(client, engine)
    assert kept
    assert "(Riverside Growers)" in page and "(Riverside)" not in page


def test_an_event_that_ends_leaves_a_category_page_served_from_its_kept_slice(
    engine: Engine, client: TestClient, ussen: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = hourly_meetings(engine, ussen, 59)
    store = kept_slices.kept(engine)
    first = client.get("/categories/MEETING").text
    assert "Meeting 01" in first and "Meeting 50" in first and "Meeting 51" not in first

    # two hours on: the first two meetings are over, and the page goes on to the 52nd
    later = now + timedelta(hours=2, minutes=55)
    for module in (kept_slices, highlights):
        monkeypatch.setattr(module, "now_utc", lambda: later)
    hits = store.hits
    page = client.get("/categories/MEETING").text
    assert store.hits > hits  # no event changed: the kept slice, its ended events left out
    assert "Meeting 01" not in page and "Meeting 02" not in page
    assert "Meeting 03" in page and "Meeting 52" in page and "Meeting 53" not in page
    # the same page as one read afresh at that time
    store.clear()
    assert client.get("/categories/MEETING").text == page

    # fewer than a page of the kept ones still running: read again
    monkeypatch.setattr(kept_slices, "now_utc", lambda: now + timedelta(hours=30))
    monkeypatch.setattr(highlights, "now_utc", lambda: now + timedelta(hours=30))
    page = client.get("/categories/MEETING").text
    assert "Meeting 29" not in page and "Meeting 30" in page and "Meeting 59" in page


async def test_a_kept_month_reads_no_event_and_its_generation_by_primary_key(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    await deliver(node, create(event(ORG, 1, name="Seed swap")))
    month(client, engine)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    sqlalchemy_event.listen(engine, "before_cursor_execute", record)
    try:
        assert month(client, engine)[1]
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", record)
    assert not [st for st, _ in seen if "network_item" in st]
    [(statement, parameters)] = [(st, p) for st, p in seen if "calendar_stamp" in st]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            assert [row[-1] for row in plan] == [
                "SEARCH calendar_stamp USING INTEGER PRIMARY KEY (rowid=?)"
            ]
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            assert "Index Scan using calendar_stamp_pkey" in plan[0][0], plan
            conn.rollback()


def test_the_calendar_list_is_served_from_its_kept_slice_while_more_than_a_page_runs(
    engine: Engine, client: TestClient, ussen: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An evening's hourly meetings: the list's first page read again is the kept slice; two
    hours on, the two that ended leave it, the page goes on as far as a fresh read does and its
    next page starts where a fresh read's does; an event filed is on the next read."""
    now = hourly_meetings(engine, ussen, 89)
    store = kept_slices.kept(engine)
    listing = "/networks/ussen/calendar"
    first = client.get(listing).text
    assert "Meeting 01" in first and "Meeting 50" in first and "Meeting 51" not in first
    hits = store.hits
    assert client.get(listing).text == first and store.hits > hits

    later = now + timedelta(hours=2, minutes=55)
    monkeypatch.setattr(routes, "now_utc", lambda: later)
    hits = store.hits
    page = client.get(listing).text
    assert store.hits > hits
    assert "Meeting 02" not in page and "Meeting 03" in page and "Meeting 52" in page
    assert "Meeting 53" not in page
    store.clear()
    assert client.get(listing).text == page  # what a fresh read at that time shows, links included

    file_events(engine, ussen, [timed(99, now + timedelta(hours=4, minutes=5), None, "Assembly")])
    assert "Assembly" in client.get(listing).text


def credit(name: str) -> str:
    """An entry's credit line on a profile: its author's name, then the handle."""
    return f'rel="nofollow noopener">{name}</a> <span class="handle">'


async def test_the_network_profile_lists_from_its_kept_slices_until_something_is_filed(
    node: NodeContext, engine: Engine, client: TestClient, ussen: LocalActor
) -> None:
    """/@ussen's next events and latest news, read again, are the kept ones, their credit lines
    read anew; a news item filed shows at the next read."""
    await deliver(node, create(event(ORG, 1, name="Seed swap")))
    store = kept_slices.kept(engine)
    first = client.get("/@ussen").text
    assert "Seed swap" in first and credit("Riverside") in first
    hits = store.hits
    assert client.get("/@ussen").text == first
    assert store.hits == hits + 2  # the events and the latest, both kept

    with session_scope(engine) as session:
        row = session.exec(select(RemoteActor).where(RemoteActor.ap_id == ORG)).one()
        row.name = "Riverside Growers"
        session.add(row)
    renamed = client.get("/@ussen").text
    assert credit("Riverside Growers") in renamed and credit("Riverside") not in renamed

    story: dict[str, object] = {
        "id": "https://coop.example/items/news-1",
        "type": "Article",
        "attributedTo": ORG,
        "name": "How our tool library grew",
        "content": "<p>Three years of lending.</p>",
        "to": [PUBLIC],
    }
    await deliver(node, create(story))
    hits = store.hits
    page = client.get("/@ussen").text
    assert store.hits == hits  # a new generation: both read anew
    assert "How our tool library grew" in page and "Seed swap" in page


def test_upcoming_events_is_served_from_its_kept_slice_and_an_event_filed_shows(
    engine: Engine, client: TestClient, ussen: LocalActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FEP-8a8e's collection, as Mobilizon polls it: read again, the kept page; an hour on,
    the ended meeting has left it and it equals a fresh read; a filed event is on it next."""
    now = hourly_meetings(engine, ussen, 39)
    store = kept_slices.kept(engine)
    page = "/actors/ussen/events?page=true"
    first = client.get(page, headers={"Accept": "application/activity+json"}).json()
    names = [e["name"] for e in first["orderedItems"]]
    assert names[0] == "Meeting 01" and len(names) == 20 and "next" in first
    hits = store.hits
    assert client.get(page, headers={"Accept": "application/activity+json"}).json() == first
    assert store.hits > hits

    monkeypatch.setattr(collections, "now_utc", lambda: now + timedelta(hours=1, minutes=55))
    later = client.get(page, headers={"Accept": "application/activity+json"}).json()
    assert [e["name"] for e in later["orderedItems"]][:2] == ["Meeting 02", "Meeting 03"]
    store.clear()
    assert client.get(page, headers={"Accept": "application/activity+json"}).json() == later

    file_events(engine, ussen, [timed(99, now + timedelta(hours=2, minutes=5), None, "Assembly")])
    again = client.get(page, headers={"Accept": "application/activity+json"}).json()
    assert "Assembly" in [e["name"] for e in again["orderedItems"]]
