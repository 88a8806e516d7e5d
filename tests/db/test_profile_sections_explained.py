"""An organization's profile page with thousands of items, beside another's as many: its
sections (upcoming events, latest calls, latest news) count nothing, and each reads one range
of an index of its own actor and kind, as the database's EXPLAIN shows: the latest calls and
news from the newest end of ``(actor_id, kind, published, id)`` with no sort, the events not
over yet: those running, one range per class of duration of ``(actor_id, kind, span_class,
start_time, id)`` closed on both sides, then those to come, from now on ``(actor_id, kind,
start_time, id)``. The page shows what it showed before: the open calls
first, then the closed ones. And the section and hashtag pages, however deep, read one range
each, bounded by the owner (or the tag) and by the page's cursor: no scan, sort or OFFSET."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Item
from tests.db.collections_support import actor
from tests.db.publishing_support import Page
from tests.db.test_own_event_plans import _check_classes
from tests.db.test_reads_explained import _nodes, _pg_plan, _sqlite_plan, captured

N = 2_000


def _items(engine: Engine, slug: str, now: datetime) -> None:
    """``N`` items of an organization: events (half over), calls (the newest closed), news
    and notes, published an hour apart."""
    owner = actor(engine, slug)
    rows = []
    for i in range(N):
        kind = ("event", "call", "news", "note")[i % 4]
        start = now + timedelta(hours=i - N // 2) if kind == "event" else None
        end = start + timedelta(hours=2) if start else None
        if kind == "call":
            end = now + timedelta(days=1) if i < N - 40 else now - timedelta(days=1)
        doc = {"type": "Event" if kind == "event" else "Note", "name": f"{slug} {kind} {i}"}
        rows.append(Item(ap_id=f"https://x.example/{slug}/{i}", actor_id=owner.id or 0,
                         kind=kind, document=doc, source={}, start_time=start, end_time=end,
                         published=now - timedelta(hours=N - i), updated=now))  # fmt: skip
    with session_scope(engine) as session:
        session.add_all(rows)


def _assert_one_range(engine: Engine, statement: str, params: Any, index: str) -> None:
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert len(plan) == 1 and plan[0].startswith("SEARCH") and index in plan[0], plan
        assert "actor_id=? AND kind=?" in plan[0], plan
        return
    root = _pg_plan(engine, statement, params)
    kinds = [n["Node Type"] for n in _nodes(root)]
    assert root["Node Type"] == "Limit" and "Sort" not in kinds and "Seq Scan" not in kinds, kinds
    [scan] = [n for n in _nodes(root) if n.get("Index Name")]
    assert scan["Index Name"] == index, scan
    assert "actor_id = " in scan["Index Cond"] and "kind" in scan["Index Cond"], scan


def test_a_profiles_sections_count_nothing_and_read_one_range_each(
    client: TestClient, engine: Engine
) -> None:
    now = datetime.now(UTC)
    _items(engine, "other", now)
    _items(engine, "nec", now)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    with captured(engine) as seen:
        page = client.get("/@nec")
    assert page.status_code == 200
    reads = [(s, p) for s, p in seen if "FROM item" in s]
    assert not any("count(" in s.lower() for s, _ in reads if "parent_id IN" not in s)
    latest = [(s, p) for s, p in reads if "published DESC" in s]
    assert len(latest) == 2, "the open calls fill the section: no read of the closed ones"
    for statement, params in latest:
        _assert_one_range(engine, statement, params, "ix_item_actor_kind_published")
    running = [(s, p) for s, p in reads if "item.span_class = " in s]
    events = [(s, p) for s, p in reads if "ORDER BY item.start_time, item.id" in s]
    events = [(s, p) for s, p in events if (s, p) not in running]
    assert len(running) == 1 and len(events) == 1, "running now (by class), then to come"
    # each class of duration a range of its own index, closed on both sides
    assert _check_classes(engine, running, True) == 1
    _assert_bounded(engine, *events[0], "ix_item_actor_kind_start", "start_time>")
    # the newest open calls, then news; the soonest events not over
    titles = [h for level, h in Page(page.text).headings if level == 3]
    assert "nec call 1957" in titles and "nec call 1997" not in titles
    assert (
        "nec news 1998" in titles and "nec event 1000" in titles and "nec event 996" not in titles
    )


def test_closed_calls_fill_the_profile_when_few_are_open(
    client: TestClient, engine: Engine
) -> None:
    now = datetime.now(UTC)
    owner = actor(engine, "nec")
    with session_scope(engine) as session:
        for i, days in enumerate((-3, 5, -1, -2)):
            session.add(Item(ap_id=f"https://x.example/c{i}", actor_id=owner.id or 0, kind="call",
                             document={"type": "Note", "name": f"call {i}"}, source={},
                             end_time=now + timedelta(days=days),
                             published=now - timedelta(hours=10 - i), updated=now))  # fmt: skip
    titles = [h for level, h in Page(client.get("/@nec").text).headings if level == 3]
    assert titles == ["call 1", "call 3", "call 2", "call 0"]


DEEP = {
    "/@nec/events?": ("ix_item_actor_kind_start", "start_time>"),
    "/@nec/events?past=1&": ("ix_item_actor_kind_start", "start_time<"),
    "/@nec/calls?": ("ix_item_actor_kind_published", "published<"),
    "/@nec/news?": ("ix_item_actor_kind_published", "published<"),
    "/tags/tag0?": ("ix_item_tag_tag_item", "item_id<"),
}


def _tag(engine: Engine) -> None:
    """Each item one of fifty hashtags (``tag0`` .. ``tag49``): a fiftieth of them ``tag0``."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO item_tag (item_id, tag) SELECT id, 'tag' || (id % 50) FROM item")
        )


