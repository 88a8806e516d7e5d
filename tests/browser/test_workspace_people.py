"""The demo organizer follows up in a real Chromium: a visitor registers for the conference on
its page, a fediverse follower waits; on the People page she approves the follower, on the
conference's participants page the registration (after a refusal she cancels at the
confirmation step); then the network's page and the API tokens page, where she makes a token
shown once. axe-core checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlalchemy import create_engine
from sqlmodel import Session, select

from node.models import Follower, LocalActor, Participant
from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"
CONFERENCE = "Strengthening the Solidarity Economy Together"
FOLLOWER = "https://mastodon.example/users/bo"


def _a_follower_waits(node: NodeProcess) -> None:
    """What the inbox records of a Follow to an organization that approves followers by hand."""
    engine = create_engine(node.database_url)
    try:
        with Session(engine) as session:
            nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
            assert nec.id is not None
            session.add(Follower(actor_id=nec.id, remote_id=FOLLOWER, inbox=FOLLOWER + "/inbox",
                                 follow_id=FOLLOWER + "/follows/1", state="pending"))  # fmt: skip
            session.commit()
    finally:
        engine.dispose()


def _states(node: NodeProcess) -> tuple[list[str], list[str]]:
    engine = create_engine(node.database_url)
    try:
        with Session(engine) as session:
            follows = [f.state for f in session.exec(select(Follower)) if f.remote_id == FOLLOWER]
            names = [f"{p.name}:{p.state}" for p in session.exec(select(Participant))]
    finally:
        engine.dispose()
    return follows, names


def _register_as_a_visitor(page: Page, node: NodeProcess) -> None:
    page.goto(node.base_url + "/@nec")
    page.get_by_role("link", name=CONFERENCE).first.click()
    page.locator("#reg-name").fill("Lu Wen")
    page.locator("#reg-email").fill("lu@example.org")
    page.get_by_role("button", name="Register").click()
    assert "the organizer will confirm your registration" in page.get_by_role("status").inner_text()


def test_the_organizer_approves_a_follower_and_a_registration(
    demo_node: NodeProcess, page: Page, shots: Shots
) -> None:
    _a_follower_waits(demo_node)
    _register_as_a_visitor(page, demo_node)
    page.goto(demo_node.base_url + "/workspace/nec")
    page.get_by_label("E-mail").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name=re.compile(r"followers? waiting for approval")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "People of New Economy Coalition"
    assert_accessible(page, "people page")
    shots.take(page, "people with a follower waiting")
    page.get_by_role("button", name=f"Approve {FOLLOWER}").click()
    assert "an Accept is on its way" in page.get_by_role("status").inner_text()
    assert_accessible(page, "people page after approving")

    page.get_by_role("link", name=CONFERENCE).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Participants of {CONFERENCE}"
    assert_accessible(page, "participants page")
    shots.take(page, "participants with a registration waiting")
    page.get_by_role("button", name="Refuse Lu Wen").click()
    assert "The node sends no e-mail" in page.locator(".consequence").inner_text()
    assert_accessible(page, "confirmation page")
    shots.take(page, "confirm a refusal")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Approve Lu Wen").click()
    assert page.get_by_role("status").inner_text() == "The participant was approved."
    shots.take(page, "registration approved")
    assert _states(demo_node) == (["accepted"], ["Lu Wen:accepted"])

    page.goto(demo_node.base_url + "/workspace/ussen")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Networks").click()
    assert page.get_by_role("heading", name="Membership requests").is_visible()
    assert_accessible(page, "networks page")
    shots.take(page, "network")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("What it is for").fill("Calendar sync")
    page.get_by_role("button", name="Make the token").click()
    assert page.locator("#the-token").inner_text().startswith("sn_")
    assert_accessible(page, "API tokens page")
    shots.take(page, "a token made")
