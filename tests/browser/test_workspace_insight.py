"""The demo organizer opens Insight in a real Chromium: followers over time and the items'
figures, then one event's reach, engagement, participants and feedback section. axe-core
checks each page; screenshots record them (wide and on a phone)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"


def test_the_demo_organizer_reads_the_insight_of_her_organization_and_an_event(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    page.goto(demo_node.base_url + "/workspace/nec")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Insight").click()
    assert page.url == demo_node.base_url + "/workspace/nec/insight"
    assert page.get_by_role("heading", level=1).inner_text() == "Insight"
    assert page.get_by_role("table").first.locator("caption").inner_text().startswith("Followers")
    assert_accessible(page, "insight overview")
    shots.take(page, "insight overview")

    items = page.get_by_role("region", name="Items").get_by_role("link")
    title = items.first.inner_text()
    items.first.click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    for heading in ("Reach", "Engagement"):
        assert page.get_by_role("heading", name=heading).is_visible()
    assert page.get_by_role("row", name="Servers delivered to").is_visible()
    assert_accessible(page, "an item's insight")
    shots.take(page, "item insight")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(demo_node.base_url + "/workspace/nec/insight")
    assert_accessible(page, "insight on a phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"Insight scrolls sideways on a phone ({width}px)"
    shots.take(page, "insight on a phone")
