"""A visitor walks the network in a real Chromium, clicking as a person would: from the front
page to the coalition's conference, from it to the coalition, up to its national network and
up again to the continental one (two network levels above the coalition), whose page shows the
conference and its members; the search form in the header finds the conference. Every page
passes axe-core; each step is a screenshot under test-artifacts/."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess, wait_until

CONFERENCE = "Strengthening the Solidarity Economy Together"


def _relayed_up_two_levels(node: NodeProcess) -> bool:
    page = httpx.get(f"{node.base_url}/@ripess-na", timeout=10).text
    return CONFERENCE in page


def test_front_page_to_an_event_two_network_levels_down_and_back_up(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    # The members' items travel up through the protocol once the node serves.
    wait_until(
        lambda: _relayed_up_two_levels(demo_node),
        timeout=60,
        what="the conference on the continental network's page",
    )
    page.goto(demo_node.base_url + "/")
    assert_accessible(page, "front page")
    upcoming = page.locator("section[aria-labelledby=upcoming]")
    shots.take(page, "1 front page: upcoming events first")

    upcoming.get_by_role("link", name=CONFERENCE).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).first.inner_text().startswith("Strengthening")
    assert_accessible(page, "the conference")
    shots.take(page, "2 the conference")

    page.get_by_role("link", name="New Economy Coalition").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "the coalition")
    member_of = page.locator("section.section-networks")
    shots.take(page, "3 the coalition, member of the national network")

    member_of.get_by_role("link", name="U.S. Solidarity Economy Network").click()
    page.wait_for_load_state()
    assert_accessible(page, "the national network")
    assert page.locator("section.section-events").get_by_text(CONFERENCE).count() >= 1
    shots.take(page, "4 the national network")

    page.locator("section.section-networks").get_by_role(
        "link", name="RIPESS North America"
    ).click()
    page.wait_for_load_state()
    assert_accessible(page, "the continental network")
    events = page.locator("section.section-events")
    assert events.get_by_role("link", name=CONFERENCE).count() >= 1
    assert "New Economy Coalition" in events.inner_text()  # the credit line names the author
    members = page.locator("section.section-members")
    assert members.get_by_role("link", name="U.S. Solidarity Economy Network").count() == 1
    nested = members.inner_text()
    assert "New Economy Coalition" in nested and "Social Justice Network" in nested
    shots.take(page, "5 the continental network: the conference, two levels down")

    # its calendar, timeline and directory are one click away
    for name in ("Calendar", "Timeline", "Members"):
        assert page.get_by_role("link", name=name, exact=True).count() >= 1

    page.get_by_role("searchbox", name="Search").fill("strengthening solidarity")
    page.get_by_role("search", name="Search this node").get_by_role("button").click()
    page.wait_for_load_state()
    assert "/search?q=strengthening+solidarity" in page.url
    assert page.get_by_role("link", name=CONFERENCE).count() == 1
    assert_accessible(page, "search results")
    shots.take(page, "6 search finds the conference")


def test_region_and_category_pages_are_web_pages_with_the_calendar_beside(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    page.goto(demo_node.base_url + "/")
    chips = page.locator("section[aria-labelledby=calendars]")
    first = chips.locator("a[href^='/categories/'], a[href^='/regions/']").first
    first.click()
    page.wait_for_load_state()
    assert page.url.startswith(
        demo_node.base_url + ("/categories/" if "/categories/" in page.url else "/regions/")
    )
    assert page.locator("a[href^='webcal://']").count() == 1
    assert page.locator("ul.items li").count() >= 1
    assert_accessible(page, page.url)
    shots.take(page, "a category's events")
