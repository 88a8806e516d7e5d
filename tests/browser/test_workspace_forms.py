"""An organizer at work, in a real Chromium against `solnode serve`: signs in, fills the profile
with an ESSGlobal sector from the pick list, publishes a conference with two sessions, sees it
on the public page and cancels one session. Every form page passes axe-core; screenshots are
kept under test-artifacts/."""

from __future__ import annotations

import subprocess

from playwright.sync_api import Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import SOLNODE, NodeProcess

EMAIL, PASSWORD = "maria@nec.example", "a long organizer password"


def _organizer(node: NodeProcess) -> None:
    """Maria, an admin of the demo's New Economy Coalition (``nec``), made with the CLI."""
    subprocess.run(
        [SOLNODE, "user", "create", EMAIL, "--password-stdin"],
        env=node.env(), input=PASSWORD + "\n", text=True, check=True, capture_output=True,
        timeout=60,
    )  # fmt: skip
    node.cli("user", "grant", EMAIL, "nec", "--role", "admin")


def _sign_in(page: Page, base: str) -> None:
    page.goto(base + "/workspace/sign-in")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/workspace**")


def _add_session(page: Page, name: str, track: str, speakers: str, hour: int) -> None:
    page.click("text=Add a session")
    assert_accessible(page, f"the session form ({name})")
    page.fill("#f-name", name)
    page.fill("#f-startTime", f"2027-05-14T{hour}:00")
    page.fill("#f-endTime", f"2027-05-14T{hour}:45")
    page.fill("#f-location-url", "https://meet.example.org/gathering")
    page.fill("#f-track", track)
    page.fill("#f-speakers", speakers)
    page.fill("#f-room-url", f"https://meet.example.org/{track.lower()}")
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("text=Published: it is on your public page")


def test_an_organizer_fills_the_profile_and_publishes_a_conference(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    base = demo_node.base_url
    _organizer(demo_node)
    _sign_in(page, base)

    page.goto(base + "/workspace/nec/profile")
    assert_accessible(page, "the profile editor")
    page.select_option("#f-essglobal-economicSector", label="Agriculture")
    page.fill("#f-region", "Massachusetts")
    shots.take(page, "profile form")
    page.click("button:has-text('Save the profile')")
    page.wait_for_selector("text=Profile saved")
    assert page.locator("#f-essglobal-economicSector option:checked").inner_text() == "Agriculture"

    for kind in ("series", "call", "news"):
        page.goto(f"{base}/workspace/nec/publish/new/{kind}")
        assert_accessible(page, f"the {kind} form")
    page.goto(base + "/workspace/nec/publish/new/event")
    assert_accessible(page, "the event form")
    page.fill("#f-name", "Gathering")
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("#error-summary")
    assert page.locator("#f-startTime-error").inner_text() == "Fill in the start."
    assert page.get_attribute("#f-startTime", "aria-invalid") == "true"
    assert_accessible(page, "the event form with errors")
    page.set_viewport_size({"width": 390, "height": 844})
    shots.take(page, "event form with errors on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#f-name", "Solidarity Economy Gathering")
    page.fill("#f-content", "Two days of **workshops** on cooperatives.")
    page.fill("#f-startTime", "2027-05-14T09:00")
    page.fill("#f-endTime", "2027-05-14T17:30")
    page.select_option("#f-timezone", "America/New_York")
    page.fill("#f-location-name", "Union Hall")
    page.fill("#f-location-address-addressLocality", "Boston")
    page.fill("#f-location-url", "https://meet.example.org/gathering")
    page.click("button:has-text('Preview')")
    page.wait_for_selector("text=What your followers will see")
    assert page.locator(".preview strong").first.inner_text() == "workshops"
    assert_accessible(page, "the event form with its preview")
    shots.take(page, "conference preview")
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("text=Published: it is on your public page")
    conference = page.url.split("?")[0]
    assert_accessible(page, "the conference's workspace page")

    _add_session(page, "Housing co-ops", "Housing", "Mia Chen\nLeo Park", 10)
    page.goto(conference)
    _add_session(page, "Worker ownership", "Work", "Sam Diaz", 11)
    page.goto(conference)
    assert page.locator("table.ws").inner_text().count("scheduled") == 2
    shots.take(page, "conference with its programme")

    public = page.locator("a:has-text('public page')").get_attribute("href")
    assert public is not None
    page.goto(public)
    assert "Solidarity Economy Gathering" in page.inner_text("main")
    shots.take(page, "public page")

    page.goto(conference)
    page.click("a:has-text('Housing co-ops')")
    page.click("button:has-text('Cancel…')")
    page.wait_for_selector("text=What your followers will see")
    assert_accessible(page, "the cancel confirmation")
    shots.take(page, "cancel a session")
    page.click("main button:has-text('Cancel')")
    page.wait_for_selector("text=The event is cancelled")
    page.goto(conference)
    assert "cancelled" in page.locator("table.ws").inner_text()

    page.goto(base + "/workspace/nec/publish")
    assert_accessible(page, "the publishing overview")
