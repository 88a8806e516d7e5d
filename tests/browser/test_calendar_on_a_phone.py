"""On a phone (375 px wide) a network's month calendar becomes an agenda: one row per day with
events, the weekday written out, and no entry's box overlapping another's or running off the
screen (checked from the elements' boxes, not by eye). The calendar and the embeddable widget
pass axe-core; screenshots under test-artifacts/."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, ViewportSize

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess, wait_until

PHONE: ViewportSize = {"width": 375, "height": 800}


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"] - 0.5
        and b["left"] < a["right"] - 0.5
        and a["top"] < b["bottom"] - 0.5
        and b["top"] < a["bottom"] - 0.5
    )


def _boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    return list(
        page.eval_on_selector_all(
            selector,
            """els => els.map(e => { const r = e.getBoundingClientRect();
                 return {text: e.innerText, left: r.left, right: r.right, top: r.top,
                         bottom: r.bottom}; })""",
        )
    )


def _month_with_events(page: Page, base: str) -> str:
    """The YYYY-MM of the network's first upcoming event, read from the list view."""
    page.goto(f"{base}/networks/ussen/calendar")
    first = page.locator("ul.items time[datetime]").first
    return str(first.get_attribute("datetime"))[:7]


def test_the_month_calendar_is_an_agenda_without_overlaps_on_a_phone(
    demo_node: NodeProcess, browser: Browser, shots: Shots
) -> None:
    base = demo_node.base_url
    context = browser.new_context(viewport=PHONE, locale="es-ES")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        wait_until(
            lambda: (
                page.goto(f"{base}/networks/ussen/calendar") is not None
                and page.locator("ul.items time[datetime]").count() > 0
            ),
            timeout=60,
            what="the network's upcoming events",
        )
        month = _month_with_events(page, base)
        page.goto(f"{base}/networks/ussen/calendar?month={month}")
        shots.take(page, "1 the month on a phone, in Spanish")
        entries = _boxes(page, "table.month td li")
        days = _boxes(page, "table.month td:not(.empty)")
        assert entries, "the month shows the network's events"
        for group in (entries, days):
            for i, a in enumerate(group):
                assert a["left"] >= 0 and a["right"] <= PHONE["width"] + 0.5, a
                for b in group[i + 1 :]:
                    assert not _overlap(a, b), (a["text"], b["text"])
        # each day with events says which weekday it is, in the visitor's language
        weekday = page.locator("table.month td:not(.empty) .weekday").first
        assert weekday.is_visible()
        assert weekday.inner_text() in {
            "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"
        }  # fmt: skip
        assert page.locator("table.month thead").is_hidden()
        assert_accessible(page, "the month calendar on a phone")

        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.locator("table.month thead").is_visible()
        shots.take(page, "2 the same month on a wide screen")
        assert_accessible(page, "the month calendar on a wide screen")

        page.goto(f"{base}/@ussen/widget")
        assert page.locator("li time").count() >= 1
        assert "UTC" in page.locator("li time").first.inner_text()
        shots.take(page, "3 the widget, times with their zone")
        assert_accessible(page, "the widget")
    finally:
        context.close()
