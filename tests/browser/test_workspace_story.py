"""The workspace's whole story (#12), in a real Chromium against a real `solnode serve` that a
Fedify peer follows: Maria signs in, fills the profile with an ESSGlobal sector and an uploaded
avatar, publishes a conference with two sessions and a picture, sees it on the public page; the
peer receives the Event (signature verified) with the picture and its alt text. She approves
bob, who waits to follow (the organization approves followers by hand), approves a visitor's
registration, cancels a session (the peer receives the Update) and signs out. axe-core checks
every workspace page on the way; each step leaves a screenshot under test-artifacts/."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page
from sqlalchemy import create_engine
from sqlmodel import Session, select

from node.models import Follower
from tests.db.media_support import ALT, photo
from tests.harness.browser import Shots, assert_accessible
from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import SOLNODE, NodeFactory, NodeProcess, wait_until
from tests.harness.peer import FedifyPeer

EMAIL, PASSWORD = "maria@nec.example", "a long organizer password"
CONFERENCE = "Solidarity Economy Gathering"
AVATAR_ALT = "The coalition's logo: two hands around a seedling"


def _node_with_an_organizer(node_factory: NodeFactory) -> NodeProcess:
    """The New Economy Coalition, approving followers by hand, and Maria, its admin."""
    node = node_factory()
    node.cli("org", "create", "nec", "--name", "New Economy Coalition", "--manual-approval")
    subprocess.run(
        [SOLNODE, "user", "create", EMAIL, "--password-stdin"],
        env=node.env(), input=PASSWORD + "\n", text=True, check=True, capture_output=True,
        timeout=60,
    )  # fmt: skip
    node.cli("user", "grant", EMAIL, "nec", "--role", "admin")
    return node.start()


def _follow_and_wait(node: NodeProcess, peer: FedifyPeer, who: str) -> str:
    """``who`` on the peer asks to follow; the node records the Follow as waiting."""
    peer.follow(node.actor_url("nec"), as_=who)
    actor = peer.actor_id(who)
    engine = create_engine(node.database_url)
    try:

        def waiting() -> bool:
            with Session(engine) as session:
                rows = session.exec(select(Follower).where(Follower.remote_id == actor))
                return [f.state for f in rows] == ["pending"]

        wait_until(waiting, what=f"{who}'s Follow waiting for approval")
    finally:
        engine.dispose()
    return actor


def _followers(node: NodeProcess, peer: FedifyPeer) -> str:
    """alice was approved earlier (with `solnode approve`); bob's Follow waits for Maria."""
    alice = _follow_and_wait(node, peer, "alice")
    node.cli("approve", "nec", alice)
    peer.wait_for_inbox("Accept", timeout=30)
    return _follow_and_wait(node, peer, "bob")


def _sign_in(page: Page, base: str, shots: Shots) -> None:
    page.goto(base + "/workspace/nec")
    assert page.url.startswith(base + "/workspace/sign-in")
    assert_accessible(page, "the sign-in page")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/workspace/nec")
    assert page.get_by_role("heading", level=1).inner_text() == "New Economy Coalition"
    assert_accessible(page, "the dashboard")
    shots.take(page, "signed in")


def _fill_the_profile(page: Page, node: NodeProcess, shots: Shots) -> None:
    page.goto(node.base_url + "/workspace/nec/profile")
    assert_accessible(page, "the profile editor")
    page.select_option("#f-essglobal-economicSector", label="Agriculture")
    page.fill("#f-region", "Massachusetts")
    logo = FilePayload(name="logo.jpg", mimeType="image/jpeg", buffer=photo(800, 800, gps=False))
    page.set_input_files("#f-icon", files=[logo])
    page.fill("#f-icon_alt", AVATAR_ALT)
    shots.take(page, "profile form")
    page.click("button:has-text('Save the profile')")
    page.wait_for_selector("text=Profile saved")
    assert page.locator("#f-essglobal-economicSector option:checked").inner_text() == "Agriculture"
    assert_accessible(page, "the profile editor, saved")
    shots.take(page, "profile saved")
    icon = node.get_json(node.actor_url("nec"))["icon"]
    assert icon["name"] == AVATAR_ALT and icon["url"].startswith(node.base_url + "/")


def _add_session(page: Page, name: str, track: str, hour: int) -> None:
    page.click("text=Add a session")
    assert_accessible(page, f"the session form ({name})")
    page.fill("#f-name", name)
    page.fill("#f-startTime", f"2027-05-14T{hour}:00")
    page.fill("#f-endTime", f"2027-05-14T{hour}:45")
    page.fill("#f-location-url", "https://meet.example.org/gathering")
    page.fill("#f-track", track)
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("text=Published: it is on your public page")


def _publish_the_conference(page: Page, node: NodeProcess, shots: Shots) -> str:
    """The conference (registrations approved by hand, a picture) and its two sessions; the
    conference's workspace page."""
    page.goto(node.base_url + "/workspace/nec/publish/new/event")
    assert_accessible(page, "the event form")
    page.fill("#f-name", CONFERENCE)
    page.fill("#f-content", "Two days of **workshops** on cooperatives.")
    page.fill("#f-startTime", "2027-05-14T09:00")
    page.fill("#f-endTime", "2027-05-15T17:30")
    page.select_option("#f-timezone", "America/New_York")
    page.fill("#f-location-name", "Union Hall")
    page.fill("#f-location-address-addressLocality", "Boston")
    page.select_option("#f-joinMode", "restricted")
    picture = FilePayload(name="IMG_2041.jpg", mimeType="image/jpeg", buffer=photo())
    page.set_input_files("#f-image", files=[picture])
    page.fill("#f-image_alt", ALT)
    shots.take(page, "conference form")
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("text=Published: it is on your public page")
    conference = page.url.split("?")[0]
    assert_accessible(page, "the conference's workspace page")
    _add_session(page, "Housing co-ops", "Housing", 10)
    page.goto(conference)
    _add_session(page, "Worker ownership", "Work", 11)
    page.goto(conference)
    assert page.locator("table.ws").inner_text().count("scheduled") == 2
    assert_accessible(page, "the conference with its programme")
    shots.take(page, "conference with its programme")
    return conference


