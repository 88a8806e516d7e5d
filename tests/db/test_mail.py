"""E-mail confirmations when the operator sets ``SOLNODE_SMTP_URL``: the registration queues a
``mail`` job in its own transaction, the job sends it to a real (loopback) SMTP server, and the
link in it is the registration's page. Without SMTP the page says no e-mail will come."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.app import create_app
from node.features.mail import jobs as mail_jobs
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done, Fail, Retry
from node.models import Job
from node.settings import ConfigError, Settings, load_settings
from node.wiring import job_registry
from tests.db.publishing_support import Api, Page, fixture, future, make_org
from tests.harness.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailing(settings: Settings, engine: Engine, smtp: SmtpServer) -> Iterator[TestClient]:
    app = create_app(replace(settings, smtp_url=smtp.url), engine=engine)
    with TestClient(app, base_url=settings.base_url) as client:
        yield client


def publish(client: TestClient, engine: Engine) -> dict[str, Any]:
    api = Api(client, make_org(engine))
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "free"}
    return dict(api.post("/api/v1/events", body).json())


def register(client: TestClient, url: str, **fields: str) -> Any:
    token = Page(client.get(url).text).find("input", name="token")[0]["value"]
    return client.post(f"{url}/register", data={"token": token, "lang": "en"} | fields)


def mail_jobs_of(engine: Engine) -> list[ClaimedJob]:
    with Session(engine) as session:
        rows = session.exec(select(Job).where(Job.kind == "mail").order_by(col(Job.id)))
        return [ClaimedJob(r.id or 0, r.kind, dict(r.payload), 1, r.dedupe_key) for r in rows]


def test_a_registration_with_an_address_gets_its_link_by_email(
    mailing: TestClient, engine: Engine, smtp: SmtpServer
) -> None:
    event = publish(mailing, engine)
    page = register(mailing, event["url"], name="Rosa Parks", email="rosa@example.org")
    assert "A confirmation with this link is on its way to rosa@example.org." in page.text
    [job] = mail_jobs_of(engine)
    node = mailing.app.state.node  # type: ignore[attr-defined]
    assert isinstance(asyncio.run(mail_jobs.run(node, job)), Done)

    [got] = smtp.received
    assert got.recipients == ["rosa@example.org"]
    assert got.auth == "\0node@example.org\0s3cret"
    assert got.message["To"] == "rosa@example.org"
    assert got.message["From"] == "Solidarity Node <no-reply@127.0.0.1>"
    assert got.message["Subject"].startswith("Your registration: Monthly peer support forum")
    text = got.message.get_content()
    assert "Thank you, you are registered." in text
    [link] = [w for w in text.split() if "/registrations/" in w]
    assert link == str(page.url).split("?")[0]
    assert "Rosa Parks" in mailing.get(link).text

    # No address, no mail.
    other = TestClient(mailing.app, base_url=str(mailing.base_url))
    register(other, event["url"], name="Bo")
    assert len(mail_jobs_of(engine)) == 1


def test_refusals_and_an_absent_server(
    mailing: TestClient, engine: Engine, smtp: SmtpServer, settings: Settings
) -> None:
    event = publish(mailing, engine)
    register(mailing, event["url"], name="Ana", email="ana@example.org")
    [job] = mail_jobs_of(engine)
    node = mailing.app.state.node  # type: ignore[attr-defined]
    smtp.refuse = "550 5.1.1 mailbox unavailable"
    assert isinstance(outcome := asyncio.run(mail_jobs.run(node, job)), Fail)
    assert "550" in outcome.error
    smtp.refuse = "451 4.3.0 try again later"
    assert isinstance(asyncio.run(mail_jobs.run(node, job)), Retry)
    gone = replace(node, settings=replace(node.settings, smtp_url="smtp://127.0.0.1:9"))
    assert isinstance(asyncio.run(mail_jobs.run(gone, job)), Retry)
    unset = replace(node, settings=replace(node.settings, smtp_url=""))
    assert isinstance(asyncio.run(mail_jobs.run(unset, job)), Fail)
    assert smtp.received == []


def test_without_smtp_the_page_says_no_email_will_come(client: TestClient, engine: Engine) -> None:
    event = publish(client, engine)
    page = register(client, event["url"], name="Ana", email="ana@example.org")
    assert "No e-mail will come from this node" in page.text
    assert mail_jobs_of(engine) == []


@pytest.mark.parametrize(
    "value", ["http://mail.example.org", "smtp://", "smtp://host:99999", "mail.example.org:587"]
)
def test_a_bad_smtp_url_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(ConfigError, match="SOLNODE_SMTP_URL") as refused:
        load_settings(env={"SOLNODE_SMTP_URL": value, "SOLNODE_SECRET_KEY": "x"})
    assert value not in str(refused.value) or value == "smtp://"


def test_smtp_urls_are_read_as_given() -> None:
    loaded = load_settings(env={"SOLNODE_SMTP_URL": "smtps://a:b@mail.example.org"})
    assert loaded.smtp_url == "smtps://a:b@mail.example.org"


def test_the_mail_job_is_wired() -> None:
    registry = job_registry()
    assert "mail" in registry.kinds
    assert registry.policy("mail") is mail_jobs.POLICY


def test_the_organizers_decision_is_mailed_too(
    mailing: TestClient, engine: Engine, smtp: SmtpServer
) -> None:
    api = Api(mailing, make_org(engine))
    body = future(fixture("forum_series.json")) | {"recurrence": None, "joinMode": "restricted"}
    event = api.post("/api/v1/events", body).json()
    register(mailing, event["url"], name="Ada", email="ada@example.org")
    other = TestClient(mailing.app, base_url=str(mailing.base_url))
    register(other, event["url"], name="Bo", email="bo@example.org")
    listed = api.get(f"/api/v1/events/{event['uid']}/participants").json()["items"]
    ids = {p["name"]: p["id"] for p in listed}
    base = f"/api/v1/events/{event['uid']}/participants"
    assert api.post(f"{base}/{ids['Ada']}/approve", None).status_code == 200
    assert api.post(f"{base}/{ids['Bo']}/reject", None).status_code == 200
    node = mailing.app.state.node  # type: ignore[attr-defined]
    for job in mail_jobs_of(engine):
        assert isinstance(asyncio.run(mail_jobs.run(node, job)), Done)
    told = {
        (r.recipients[0], r.message.get_content().replace("\r\n", "\n").split("\n\n")[1])
        for r in smtp.received
    }
    assert told == {
        (
            "ada@example.org",
            "Thank you: the organizer will confirm your registration. Come back "
            "to this page to see when it is confirmed.",
        ),
        (
            "bo@example.org",
            "Thank you: the organizer will confirm your registration. Come back "
            "to this page to see when it is confirmed.",
        ),
        (
            "ada@example.org",
            "The organizer confirmed your registration. Your registration's page "
            "(the link in your first e-mail) now shows the online link.",
        ),
        ("bo@example.org", "The organizer could not accept your registration."),
    }
