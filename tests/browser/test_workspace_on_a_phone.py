"""The demo organizer works from a phone (375 by 740): the workspace's navigation folds into a
"Menu" that opens without JavaScript, so each page's heading is on the first screen; no page
scrolls sideways (a wide table scrolls inside its own box, its caption wrapped in view); axe-core passes each page, menu
closed and open. On a wide screen the same navigation is a plain list, no "Menu" to press."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, ViewportSize

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

PHONE: ViewportSize = {"width": 375, "height": 740}
DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"


def _fits_the_phone(page: Page, what: str) -> None:
    """No sideways scrolling, and the page's heading wholly inside the first screen."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what} scrolls sideways on a phone ({width}px in {inner}px)"
    heading = page.get_by_role("heading", level=1)
    assert heading.is_visible(), what
    box = heading.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (
        f"{what}: the heading is not on the first screen ({box})"
    )
    _captions_fit(page, what)
    assert_accessible(page, what)


def _captions_fit(page: Page, what: str) -> None:
    """Each table's caption wraps inside its table's scroll box, and stays in view when the
    table is scrolled sideways (it once ran on past the box's edge, cut off)."""
    for wrap in page.locator(".table-wrap").all():
        caption = wrap.locator("caption")
        if caption.count() == 0:
            continue
        box, text = wrap.bounding_box(), caption.bounding_box()
        assert box is not None and text is not None, what
        assert text["x"] >= box["x"] and text["x"] + text["width"] <= box["x"] + box["width"], (
            f"{what}: a table's caption is cut off ({text} in {box})"
        )
        wrap.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        moved = caption.bounding_box()
        assert moved is not None and abs(moved["x"] - text["x"]) < 1, (
            f"{what}: caption scrolled away"
        )
        wrap.evaluate("box => { box.scrollLeft = 0; }")


def test_the_workspace_fits_a_phone_with_its_menu_folded(
    demo_node: NodeProcess, browser: Browser, shots: Shots
) -> None:
    base = demo_node.base_url
    context = browser.new_context(viewport=PHONE, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{base}/workspace/nec")
        page.get_by_label("E-mail").fill(DEMO_EMAIL)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert page.url == f"{base}/workspace/nec"

        nav = page.get_by_role("navigation", name="Workspace")
        menu = nav.locator("summary", has_text="Menu")
        assert menu.is_visible()
        assert not nav.get_by_role("link", name="Insight").is_visible()  # folded
        recent = page.locator('div.table-wrap[aria-labelledby="recent"]')  # the table's scroll box
        box = recent.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert recent.get_by_role("row").count() > 1
        _fits_the_phone(page, "the dashboard")
        shots.take(page, "dashboard on a phone", full_page=False)
        shots.take(page, "dashboard on a phone, whole page")

        menu.click()  # a <details>: opens without JavaScript
        assert nav.get_by_role("link", name="Publishing").is_visible()
        assert_accessible(page, "the dashboard with the menu open")
        shots.take(page, "menu open", full_page=False)
        nav.get_by_role("link", name="Publishing").click()
        assert page.url == f"{base}/workspace/nec/publish"
        _fits_the_phone(page, "publishing")
        shots.take(page, "publishing on a phone")

        page.goto(f"{base}/workspace/nec/insight")
        _fits_the_phone(page, "insight")
        shots.take(page, "insight on a phone")

        page.goto(f"{base}/workspace/nec/publish/new/event")
        _fits_the_phone(page, "the new event form")
        shots.take(page, "new event form on a phone")

        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{base}/workspace/nec")
        assert not menu.is_visible()  # a wide screen: the plain list, nothing to press
        assert nav.get_by_role("link", name="Insight").is_visible()
        assert_accessible(page, "the dashboard on a wide screen")
        shots.take(page, "dashboard on a wide screen", full_page=False)
    finally:
        context.close()

    # Spanish has longer words: the same pages for an organizer whose browser asks for Spanish.
    spanish = browser.new_context(viewport=PHONE, locale="es-ES")
    spanish.set_default_timeout(15_000)
    try:
        page = spanish.new_page()
        page.goto(f"{base}/workspace/nec")
        page.locator("input[name=email]").fill(DEMO_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(f"{base}/workspace/nec")
        for path in ("", "/publish/new/series", "/insight"):
            page.goto(f"{base}/workspace/nec{path}")
            assert page.locator("html").get_attribute("lang") == "es"
            _fits_the_phone(page, f"/workspace/nec{path} in Spanish")
        assert page.get_by_role("heading", level=1).inner_text() == "Impacto"
        shots.take(page, "insight in Spanish on a phone")
    finally:
        spanish.close()