def _see_the_public_page(page: Page, conference: str, shots: Shots) -> str:
    page.goto(conference)
    public = page.locator("a:has-text('public page')").get_attribute("href")
    assert public is not None
    page.goto(public)
    assert CONFERENCE in page.inner_text("main")
    assert page.locator(f"main img[alt='{ALT}']").count() >= 1
    shots.take(page, "public page")
    return public


def _the_peer_receives_the_event(peer: FedifyPeer, org: str) -> dict[str, Any]:
    creates = peer.wait_for_inbox("Create", min=3, timeout=30)
    [entry] = [c for c in creates if c["activity"]["object"]["name"] == CONFERENCE]
    assert entry["httpSignatureVerified"] is True
    event: dict[str, Any] = entry["activity"]["object"]
    assert entry["activity"]["actor"] == org and event["type"] == "Event"
    [attachment] = event["attachment"]
    assert attachment["type"] == "Document" and attachment["name"] == ALT
    assert attachment["mediaType"] == "image/jpeg"
    return event


def _approve_bob(page: Page, node: NodeProcess, peer: FedifyPeer, bob: str, shots: Shots) -> None:
    page.goto(node.base_url + "/workspace/nec")
    page.get_by_role("link", name=re.compile(r"followers? waiting for approval")).click()
    assert_accessible(page, "the people page")
    shots.take(page, "a follower waiting")
    page.get_by_role("button", name=f"Approve {bob}").click()
    assert "an Accept is on its way" in page.get_by_role("status").inner_text()
    assert_accessible(page, "the people page after approving")
    accepts = peer.wait_for_inbox("Accept", min=2, timeout=30)
    assert accepts[-1]["recipient"] == "bob" and accepts[-1]["httpSignatureVerified"] is True


def _register_as_a_visitor(browser: Browser, public: str, shots: Shots) -> None:
    """Lu, a visitor with no account, in a browser context of her own."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        visitor = context.new_page()
        visitor.goto(public)
        visitor.locator("#reg-name").fill("Lu Wen")
        visitor.locator("#reg-email").fill("lu@example.org")
        visitor.get_by_role("button", name="Register").click()
        status = visitor.get_by_role("status").inner_text()
        assert "the organizer will confirm your registration" in status
        shots.take(visitor, "a visitor registers")
    finally:
        context.close()


def _approve_the_registration(page: Page, node: NodeProcess, shots: Shots) -> None:
    page.goto(node.base_url + "/workspace/nec/people")
    page.get_by_role("link", name=CONFERENCE).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Participants of {CONFERENCE}"
    assert_accessible(page, "the participants page")
    shots.take(page, "a registration waiting")
    page.get_by_role("button", name="Approve Lu Wen").click()
    assert page.get_by_role("status").inner_text() == "The participant was approved."
    assert_accessible(page, "the participants page after approving")
    shots.take(page, "registration approved")


def _cancel_a_session(page: Page, conference: str, peer: FedifyPeer, shots: Shots) -> None:
    page.goto(conference)
    page.click("a:has-text('Housing co-ops')")
    page.click("button:has-text('Cancel…')")
    page.wait_for_selector("text=What your followers will see")
    assert_accessible(page, "the cancel confirmation")
    shots.take(page, "cancel a session")
    page.click("main button:has-text('Cancel')")
    page.wait_for_selector("text=The event is cancelled")
    assert_accessible(page, "the cancelled session")
    page.goto(conference)
    assert "cancelled" in page.locator("table.ws").inner_text()
    shots.take(page, "a session cancelled")

    def cancelled() -> list[dict[str, Any]]:
        updates = peer.inbox("Update", wait=5)
        return [u for u in updates if u["activity"]["object"].get("name") == "Housing co-ops"]

    [update] = wait_until(cancelled, timeout=30, what="the Update of the cancelled session")
    assert update["httpSignatureVerified"] is True
    assert update["activity"]["object"]["eventStatus"] == "EventCancelled"


def _sign_out(page: Page, base: str, shots: Shots) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(base + "/workspace/sign-in")
    page.goto(base + "/workspace/nec")
    assert page.url.startswith(base + "/workspace/sign-in")
    shots.take(page, "signed out")


@pytest.mark.peer
def test_an_organizer_publishes_a_conference_a_follower_receives_and_follows_up(
    node_factory: NodeFactory,
    fedify_peer_factory: PeerFactory,
    browser: Browser,
    page: Page,
    shots: Shots,
) -> None:
    node = _node_with_an_organizer(node_factory)
    peer = fedify_peer_factory(["alice", "bob"])
    bob = _followers(node, peer)

    _sign_in(page, node.base_url, shots)
    _fill_the_profile(page, node, shots)
    conference = _publish_the_conference(page, node, shots)
    public = _see_the_public_page(page, conference, shots)
    _the_peer_receives_the_event(peer, node.actor_url("nec"))
    _approve_bob(page, node, peer, bob, shots)
    _register_as_a_visitor(browser, public, shots)
    _approve_the_registration(page, node, shots)
    _cancel_a_session(page, conference, peer, shots)
    _sign_out(page, node.base_url, shots)