def _assert_bounded(engine: Engine, statement: str, params: Any, index: str, bound: str) -> None:
    """One range of ``index``, bounded by its owner (and kind) and by the cursor: no scan, no
    sort, no skipped rows."""
    if engine.dialect.name == "sqlite":
        plan = _sqlite_plan(engine, statement, params)
        assert not any(x.startswith("SCAN") or "TEMP B-TREE" in x for x in plan), plan
        [line] = [x for x in plan if index in x]
        assert line.startswith("SEARCH") and bound in line.replace(" ", ""), line
        assert params[-1] == 0, "SQLite's LIMIT is written with OFFSET 0: nothing skipped"
        return
    root = _pg_plan(engine, statement, params)
    kinds = [n["Node Type"] for n in _nodes(root)]
    assert root["Node Type"] == "Limit" and "Sort" not in kinds and "Seq Scan" not in kinds, kinds
    assert "OFFSET" not in statement, statement
    scan = next(n for n in _nodes(root) if n.get("Index Name") == index)
    cond = scan["Index Cond"].replace("ROW(", "").replace("(", "").replace(")", "")
    assert re.search(rf"{bound[:-1]}[^<>=]*{bound[-1]}", cond), cond  # the cursor
    assert "actor_id = " in cond or "tag = '" in cond, cond


def test_deep_list_pages_read_one_range_bounded_by_owner_and_cursor(
    client: TestClient, engine: Engine
) -> None:
    now = datetime.now(UTC)
    _items(engine, "other", now)
    _items(engine, "nec", now)
    _tag(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    for path, (index, bound) in DEEP.items():
        deep = 3 if path.startswith("/tags/") else 15
        moved = client.get(f"{path}page={deep}", follow_redirects=False)
        assert moved.status_code == 302 and "after=" in moved.headers["location"], path
        with captured(engine) as seen:
            assert client.get(moved.headers["location"]).status_code == 200
        reads = [(s, p) for s, p in seen if "FROM item" in s and "parent_id IN" not in s]
        assert len(reads) == 1, (path, reads)
        _assert_bounded(engine, *reads[0], index, bound)
