"""An organizer of the demo signs in to the workspace in a real Chromium, without JavaScript
tricks: the dashboard, the people page, an invitation and a reset link, her account, a narrow
screen, signing out. axe-core checks every workspace page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"


def _sign_in(page: Page, node: NodeProcess, email: str, password: str) -> None:
    page.goto(node.base_url + "/workspace")
    assert page.url.startswith(node.base_url + "/workspace/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _make_link(page: Page, button: str) -> str:
    page.get_by_role("button", name=button).first.click()
    return page.locator("#the-link").inner_text().strip()


def test_the_demo_organizer_signs_in_sees_the_dashboard_and_signs_out(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    printed = demo_node.cli("demo").stdout
    assert f"{demo_node.base_url}/workspace" in printed and DEMO_PASSWORD in printed

    page.goto(demo_node.base_url + "/workspace/nec")
    assert page.url.startswith(demo_node.base_url + "/workspace/sign-in?next=")
    assert_accessible(page, "sign-in page")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "The e-mail or the password is wrong."
    assert_accessible(page, "sign-in page with an error")
    shots.take(page, "sign-in refused")

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == demo_node.base_url + "/workspace/nec"
    assert page.get_by_role("heading", level=1).inner_text() == "New Economy Coalition"
    assert page.get_by_role("heading", name="Upcoming events").is_visible()
    assert page.get_by_role("heading", name="Recent items").is_visible()
    assert_accessible(page, "dashboard")
    shots.take(page, "dashboard")

    page.goto(demo_node.base_url + "/workspace")
    for name in (
        "New Economy Coalition",
        "Social Justice Network",
        "U.S. Solidarity Economy Network",
    ):
        assert page.get_by_role("main").get_by_role("link", name=name).is_visible()
    assert_accessible(page, "the actors one works for")
    shots.take(page, "workspace home")

    page.get_by_role("navigation", name="Workspace").get_by_role(
        "link", name="Social Justice Network"
    ).click()
    page.get_by_role("link", name="Staff").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Staff of Social Justice Network"
    assert_accessible(page, "people page")
    shots.take(page, "people")

    invitation = _make_link(page, "Make an invitation link")
    assert re.fullmatch(
        re.escape(demo_node.base_url) + r"/workspace/invitations/[\w-]+", invitation
    )
    assert_accessible(page, "invitation link page")
    shots.take(page, "invitation link")

    page.goto(demo_node.base_url + "/workspace/account")
    assert_accessible(page, "account page")
    shots.take(page, "account")

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(demo_node.base_url + "/workspace/nec")
    assert_accessible(page, "dashboard on a phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the dashboard scrolls sideways on a phone ({width}px)"
    shots.take(page, "dashboard on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Sign out", exact=True).click()
    assert page.url == demo_node.base_url + "/workspace/sign-in"
    page.goto(demo_node.base_url + "/workspace/nec")
    assert page.url.startswith(demo_node.base_url + "/workspace/sign-in")

    # The invitation, opened by the newcomer (signed out: a fresh visitor)
    page.goto(invitation)
    assert page.get_by_role("heading", level=1).inner_text() == "Work for Social Justice Network"
    assert_accessible(page, "invitation page")
    shots.take(page, "invitation")


def test_a_reset_link_made_by_the_demo_admin_lets_an_editor_choose_a_new_password(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    created = demo_node.cli("user", "create", "sam@nec.example").stdout
    generated = re.search(r"Generated password \(shown once\): (\S+)", created)
    assert generated is not None
    demo_node.cli("user", "grant", "sam@nec.example", "nec", "--role", "editor")

    _sign_in(page, demo_node, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(demo_node.base_url + "/workspace/nec/staff")
    reset = _make_link(page, "Password reset link for sam@nec.example")
    assert "/workspace/reset/" in reset
    page.get_by_role("button", name="Sign out", exact=True).click()

    page.goto(reset)
    assert_accessible(page, "reset page")
    shots.take(page, "reset")
    page.get_by_label("New password (at least 10 characters)").fill("sam's new password")
    page.get_by_label("New password again").fill("sam's new password")
    page.get_by_role("button", name="Save the new password").click()
    assert page.get_by_role("status").inner_text() == "Your password was changed."
    assert page.get_by_role("main").get_by_role("link", name="New Economy Coalition").is_visible()
    shots.take(page, "signed in after the reset")
