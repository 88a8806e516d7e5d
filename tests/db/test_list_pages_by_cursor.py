"""An organizer with several pages of events, calls and news (and a hashtag on all of them):
walking each list by its "Next" links shows every item exactly once, in the list's order, and
walking back by "Previous" shows the same pages again; old ``?page=N`` links land where that
page now begins, and a garbled cursor gets a clear 400, never a 500 or a wrong page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Item, ItemTag
from tests.db.collections_support import actor
from tests.db.publishing_support import Page

NOW = datetime.now(UTC)


def _add(engine: Engine, slug: str, rows: list[dict[str, Any]]) -> None:
    owner = actor(engine, slug)
    with session_scope(engine) as session:
        for n, row in enumerate(rows):
            item = Item(
                ap_id=f"https://x.example/{slug}/{n}",
                actor_id=owner.id or 0,
                document={"type": "Note", "name": row.pop("name")},
                source={},
                updated=NOW,
                **row,
            )
            session.add(item)
            session.flush()
            session.add(ItemTag(item_id=item.id or 0, tag="solidarity"))


def _organizer(engine: Engine) -> dict[str, list[str]]:
    """50 past events, 3 running now (two begun over a year ago), 47 to come, 45 calls (every third closed), 40 news, each
    published an hour after the last; another organization's as many beside them. Returns the
    names in each list's order."""
    rows: list[dict[str, Any]] = []
    expected: dict[str, list[str]] = {"events": [], "past": [], "calls": [], "news": []}
    for n in range(100):
        # two events may share a start: the id breaks the tie
        start = NOW + timedelta(days=(n - 53) // 2 * 2, hours=1)
        if 50 <= n < 53:
            # running, ending tomorrow: a standing exhibition begun over two years ago, a
            # campaign begun 400 days ago (each longer ago than a year, where a range of the
            # start index stops), and a fair begun yesterday
            start = NOW - timedelta(days=(800, 400, 1)[n - 50])
        end = NOW + timedelta(days=1) if 50 <= n < 53 else start + timedelta(hours=2)
        rows.append({"name": f"event {n}", "kind": "event", "start_time": start, "end_time": end})
    for n in range(45):
        deadline = NOW - timedelta(days=1) if n % 3 == 0 else NOW + timedelta(days=n)
        rows.append({"name": f"call {n}", "kind": "call", "end_time": deadline})
    for n in range(40):
        rows.append({"name": f"news {n}", "kind": "news"})
    for n, row in enumerate(rows):
        row["published"] = NOW - timedelta(hours=len(rows) - n)
    names = {str(r["name"]): r for r in rows}
    events = [r for r in rows if r["kind"] == "event"]
    order = sorted(range(len(events)), key=lambda i: (events[i]["start_time"], i))
    over = [i for i in order if i < 50]
    expected["events"] = [f"event {i}" for i in order if i >= 50]
    expected["past"] = [f"event {i}" for i in reversed(over)]
    calls = [f"call {n}" for n in reversed(range(45))]
    expected["calls"] = [c for c in calls if int(c[5:]) % 3] + [
        c for c in calls if not int(c[5:]) % 3
    ]
    expected["news"] = [f"news {n}" for n in reversed(range(40))]
    expected["tag"] = list(reversed(names))  # newest first: the order they were published
    _add(engine, "other", [dict(r, name=f"other {r['name']}") for r in rows])
    _add(engine, "nec", rows)
    return expected


def _titles(page: Page) -> list[str]:
    return [text for level, text in page.headings if level == 2]


def _walk(client: TestClient, url: str) -> tuple[list[list[str]], list[str]]:
    """Every page from ``url`` on by its Next links: the titles of each, and the pages' URLs."""
    pages, urls = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        page = Page(response.text)
        pages.append(_titles(page))
        urls.append(url)
        following = page.find("a", rel="next")
        url = following[0]["href"] if following else ""
        assert len(pages) < 40, "a loop"
    return pages, urls


LISTS = {
    "events": "/@nec/events",
    "past": "/@nec/events?past=1",
    "calls": "/@nec/calls",
    "news": "/@nec/news",
    "tag": "/tags/solidarity",
}


def test_walking_every_list_by_its_links_shows_each_item_once_in_order(
    client: TestClient, engine: Engine
) -> None:
    expected = _organizer(engine)
    expected["tag"] = [t for t in expected["tag"] if t.startswith(("event", "call", "news"))]
    for name, url in LISTS.items():
        pages, urls = _walk(client, url)
        shown = [title for page in pages for title in page]
        if name == "tag":  # both organizations' items, newest first
            assert [t for t in shown if not t.startswith("other ")] == expected[name]
            assert len(shown) == 2 * len(expected[name])
        else:
            assert shown == expected[name], name
        assert len(pages) >= 4 and all(len(p) == 12 for p in pages[:-1]), name
        # back by "Previous" from the last page: the same pages, to the first
        back = [pages[-1]]
        page = Page(client.get(urls[-1]).text)
        first_link = page.find("a", href=f"http://127.0.0.1:8000{url}")
        assert first_link, "a cursor page links the first page"
        while previous := page.find("a", rel="prev"):
            page = Page(client.get(previous[0]["href"]).text)
            back.append(_titles(page))
        assert back[::-1] == pages, name
        assert not Page(client.get(url).text).find("a", rel="prev")


def test_old_page_links_land_where_that_page_now_begins(client: TestClient, engine: Engine) -> None:
    expected = _organizer(engine)
    for page in (1, 2, 4):
        old = client.get(f"/@nec/news?page={page}", follow_redirects=False)
        if page == 1:
            assert old.status_code == 200
            assert _titles(Page(old.text)) == expected["news"][:12]
            continue
        assert old.status_code == 302 and "after=" in old.headers["location"]
        landed = Page(client.get(old.headers["location"]).text)
        assert _titles(landed) == expected["news"][(page - 1) * 12 : page * 12]
    # the calls' old pages cross from the open calls to the closed ones
    third = client.get("/@nec/calls?page=3&lang=es", follow_redirects=False).headers["location"]
    assert "lang=es" in third
    assert _titles(Page(client.get(third).text)) == expected["calls"][24:36]
    past = client.get("/@nec/events?past=1&page=2", follow_redirects=False).headers["location"]
    assert "past=1" in past
    assert _titles(Page(client.get(past).text)) == expected["past"][12:24]
    # past the end, or deeper than any old link went: the first page
    for beyond in ("/@nec/news?page=5", "/@nec/news?page=999999", "/tags/solidarity?page=60"):
        moved = client.get(beyond, follow_redirects=False)
        assert moved.status_code == 302, beyond
        assert moved.headers["location"] == "http://127.0.0.1:8000" + beyond.split("?")[0]
    # a page that is no number: the first page, as before
    assert _titles(Page(client.get("/@nec/news?page=x").text)) == expected["news"][:12]


def test_a_garbled_cursor_is_a_clear_400(client: TestClient, engine: Engine) -> None:
    _organizer(engine)
    news_cursor = client.get("/@nec/news?page=2", follow_redirects=False).headers["location"]
    token = news_cursor.split("after=")[1]
    for bad in (
        "/@nec/news?after=yesterday",
        "/@nec/news?before=n~20260101T000000.000000Z",
        "/@nec/news?after=n~20261340T000000.000000Z~5",
        f"/@nec/news?after=n~20260101T000000.000000Z~{10**30}",
        f"/@nec/calls?after={token}",  # a news cursor is not a calls cursor
        f"/tags/solidarity?after={token}",
        "/@nec/events?after=" + "f~" * 200,
    ):
        response = client.get(bad)
        assert response.status_code == 400, bad
        assert "start again from the first page" in response.text, bad
    assert client.get(f"/@nec/news?after={token}").status_code == 200
    assert client.get("/@nec/news?after=").status_code == 200  # empty: the first page
