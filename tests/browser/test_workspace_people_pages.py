"""The demo organizer's People page with many followers, in a real Chromium: the requests waiting
for approval come first, the followers 50 a page; she goes to older followers and back with the
pager's links, by mouse and by keyboard, approves a request from the first page while reading
the second page of followers, and axe-core checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from node.models import Follower, LocalActor
from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"


def _many_followers(node: NodeProcess) -> tuple[list[str], list[str]]:
    """120 followers of nec and 55 requests, interleaved; both lists newest first (with those
    the demo made)."""
    engine = create_engine(node.database_url)
    try:
        with Session(engine) as session:
            nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
            for i in range(175):
                who = f"https://s{i % 5}.example/users/fan{i}"
                state = "pending" if i % 3 == 0 and i // 3 < 55 else "accepted"
                session.add(Follower(actor_id=nec.id or 0, remote_id=who, inbox=who, state=state))
            session.commit()
            lists = []
            for state in ("accepted", "pending"):
                query = select(Follower.remote_id).where(
                    Follower.actor_id == nec.id, Follower.state == state
                )
                lists.append(list(session.exec(query.order_by(col(Follower.id).desc()))))
    finally:
        engine.dispose()
    return lists[0], lists[1]


def _shown(page: Page, section: str) -> list[str]:
    # a click on a pager link returns once the next page's navigation has begun: its list may
    # still be arriving (seen on a loaded machine: 24 of 50 read), so read it once loaded
    page.wait_for_load_state("load")
    items = page.locator(f"section[aria-labelledby='{section}'] > ul > li > a")
    return items.all_inner_texts()


def test_the_organizer_pages_through_many_followers_with_the_requests_first(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    accepted, pending = _many_followers(demo_node)
    page.goto(demo_node.base_url + "/workspace/nec/people")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("People of New Economy Coalition")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index("Followers waiting for approval") + 1 == headings.index(
        f"Followers ({len(accepted)})"
    )
    assert _shown(page, "waiting-title") == pending[:50]
    assert _shown(page, "followers-title") == accepted[:50]
    pager = page.get_by_role("navigation", name="Pages of followers", exact=True)
    expect(pager.get_by_role("link", name="Newer followers")).to_have_count(0)
    assert_accessible(page, "people page, first page of followers")
    shots.take(page, "people with many followers")

    pager.get_by_role("link", name="Older followers").click()
    assert re.search(r"[?&]before=\d+", page.url) and page.url.endswith("#followers-title")
    assert _shown(page, "followers-title") == accepted[50:100]
    # the requests stay first, on this page too
    assert _shown(page, "waiting-title") == pending[:50]
    assert_accessible(page, "people page, second page of followers")
    shots.take(page, "second page of followers")

    # by keyboard: focus the link and press Enter
    pager = page.get_by_role("navigation", name="Pages of followers", exact=True)
    pager.get_by_role("link", name="Older followers").focus()
    page.keyboard.press("Enter")
    items = page.locator("section[aria-labelledby='followers-title'] > ul > li")
    expect(items).to_have_count(len(accepted) - 100)
    assert _shown(page, "followers-title") == accepted[100:]
    pager = page.get_by_role("navigation", name="Pages of followers", exact=True)
    expect(pager.get_by_role("link", name="Older followers")).to_have_count(0)
    pager.get_by_role("link", name="Newer followers").click()
    assert _shown(page, "followers-title") == accepted[50:100]

    # the older requests page on their own
    waiting = page.get_by_role("navigation", name="Pages of followers waiting for approval")
    waiting.get_by_role("link", name="Older requests").click()
    assert _shown(page, "waiting-title") == pending[50:]
    assert _shown(page, "followers-title") == accepted[:50]
    assert_accessible(page, "people page, older requests")

    page.get_by_role("button", name=f"Approve {pending[52]}").click()
    expect(page.get_by_role("status")).to_contain_text("an Accept is on its way")
    expect(page.get_by_role("heading", name=f"Followers ({len(accepted) + 1})")).to_be_visible()
    # (back on the first page: the new follower keeps its place by when it asked)
    assert pending[52] not in _shown(page, "waiting-title")
