"""A visitor on the demo conference's page, in a real Chromium: adds it to their calendar (the
``.ics`` download is one valid VEVENT), registers, lands on the confirmation page (their own
registration's page), and cancels there. axe-core finds nothing serious on any of the pages."""

from __future__ import annotations

from pathlib import Path

import icalendar
from playwright.sync_api import Browser, Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

CONFERENCE = "Strengthening the Solidarity Economy Together"
VENUE_HOST = "venue.example.org"  # the demo's online venue: approval-only, never public


def test_add_to_calendar_register_and_see_the_confirmation(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    page.goto(demo_node.base_url + "/@nec/events")
    page.get_by_role("link", name=CONFERENCE).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == CONFERENCE
    event_url = page.url
    assert VENUE_HOST not in page.content()
    assert "UTC-05:00" in page.locator(".facts .zone").first.inner_text()
    assert_accessible(page, "event page")
    shots.take(page, "event page")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download (.ics)").click()
    saved = Path(download.value.path())
    calendar = icalendar.Calendar.from_ical(saved.read_bytes())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == CONFERENCE
    assert str(vevent["url"]) == event_url
    assert VENUE_HOST not in saved.read_text()

    page.get_by_label("Your name").fill("Rosa Martínez")
    page.get_by_label("E-mail").fill("rosa@example.org")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert "/registrations/" in page.url and "registered=" not in page.url
    assert page.locator("h1").inner_text().startswith("Your registration")
    status = page.get_by_role("status").inner_text()
    assert "the organizer will confirm your registration" in status
    assert "Rosa Martínez" in page.content() and VENUE_HOST not in page.content()
    assert_accessible(page, "confirmation page")
    shots.take(page, "confirmation page")
    mine = page.url

    # Back on the event page, this browser is told it is registered, with its link, and no form.
    page.goto(event_url)
    link = page.get_by_role("link", name="Your registration").get_attribute("href")
    assert link == mine.split("?")[0]
    assert page.get_by_label("Your name").count() == 0
    assert_accessible(page, "event page when registered")

    # The same person from another browser is told they already are, without the link.
    other = page.context.browser.new_context(locale="en-US")  # type: ignore[union-attr]
    try:
        elsewhere = other.new_page()
        elsewhere.goto(event_url)
        elsewhere.get_by_label("Your name").fill("Rosa M.")
        elsewhere.get_by_label("E-mail").fill("ROSA@example.org")
        elsewhere.get_by_role("button", name="Register").click()
        elsewhere.wait_for_load_state()
        status = elsewhere.get_by_role("status").inner_text()
        assert "already registered for this event" in status
        assert "/registrations/" not in elsewhere.content()
        assert_accessible(elsewhere, "already registered")
        shots.take(elsewhere, "already registered")
    finally:
        other.close()

    page.goto(mine)
    page.get_by_role("button", name="Cancel my registration").click()
    page.wait_for_load_state()
    assert page.url == mine
    assert "You cancelled this registration." in page.get_by_role("status").inner_text()
    assert_accessible(page, "manage page after cancelling")
    shots.take(page, "manage page after cancelling")


def test_times_in_the_visitors_own_zone_with_javascript(
    demo_node: NodeProcess, browser: Browser, shots: Shots
) -> None:
    """The event's zone and offset are on the page for everyone; with JavaScript the visitor in
    Tokyo also sees the start in their own time (the page's CSP allows only our own script)."""
    context = browser.new_context(locale="en-US", timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(demo_node.base_url + "/@nec/events")
        page.get_by_role("link", name=CONFERENCE).first.click()
        page.wait_for_load_state()
        assert "America/New_York, UTC-05:00" in page.locator(".facts .zone").first.inner_text()
        local = page.locator(".facts .local-time").first.inner_text()
        assert local.startswith("Your time: ") and "(Asia/Tokyo)" in local
        assert "00" in local  # 10:00 in New York is midnight in Tokyo
        assert_accessible(page, "event page with the visitor's time")
        shots.take(page, "event page in Tokyo", full_page=False)
    finally:
        context.close()
