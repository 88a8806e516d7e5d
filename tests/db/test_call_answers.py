"""Answering a call for collaboration without a fediverse account, on SQLite and PostgreSQL:
the form on the call's page lands in the organization's workspace (``answers_for``,
``answer_count``), never published; it is CSRF-protected and limited per address; bad input
stores nothing. And the words around a call: who published it, what the number is, how to
answer from the fediverse; the language switcher of a list with a query."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.app import create_app
from node.db import now_utc, session_scope
from node.features.publishing.answers import answer_count, answers_for
from node.federation.actors.local import get_actor
from node.limits import Limit
from node.models import CallAnswer, Item, OutboxActivity
from node.settings import Settings
from tests.db.publishing_support import Api, Page, fixture, make_org

ANSWER = {
    "name": "Marta Ruiz",
    "contact": "marta@coop-lavanda.example",
    "message": "Our bakery co-op (12 workers) renews its insurance in March.\nCount us in!",
}


@pytest.fixture
def call(client: TestClient, engine: Engine) -> dict[str, Any]:
    api = Api(client, make_org(engine))
    body = fixture("call_group_purchasing.json") | {"deadline": "2030-01-15"}
    answer = api.post("/api/v1/calls", body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def form_of(client: TestClient, url: str) -> dict[str, str]:
    """The answer form's hidden fields, as the browser would send them (the cookie is kept)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    form = re.search(
        r'<form class="answer-form" method="post" action="([^"]+)">(.*?)</form>', page.text, re.S
    )
    assert form is not None, "no answer form"
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    return {"action": form.group(1), **hidden}


def stored_answers(engine: Engine) -> list[CallAnswer]:
    with Session(engine) as session:
        return list(session.exec(select(CallAnswer)))


def test_a_visitor_answers_a_call_and_only_the_organization_reads_it(
    client: TestClient, engine: Engine, call: dict[str, Any]
) -> None:
    page = Page(client.get(call["url"]).text)
    assert (2, "Answer this call") in page.headings
    assert page.find("textarea", id="ans-message") and page.find("label", **{"for": "ans-message"})
    form = form_of(client, call["url"])
    assert form["action"] == f"{call['id']}/answer"
    sent_before = len(stored_outbox(engine))

    answer = client.post(
        form["action"],
        data=ANSWER | {"token": form["token"], "lang": form["lang"]},
        follow_redirects=False,
    )

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{call['id']}/answered?lang=en"
    thanks = client.get(answer.headers["location"])
    assert thanks.status_code == 200
    assert (1, "Thank you") in Page(thanks.text).headings
    assert "Your message reached New Economy Coalition." in thanks.text
    with Session(engine) as session:
        org = get_actor(session, "nec")
        assert org is not None
        [(row, item)] = answers_for(session, org)
        assert answer_count(session, org) == 1
    assert (row.name, row.contact, row.message) == (
        ANSWER["name"],
        ANSWER["contact"],
        ANSWER["message"],
    )
    assert item.ap_id == call["id"]
    # Never published: no activity went out, the call's page does not show it.
    assert len(stored_outbox(engine)) == sent_before
    assert "bakery co-op" not in client.get(call["url"]).text


def stored_outbox(engine: Engine) -> list[OutboxActivity]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxActivity)))


def test_a_bad_answer_is_explained_and_nothing_is_stored(
    client: TestClient, engine: Engine, call: dict[str, Any]
) -> None:
    form = form_of(client, call["url"])
    answer = client.post(
        form["action"],
        data={
            "name": "Bad\x1b[31m",
            "contact": " ",
            "message": "",
            "token": form["token"],
            "lang": "es",
        },
    )
    assert answer.status_code == 422
    page = Page(answer.text)
    assert page.find("html")[0]["lang"] == "es"
    for field in ("ans-name", "ans-contact"):
        assert page.find("input", id=field, **{"aria-invalid": "true"})
    assert page.find("textarea", id="ans-message", **{"aria-invalid": "true"})
    assert "Indica cómo contactarte." in answer.text and "Escribe un mensaje." in answer.text
    too_long = ANSWER | {"message": "x" * 4001, "token": form_of(client, call["url"])["token"]}
    assert client.post(form["action"], data=too_long).status_code == 422
    assert stored_answers(engine) == []


