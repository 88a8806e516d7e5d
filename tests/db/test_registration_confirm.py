"""With SOLNODE_REGISTRATION_CONFIRM, a registration counts only once the person opens the link
e-mailed to them and presses Confirm (issue 15, item 11: a script without real mailboxes cannot
fill an event). The mail goes to a real loopback SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.app import create_app
from node.db import now_utc, session_scope
from node.features.mail import jobs as mail_jobs
from node.models import Item, Participant
from node.settings import ConfigError, Settings, load_settings
from tests.db.test_mail import mail_jobs_of, publish, register
from tests.harness.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def confirming(settings: Settings, engine: Engine, smtp: SmtpServer) -> Iterator[TestClient]:
    strict = replace(
        settings, smtp_url=smtp.url, registration_confirm=True, rate_limit_register=None
    )
    with TestClient(create_app(strict, engine=engine), base_url=settings.base_url) as client:
        yield client


def _places_taken(engine: Engine, url: str) -> int:
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == url)).one()
        return sum(1 for p in session.exec(select(Participant)) if p.item_id == item.id
                   and p.state == "accepted")  # fmt: skip


def _send_mail(client: TestClient, engine: Engine) -> None:
    node = client.app.state.node  # type: ignore[attr-defined]
    for job in mail_jobs_of(engine):
        asyncio.run(mail_jobs.run(node, job))


def test_a_script_registering_made_up_addresses_takes_no_place(
    confirming: TestClient, engine: Engine, smtp: SmtpServer
) -> None:
    event = publish(confirming, engine)
    for n in range(6):
        visitor = TestClient(confirming.app, base_url=str(confirming.base_url))
        page = register(visitor, event["url"], name=f"Bot {n}", email=f"bot{n}@example.org")
        assert page.status_code == 202
        assert "we sent a link to" in page.text and "/registrations/" not in page.text
        assert "solnode_registration" not in page.headers.get("set-cookie", "")
    assert _places_taken(engine, event["id"]) == 0
    with Session(engine) as session:
        assert {p.state for p in session.exec(select(Participant))} == {"unconfirmed"}
    _send_mail(confirming, engine)
    assert len(smtp.received) == 6


def test_the_emailed_link_and_its_button_confirm_the_registration(
    confirming: TestClient, engine: Engine, smtp: SmtpServer
) -> None:
    event = publish(confirming, engine)
    register(confirming, event["url"], name="Rosa Parks", email="rosa@example.org")
    _send_mail(confirming, engine)
    [got] = smtp.received
    text = got.message.get_content()
    assert "One more step: confirm your registration" in text
    [link] = [w for w in text.split() if "/registrations/" in w]

    page = confirming.get(link)  # a mail scanner fetching the link confirms nothing
    assert "Confirm my registration" in page.text
    assert _places_taken(engine, event["id"]) == 0

    confirmed = confirming.post(f"{link}/confirm")
    assert confirmed.status_code == 200 and "Thank you, you are registered." in confirmed.text
    assert _places_taken(engine, event["id"]) == 1
    # this browser now remembers it; from another, the same address is the same person
    assert "You are registered for this event" in confirming.get(event["url"]).text
    other = TestClient(confirming.app, base_url=str(confirming.base_url))
    again = register(other, event["url"], name="Rosa", email="ROSA@example.org")
    assert "You are already registered" in again.text
    assert _places_taken(engine, event["id"]) == 1


def test_an_address_is_needed_and_a_link_expires_after_two_days(
    confirming: TestClient, engine: Engine, smtp: SmtpServer
) -> None:
    event = publish(confirming, engine)
    missing = register(confirming, event["url"], name="Ana")
    assert missing.status_code == 422 and "we send you a link to confirm" in missing.text

    register(confirming, event["url"], name="Ana", email="ana@example.org")
    _send_mail(confirming, engine)
    with session_scope(engine) as session:
        session.exec(update(Participant).values(updated_at=now_utc() - timedelta(hours=49)))
    [got] = smtp.received
    [link] = [w for w in got.message.get_content().split() if "/registrations/" in w]
    late = confirming.post(f"{link}/confirm")
    assert late.status_code == 409 and "expired" in late.text
    # registering again starts afresh
    fresh = register(confirming, event["url"], name="Ana", email="ana@example.org")
    assert fresh.status_code == 202


def test_the_setting_needs_smtp(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="needs SOLNODE_SMTP_URL"):
        load_settings(env={"SOLNODE_REGISTRATION_CONFIRM": "true"}, base_url=settings.base_url,
                      data_dir=str(settings.data_dir), secret_key="x")  # fmt: skip
