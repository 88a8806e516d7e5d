"""Registration that respects people: a confirmation page of its own, one registration per
person per event (a unique index, so also for two submits at once), a secret link to see or
cancel it, and the online link of an approval-only event only for approved participants."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.features.participation import registrations
from node.models import Item, Participant
from tests.db.publishing_support import Api, Page, fixture, future, make_org

FORUM = fixture("forum_series.json")
LINK = "https://forum.example.org/live"


@pytest.fixture
def api(client: TestClient, engine: Engine) -> Api:
    return Api(client, make_org(engine))


def publish(api: Api, **changes: Any) -> dict[str, Any]:
    body = future(FORUM) | {"recurrence": None, "joinMode": "free"} | changes
    answer = api.post("/api/v1/events", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def register(client: TestClient, url: str, **fields: str) -> Any:
    """Fill in the form as a browser does: fetch the page (its cookie and token), post it."""
    token = Page(client.get(url).text).find("input", name="token")[0]["value"]
    form = {"token": token, "lang": "en"} | fields
    return client.post(f"{url}/register", data=form, follow_redirects=False)


def people(engine: Engine, event: dict[str, Any]) -> list[Participant]:
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
        return list(session.exec(select(Participant).where(Participant.item_id == item.id)))


def test_a_registration_lands_on_its_own_page_which_can_cancel_it(
    api: Api, client: TestClient, engine: Engine
) -> None:
    event = publish(api, maximumAttendeeCapacity=10)
    done = register(client, event["url"], name="Rosa Parks", email="rosa@example.org")
    assert done.status_code == 303
    mine = done.headers["location"]
    assert mine.startswith(event["url"] + "/registrations/") and "?registered" not in mine

    page = client.get(mine)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    confirmation = Page(page.text)
    assert "Thank you, you are registered." in confirmation.text
    assert "Rosa Parks" in confirmation.text
    assert "No e-mail will come from this node" in confirmation.text
    # The event page is the event page again: no thank-you, no address in it.
    assert "Thank you" not in client.get(event["url"]).text
    assert "1 taking part · 9 places left" in client.get(event["url"]).text

    [form] = confirmation.find("form", class_="cancel")
    cancelled = client.post(form["action"], follow_redirects=False)
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == mine
    assert "You cancelled this registration." in client.get(mine).text
    assert [p.state for p in people(engine, event)] == ["left"]
    assert "0 taking part · 10 places left" in client.get(event["url"]).text
    assert api.get(event["api"]).json()["activitypub"]["participantCount"] == 0

    # Registering again after cancelling is allowed; the old link no longer works.
    again = register(client, event["url"], name="Rosa Parks", email="rosa@example.org")
    assert again.status_code == 303 and again.headers["location"] != mine
    assert client.get(mine).status_code == 404
    assert [p.state for p in people(engine, event)] == ["accepted"]


def test_registering_twice_with_the_same_email_makes_one_registration(
    api: Api, client: TestClient, engine: Engine
) -> None:
    event = publish(api)
    first = register(client, event["url"], name="Ana", email="ana@example.org")
    assert first.status_code == 303
    # Another browser, the same person (the address in other letters): one registration,
    # and the second comer is not given the first one's secret link.
    other = TestClient(client.app, base_url=str(client.base_url))
    second = register(other, event["url"], name="Ana M.", email="ANA@example.org")
    assert second.status_code == 200
    assert "already registered for this event" in second.text
    assert "/registrations/" not in second.text
    [row] = people(engine, event)
    assert (row.name, row.email, row.state) == ("Ana", "ana@example.org", "accepted")
    assert "1 taking part" in client.get(event["url"]).text


def test_without_an_email_the_browser_is_the_person(
    api: Api, client: TestClient, engine: Engine
) -> None:
    event = publish(api)
    # Two tabs of the same browser, each with the form: the second post is the same person.
    tabs = [Page(client.get(event["url"]).text).find("input", name="token")[0] for _ in range(2)]
    first, second = (
        client.post(
            f"{event['url']}/register",
            data={"token": tab["value"], "name": "Bo", "lang": "en"},
            follow_redirects=False,
        )
        for tab in tabs
    )
    assert first.status_code == 303 and "already registered" in second.text
    # The browser remembers its registration: the event page links it instead of the form.
    page = Page(client.get(event["url"]).text)
    assert not page.find("form", class_="register")
    assert page.find("a", href=first.headers["location"].split("?")[0])
    assert "You are registered for this event from this browser" in page.text
    other = TestClient(client.app, base_url=str(client.base_url))
    assert register(other, event["url"], name="Cy").status_code == 303
    assert sorted(p.name for p in people(engine, event)) == ["Bo", "Cy"]


def test_the_database_refuses_a_second_row_for_the_same_person(api: Api, engine: Engine) -> None:
    event = publish(api)
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
        assert item.id is not None
        key = registrations.person_key("ana@example.org", "")
        for n in range(2):
            session.add(Participant(item_id=item.id, join_id=f"urn:uuid:{n}", person_key=key))
        with pytest.raises(IntegrityError):
            session.commit()


def test_two_submits_at_the_same_moment_make_one_registration(api: Api, engine: Engine) -> None:
    event = publish(api)
    start = threading.Barrier(2)
    tokens: list[str | None] = []
    failures: list[BaseException] = []

    def submit(browser: str) -> None:
        try:
            start.wait()
            with session_scope(engine) as session:
                item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
                done = registrations.register_on_page(
                    session, item, "Ana", "ana@example.org", browser
                )
                tokens.append(done.token)
        except BaseException as exc:  # reported below, in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(b,)) for b in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(t is None for t in tokens) == [False, True]
    [row] = people(engine, event)
    assert row.state == "accepted"
    with Session(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == event["id"])).one()
        assert item.document["participantCount"] == 1


def test_a_wrong_or_foreign_token_finds_nothing(api: Api, client: TestClient) -> None:
    event = publish(api)
    other = publish(api, name="Another forum of the network")
    mine = register(client, event["url"], name="Ana").headers["location"]
    token = mine.rsplit("/", 1)[1]
    assert client.get(f"{other['url']}/registrations/{token}").status_code == 404
    assert client.get(f"{event['url']}/registrations/not-a-token").status_code == 404
    assert client.post(f"{event['url']}/registrations/not-a-token/cancel").status_code == 404


def test_the_online_link_of_an_approval_only_event_is_for_approved_participants(
    api: Api, client: TestClient
) -> None:
    event = publish(api, joinMode="restricted")
    assert LINK not in client.get(event["url"]).text
    mine = register(client, event["url"], name="Ada", email="ada@example.org")
    waiting = client.get(mine.headers["location"]).text
    assert "the organizer will confirm your registration" in waiting
    assert LINK not in waiting

    [person] = api.get(f"/api/v1/events/{event['uid']}/participants").json()["items"]
    approved = api.post(f"/api/v1/events/{event['uid']}/participants/{person['id']}/approve", {})
    assert approved.status_code == 200, approved.text
    page = Page(client.get(mine.headers["location"]).text)
    assert "Thank you, you are registered." in page.text
    assert page.find("a", class_="online-link", href=LINK)
    assert LINK not in client.get(event["url"]).text