def test_the_answer_form_needs_its_cookie_and_each_token_posts_once(
    client: TestClient, engine: Engine, call: dict[str, Any]
) -> None:
    form = form_of(client, call["url"])
    data = ANSWER | {"token": form["token"], "lang": "en"}
    assert client.post(form["action"], data=data, follow_redirects=False).status_code == 303
    again = client.post(form["action"], data=data)
    assert again.status_code == 409 and "The form expired" in again.text
    client.cookies.clear()  # another site's form: the SameSite=Strict cookie does not come along
    fresh = form_of(client, call["url"])["token"]
    client.cookies.clear()
    assert client.post(form["action"], data=ANSWER | {"token": fresh}).status_code == 409
    assert len(stored_answers(engine)) == 1


def test_a_closed_call_takes_no_answers(
    client: TestClient, engine: Engine, call: dict[str, Any]
) -> None:
    form = form_of(client, call["url"])
    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.ap_id == call["id"])).one()
        item.end_time = now_utc() - timedelta(days=1)
        session.add(item)
    page = client.get(call["url"]).text
    assert "This call is closed." in page and 'class="answer-form"' not in page
    refused = client.post(form["action"], data=ANSWER | {"token": form["token"]})
    assert refused.status_code == 409 and "This call is closed." in refused.text
    assert stored_answers(engine) == []


def test_only_calls_take_answers(client: TestClient, engine: Engine, call: dict[str, Any]) -> None:
    form = form_of(client, call["url"])
    api = Api(client, make_org(engine, "sjn", "Social Justice Network"))
    news = api.post("/api/v1/news", fixture("news_share_stories.json")).json()
    assert (
        client.post(f"{news['id']}/answer", data=ANSWER | {"token": form["token"]}).status_code
        == 404
    )
    assert client.post(f"{call['id']}x/answer", data=ANSWER).status_code == 404
    assert client.get(f"{news['id']}/answered").status_code == 404
    huge = client.post(
        form["action"],
        content=b"message=" + b"x" * 30_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    assert stored_answers(engine) == []


def test_answers_are_limited_per_address(
    settings: Settings, engine: Engine, client: TestClient, call: dict[str, Any]
) -> None:
    limited = create_app(replace(settings, rate_limit_answer=Limit(2, 3600.0)), engine=engine)
    with TestClient(limited, base_url=settings.base_url) as visitor:
        codes = []
        for _ in range(3):
            form = form_of(visitor, call["url"])
            codes.append(
                visitor.post(
                    form["action"], data=ANSWER | {"token": form["token"]}, follow_redirects=False
                )
            )
    assert [c.status_code for c in codes] == [303, 303, 429]
    assert int(codes[2].headers["Retry-After"]) > 0
    assert len(stored_answers(engine)) == 2


def test_a_call_page_says_who_published_it_and_what_the_number_is(
    client: TestClient, call: dict[str, Any]
) -> None:
    page = client.get(call["url"]).text
    assert "Published by" in page and "Organized by" not in page
    assert re.search(r"<dt>Amount</dt><dd>25</dd>", page)
    assert "renewable energy (25)" not in page
    served = client.get(call["id"], headers={"Accept": "application/activity+json"}).json()
    assert "Reply to this post to answer, or use the form:" in served["content"]
    assert "(amount: 25)" in served["content"]


def test_the_language_switcher_of_past_events_keeps_the_query(
    client: TestClient, call: dict[str, Any]
) -> None:
    page = Page(client.get("/@nec/events?past=1&lang=fr").text)
    hrefs = [a["href"] for a in page.find("a") if a.get("hreflang")]
    assert hrefs and all(h.endswith(f"/@nec/events?past=1&lang={h[-2:]}") for h in hrefs), hrefs
