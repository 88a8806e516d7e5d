"""A visitor reads an organization's news, 30 items on three pages, in a real Chromium: "Next"
twice to the end, "Previous" back, "First page" home; every page passes axe-core, and each
item is seen once. (The items are written to the node's database as publishing stores them.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page
from sqlalchemy import create_engine
from sqlmodel import Session

from node.federation.actors.local import create_actor
from node.models import Item
from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess


def _news(demo_node: NodeProcess) -> None:
    now = datetime.now(UTC)
    engine = create_engine(demo_node.database_url)
    try:
        with Session(engine) as session:
            owner = create_actor(session, "pager", kind="organization", name="Pager Co-op")
            session.flush()
            for n in range(30):
                session.add(
                    Item(
                        ap_id=f"{demo_node.base_url}/items/pager-news-{n}",
                        actor_id=owner.id or 0,
                        kind="news",
                        document={"type": "Note", "name": f"Pager news {n}"},
                        published=now - timedelta(hours=30 - n),
                    )
                )
            session.commit()
    finally:
        engine.dispose()


def _titles(page: Page) -> list[str]:
    return page.locator("ul.items h2").all_inner_texts()


def test_reading_the_news_page_by_page(demo_node: NodeProcess, page: Page, shots: Shots) -> None:
    _news(demo_node)
    page.goto(demo_node.base_url + "/@pager/news")
    seen = [_titles(page)]
    assert page.get_by_role("link", name="First page").count() == 0
    while page.get_by_role("link", name="Next").count():
        page.get_by_role("link", name="Next").click()
        page.wait_for_load_state()
        seen.append(_titles(page))
        assert_accessible(page, f"news page {len(seen)}")
    shots.take(page, "the last page of news")
    assert [len(s) for s in seen] == [12, 12, 6]
    assert [t for s in seen for t in s] == [f"Pager news {n}" for n in reversed(range(30))]
    page.get_by_role("link", name="Previous").click()
    page.wait_for_load_state()
    assert _titles(page) == seen[1]
    page.get_by_role("link", name="First page").click()
    page.wait_for_load_state()
    assert _titles(page) == seen[0]
    assert_accessible(page, "the first page of news")
