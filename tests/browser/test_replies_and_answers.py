"""A visitor on the demo's call for collaboration, in a real Chromium: the replies from the
fediverse with a content warning collapsed until they open it, a second page of replies, and
the answer form sent to a thank-you page; axe-core finds nothing serious on any of them.

The replies are written to the node's database as the inbox stores them (the inbox path itself
is told with signed POSTs in tests/db/test_replies_rendered.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine
from sqlmodel import Session, select

from node.models import Interaction, Item
from tests.harness.browser import Shots, assert_accessible
from tests.harness.nodes import NodeProcess

ANA = "https://mastodon.example/users/ana"


@pytest.fixture(scope="module")
def call_url(demo_node: NodeProcess) -> Iterator[str]:
    """The demo call's page, with 60 approved replies: the first behind a content warning,
    the second with a photo."""
    engine = create_engine(demo_node.database_url)
    try:
        with Session(engine) as session:
            call = session.exec(select(Item).where(Item.kind == "call")).first()
            assert call is not None, "the demo has a call"
            for n in range(60):
                document: dict[str, object] = {
                    "url": f"https://mastodon.example/@ana/{n}",
                    "visibility": "public",
                }
                if n == 0:
                    document |= {"summary": "Prices and figures", "sensitive": True}
                if n == 1:
                    document["attachment"] = [
                        {
                            "url": "https://mastodon.example/media/meeting.jpg",
                            "mediaType": "image/jpeg",
                            "name": "Twelve people around a table of contracts",
                        }
                    ]
                session.add(
                    Interaction(
                        activity_id=f"{ANA}/statuses/{n}",
                        kind="reply",
                        actor=ANA,
                        object_id=call.ap_id,
                        content=f"<p>Reply number {n}: count our co-op in.</p>",
                        document=document,
                        state="approved",
                    )
                )
            session.commit()
            url = call.ap_id
    finally:
        engine.dispose()
    yield url


def test_a_content_warning_opens_on_request_and_replies_page(
    call_url: str, page: Page, shots: Shots
) -> None:
    response = page.goto(call_url)
    assert response is not None and response.status == 200
    warning = page.locator("details.content-warning").first
    hidden_text = warning.locator(".reply-content")
    assert warning.locator("summary").inner_text() == "Prices and figures"
    assert not hidden_text.is_visible()
    assert page.get_by_text("Reply number 1: count our co-op in.").is_visible()
    photo = page.get_by_role("link", name="Image: Twelve people around a table of contracts")
    assert photo.get_attribute("href") == "https://mastodon.example/media/meeting.jpg"
    assert page.locator(".replies img").count() == 0  # nothing loaded from the remote server
    assert page.get_by_text("60 replies").is_visible()
    assert_accessible(page, "a call with replies")
    shots.take(page, "call with a collapsed content warning")

    warning.locator("summary").click()
    assert hidden_text.is_visible() and "Reply number 0" in hidden_text.inner_text()
    assert_accessible(page, "the content warning opened")
    shots.take(page, "content warning opened", full_page=False)

    page.get_by_role("link", name="Later replies").click()
    assert "replies_after=" in page.url
    assert page.get_by_text("Reply number 59: count our co-op in.").is_visible()
    assert page.get_by_text("Reply number 49:").count() == 0
    assert_accessible(page, "the second page of replies")
    shots.take(page, "second page of replies")
    page.get_by_role("link", name="Earlier replies").click()
    assert page.get_by_text("Reply number 0:").count() == 1


def test_a_visitor_answers_the_call_and_lands_on_a_thank_you_page(
    call_url: str, page: Page, shots: Shots
) -> None:
    page.goto(call_url)
    form = page.locator("form.answer-form")
    form.get_by_label("Your name").fill("Marta Ruiz")
    form.get_by_label("How to reach you (e-mail, phone…)").fill("marta@coop-lavanda.example")
    form.get_by_label("Your message").fill("Our bakery co-op renews its insurance in March.")
    shots.take(page, "answer form filled")
    form.get_by_role("button", name="Send").click()
    page.wait_for_url("**/answered**")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert page.get_by_role("status").inner_text().startswith("Your message reached")
    assert_accessible(page, "the thank-you page")
    shots.take(page, "thank-you page")
    page.get_by_role("link", name="Back to the call").click()
    assert page.url.split("?")[0] == call_url
