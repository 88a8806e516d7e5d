"""What a remote author and an anonymous visitor could do with the node's own features, over
real HTTP against a real `solnode serve` (issue 15, items 9, 11, 12 and 15):

* a followers-only or direct reply, once approved, is never shown on the public page, and the
  moderator sees that it was private (``visibility`` in the replies API);
* an approved reply edited by its author goes back to pending;
* a script cannot fill an event: a form token is good for one registration, and registrations
  are limited per address (``SOLNODE_RATE_LIMIT_REGISTER``);
* API tokens can be listed, revoked and given an expiry; a revoked or expired token is refused
  with a 401 that says which.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.db.publishing_support import Page, fixture, future
from tests.harness.nodes import NodeFactory, NodeProcess, wait_until
from tests.integration.loopback_support import (
    LoopThread,
    RemoteActorKeys,
    RemoteOrigin,
    db_engine,
)

pytestmark = pytest.mark.integration
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _api(node: NodeProcess, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{node.base_url}{path}", headers=headers, timeout=20, **kw)


def _count(node: NodeProcess, sql: str) -> Any:
    engine = db_engine(node.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


# --- replies: a remote author ----------------------------------------------------------------


@dataclass
class Replies:
    node: NodeProcess
    token: str
    note: str  # the id (and page) of @coop's note
    coop: str
    alice: RemoteActorKeys


@pytest.fixture
def replies(node_factory: NodeFactory) -> Iterator[Replies]:
    node = node_factory()
    node.cli("org", "create", "coop", "--name", "Riverside Co-op")
    token = node.cli("token", "create", "coop").stdout.strip()
    node.start()
    note = node.cli("note", "coop", "Bulk flour order on Friday.").stdout.strip()
    lt = LoopThread()
    origin = RemoteOrigin()
    lt.run(origin.start())
    try:
        alice = origin.add_actor("alice")
        yield Replies(node, token, note, node.actor_url("coop"), alice)
    finally:
        lt.run(origin.stop())
        lt.close()


def _send(r: Replies, activity: dict[str, Any]) -> None:
    body = json.dumps(activity).encode()
    url = f"{r.node.base_url}/inbox"
    answer = httpx.post(url, content=body, headers=r.alice.sign(url, body), timeout=20)
    assert answer.status_code == 202, answer.text


def _reply(r: Replies, content: str, to: list[str], cc: list[str]) -> dict[str, Any]:
    author = r.alice.actor_id
    reply_id = f"{author}/statuses/{uuid.uuid4().hex}"
    note = {
        "id": reply_id,
        "type": "Note",
        "attributedTo": author,
        "inReplyTo": r.note,
        "content": f"<p>{content}</p>",
        "to": to,
        "cc": cc,
    }
    _send(
        r,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{reply_id}/activity",
            "type": "Create",
            "actor": author,
            "object": note,
            "to": to,
            "cc": cc,
        },
    )
    return note


def _listed(r: Replies) -> dict[str, dict[str, Any]]:
    answer = _api(r.node, r.token, "GET", "/api/v1/replies")
    assert answer.status_code == 200, answer.text
    return {item["replyId"]: item for item in answer.json()["items"]}


def _page(r: Replies) -> str:
    answer = httpx.get(r.note, headers={"Accept": "text/html"}, timeout=20)
    assert answer.status_code == 200
    return answer.text


def test_an_approved_private_reply_stays_off_the_page_and_is_marked_private(
    replies: Replies,
) -> None:
    r = replies
    followers = f"{r.alice.actor_id}/followers"
    sent = {
        "public": _reply(r, "Count me in for 5 kg", [PUBLIC], [r.coop]),
        "followers": _reply(r, "My home address is 12 Elm St", [followers], [r.coop]),
        "direct": _reply(r, "Private: my phone is 555-0100", [r.coop], []),
    }
    listed = wait_until(lambda: len(_listed(r)) == 3 and _listed(r), what="three replies")
    for note in sent.values():
        row = listed[note["id"]]
        assert row["state"] == "pending"
        assert _api(r.node, r.token, "POST", f"/api/v1/replies/{row['id']}/approve").is_success

    # Approved, yet only the public one is on the public page.
    page = _page(r)
    assert "Count me in for 5 kg" in page
    assert "12 Elm St" not in page
    assert "555-0100" not in page
    # The moderator sees who each was addressed to.
    listed = _listed(r)
    assert {v: listed[n["id"]].get("visibility") for v, n in sent.items()} == {
        "public": "public",
        "followers": "followers",
        "direct": "direct",
    }


def test_an_approved_reply_edited_by_its_author_goes_back_to_pending(replies: Replies) -> None:
    r = replies
    note = _reply(r, "Count me in for 5 kg", [PUBLIC], [r.coop])
    row = wait_until(lambda: _listed(r).get(note["id"]), what="the reply")
    assert _api(r.node, r.token, "POST", f"/api/v1/replies/{row['id']}/approve").is_success
    assert "Count me in for 5 kg" in _page(r)

    edited = note | {"content": '<p>Cheap pills at <a href="https://spam.example">here</a></p>'}
    _send(
        r,
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note['id']}#update-1",
            "type": "Update",
            "actor": r.alice.actor_id,
            "object": edited,
            "to": [PUBLIC],
        },
    )
    row = wait_until(
        lambda: (found := _listed(r)[note["id"]])["content"].startswith("<p>Cheap") and found,
        what="the edit",
    )
    assert row["state"] == "pending"
    page = _page(r)
    assert "Cheap pills" not in page and "spam.example" not in page


# --- registrations: an anonymous visitor's script --------------------------------------------


def _event(node: NodeProcess, token: str, capacity: int) -> dict[str, Any]:
    body = future(fixture("forum_series.json")) | {
        "recurrence": None,
        "joinMode": "free",
        "maximumAttendeeCapacity": capacity,
    }
    answer = _api(node, token, "POST", "/api/v1/events", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _form(client: httpx.Client, url: str) -> str:
    return str(Page(client.get(url).text).find("input", name="token")[0]["value"])


def test_a_script_cannot_fill_an_event_from_one_address(node_factory: NodeFactory) -> None:
    node = node_factory()  # the default limit: 5 registration posts an hour per address
    node.cli("org", "create", "coop", "--name", "Riverside Co-op")
    token = node.cli("token", "create", "coop").stdout.strip()
    node.start()
    event = _event(node, token, capacity=5)
    accepted = "SELECT COUNT(*) FROM participant WHERE state = 'accepted'"

    with httpx.Client(timeout=20) as script:
        # One page view, the same form token posted again and again: one registration.
        form = _form(script, event["url"])
        answers = [
            script.post(f"{event['url']}/register", data={"token": form, "name": f"Bot {n}"})
            for n in range(2)
        ]
        assert [a.status_code for a in answers] == [303, 409]
        assert _count(node, accepted) == 1

        # A fresh browser (no cookies: one registration per browser) and a fresh page for every
        # post: the address's limit (5 posts an hour) stops it.
        statuses = []
        for n in range(4):
            with httpx.Client(timeout=20) as fresh:
                form = _form(fresh, event["url"])
                answer = fresh.post(
                    f"{event['url']}/register", data={"token": form, "name": f"Bot {n + 2}"}
                )
            statuses.append(answer.status_code)
        assert statuses == [303, 303, 303, 429]
        assert int(answer.headers["retry-after"]) > 0
    assert _count(node, accepted) == 4
    assert "This event is full." not in httpx.get(event["url"], timeout=20).text


# --- API tokens: one that leaked ------------------------------------------------------------


def test_tokens_are_listed_revoked_and_expire(node_factory: NodeFactory) -> None:
    node = node_factory()
    node.cli("org", "create", "coop", "--name", "Riverside Co-op")
    leaked = node.cli("token", "create", "coop", "--label", "old laptop").stdout.strip()
    dated = node.cli("token", "create", "coop", "--expires-in", "30").stdout.strip()
    node.start()
    assert _api(node, leaked, "GET", "/api/v1/replies").status_code == 200
    assert _api(node, dated, "GET", "/api/v1/replies").status_code == 200

    listing = node.cli("token", "list", "coop").stdout
    line = next(row for row in listing.splitlines() if row.endswith("old laptop"))
    token_id, slug, status, _created, last_used = line.split("\t")[:5]
    assert (slug, status) == ("coop", "active")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", last_used), line  # its use was recorded
    assert leaked not in listing and dated not in listing

    node.cli("token", "revoke", token_id)
    refused = _api(node, leaked, "GET", "/api/v1/replies")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert "revoked" in node.cli("token", "list").stdout

    # Thirty days later (the clock moved by editing the row: the node reads it on every request)
    engine = db_engine(node.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE api_token SET expires_at = '2000-01-01 00:00:00'"))
    finally:
        engine.dispose()
    refused = _api(node, dated, "GET", "/api/v1/replies")
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]
    assert node.cli("token", "revoke", "999999", check=False).returncode != 0
