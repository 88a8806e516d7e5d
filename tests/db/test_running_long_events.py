"""More long events run at once than any window: a summer of 1,200 fairs, exhibitions and
residencies, all begun before now and running for days to months, in one network. The calendar
once read the 1,000 of them ending soonest, so the ones begun first (and ending last) were
missing from its first pages. Now each class of duration is a range of its own: walked by
cursor, ``upcomingEvents`` and the calendar list give every event still running exactly once,
soonest first; and at the edges of the classes (an event exactly as long as its class allows,
a microsecond longer, one over a microsecond ago, several begun at the same instant in
different classes) a walk by tiny pages finds exactly what is not over."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from node.features.networks.facts import SPANS, over_at, parse_time
from node.federation.context import NodeContext
from node.settings import Settings
from tests.db.network_support import local, remote, upcoming_walk
from tests.db.test_calendar_bounds import ORG, file_events, timed

AP = {"Accept": "application/activity+json"}
OLD_WINDOW = 1000  # the long events the list read, those ending soonest
FAIRS = OLD_WINDOW + 200


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def _order(docs: list[dict[str, Any]]) -> list[str]:
    return [d["id"] for d in sorted(docs, key=lambda d: (parse_time(d["startTime"]), d["id"]))]


def summer(engine: Engine) -> tuple[list[str], set[str]]:
    """FAIRS long events begun two days to seven weeks ago, the earliest begun ending last (so
    the 200 that end last are the 200 that come first), some at the same minute; a day's short
    events; events to come; and some over."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    now = datetime.now(UTC).replace(microsecond=0)
    fairs = [
        timed(n, now - timedelta(days=2, hours=n - n % 3), now + timedelta(days=1, hours=n))
        for n in range(FAIRS)
    ]
    decades = [timed(5000, now - timedelta(days=3000), now + timedelta(days=9000), "Museum")]
    today = [timed(6000 + n, now - timedelta(hours=n + 1), None) for n in range(8)]
    coming = [timed(7000 + n, now + timedelta(hours=n + 1), None) for n in range(30)]
    over = [
        timed(8000, now - timedelta(days=60), now - timedelta(hours=1), "Fair over"),
        timed(8001, now - timedelta(days=2), now - timedelta(days=1), "Market over"),
    ]
    file_events(engine, network, [*fairs, *decades, *today, *coming, *over])
    return _order([*fairs, *decades, *today, *coming]), {d["id"] for d in over}


def test_upcoming_events_give_every_running_long_event_past_any_window(
    engine: Engine, client: TestClient
) -> None:
    expected, over = summer(engine)
    url: str | None = client.get("/actors/ussen/events", headers=AP).json()["first"]
    seen: list[str] = []
    while url is not None:
        page = client.get(url, headers=AP).json()
        assert len(page["orderedItems"]) <= 20
        seen += [item["id"] for item in page["orderedItems"]]
        url = page.get("next")
    assert seen == expected  # each once, soonest first: the 200 begun first included
    assert not over & set(seen)


def test_the_calendar_list_walks_through_every_running_long_event(
    engine: Engine, client: TestClient
) -> None:
    expected, _ = summer(engine)
    page = client.get("/networks/ussen/calendar")
    first = page.text
    titles: list[str] = []
    while True:
        assert page.status_code == 200
        titles += re.findall(r">(Event \d+|Museum)<", page.text)
        more = re.search(r'href="([^"]*after=[^"]*)" rel="next">Later events', page.text)
        if more is None:
            break
        page = client.get(more[1].replace("&amp;", "&"))
    assert len(titles) == len(set(titles)) == len(expected)
    # the first page opens with the museum's decade-long show, then the fairs begun first
    # (seven weeks ago, ending last), the three of that minute in id order
    assert titles[:4] == ["Museum", *(f"Event {FAIRS - n}" for n in (3, 2, 1))]
    assert "Fair over" not in first and "Market over" not in first


def test_a_walk_by_tiny_pages_finds_exactly_what_is_not_over_at_the_class_edges(
    engine: Engine, node: NodeContext
) -> None:
    """At a fixed ``since``, for each class: an event exactly as long as the class allows that
    began exactly its longest before (it ends at ``since``: not over), one a microsecond longer
    (the next class) begun as long before, one of the class's longest over a microsecond ago,
    and one begun a microsecond too early for its class's range but lasting the next class;
    three begun at the same instant in different classes; the walk's pages of three cut
    between ties and between classes."""
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    since = datetime(2099, 6, 1, 12, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    docs: list[dict[str, Any]] = []
    for k, longest in enumerate(SPANS[:9]):
        base = 100 * k
        docs += [
            timed(base + 1, since - longest, since),  # exactly the longest, ends at since
            timed(base + 2, since - longest - tick, since),  # a tick longer: class k + 1
            timed(base + 3, since - longest - tick, since - tick),  # over a tick ago
            timed(base + 4, since - longest + timedelta(hours=1), since + timedelta(hours=1)),
        ]
    same = since - timedelta(days=3)
    docs += [timed(2000 + n, same, same + SPANS[n + 1]) for n in range(3)]
    docs += [timed(3000 + n, since + timedelta(minutes=n), None) for n in range(5)]
    file_events(engine, network, docs)

    def running(doc: dict[str, Any]) -> bool:
        ends = over_at(parse_time(doc["startTime"]), parse_time(doc.get("endTime")))
        return ends is not None and ends >= since

    expected = _order([d for d in docs if running(d)])
    assert len(expected) < len(docs)  # some are over
    with Session(engine) as session:
        walk = upcoming_walk(session, node, network, since=since, limit=3)
    assert [e.object_id for e in walk] == expected
