"""A hostile member server (a real HTTP server on a loopback port) against a network: what the
network files from its outbox, and what it republishes of it (issue 15, items 4, 6, 16, 17)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.app import create_app
from node.db import session_scope
from node.features.networks import clean
from node.features.networks.backfill import backfill
from node.federation.actors.local import ensure_instance_actor
from node.federation.context import NodeContext
from node.models import LocalActor, NetworkItem
from node.settings import Settings
from tests.db.network_support import BASE, PUBLIC, activity, admitted, deliver, event, items, local
from tests.integration.loopback_support import RemoteOrigin


@pytest.fixture
async def hostile() -> AsyncIterator[RemoteOrigin]:
    server = RemoteOrigin()
    await server.start()
    yield server
    await server.stop()


def _note(author: str, **fields: Any) -> dict[str, Any]:
    host = "/".join(author.split("/")[:3])
    return {
        "id": f"{host}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": author,
        "content": "<p>Seed swap</p>",
        "to": [PUBLIC],
        **fields,
    }


def _serve_outbox(server: RemoteOrigin, member: str, objects: list[dict[str, Any]]) -> None:
    creates = [activity("Create", member, obj, to=[PUBLIC]) for obj in objects]
    path = "/users/evil/outbox"
    server.documents[path] = {
        "id": f"{server.origin}{path}",
        "type": "OrderedCollection",
        "orderedItems": creates,
    }


# Node contexts a test opened; closed after it (their HTTP clients hold sockets).
_OPENED: list[NodeContext] = []


@pytest.fixture(autouse=True)
async def _close_opened_nodes() -> AsyncIterator[None]:
    yield
    while _OPENED:
        await _OPENED.pop().close_http()


async def _network_with_member(
    settings: Settings, engine: Engine, server: RemoteOrigin, **actor: Any
) -> tuple[NodeContext, LocalActor, str]:
    node = NodeContext.build(settings, engine)
    _OPENED.append(node)
    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)
    network = local(engine, "ussen", "network", auto_admit=True)
    member = server.add_actor("evil", type="Organization", **actor).actor_id
    admitted(engine, network, member)
    return node, network, member


async def test_backfill_files_only_the_members_own_bounded_content(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    good = _note(member)
    _serve_outbox(
        hostile,
        member,
        [
            good,
            _note(member) | {"id": "https://mastodon.example/users/ana/statuses/1"},
            _note(member) | {"id": "javascript:alert(1)//"},
            _note(member) | {"id": f"{BASE}/items/squatted"},
            _note(member) | {"content": "x" * 300_000},
            _note(member) | {"type": "Follow"},
            _note(member) | {"type": "Person"},
        ],
    )

    assert await backfill(node, network, member) == 1
    assert [row.object_id for row in items(engine, network)] == [good["id"]]


async def test_backfill_ignores_an_outbox_on_another_server(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    elsewhere = RemoteOrigin()
    await elsewhere.start()
    try:
        outbox = f"{elsewhere.origin}/users/evil/outbox"
        node, network, member = await _network_with_member(settings, engine, hostile, outbox=outbox)
        _serve_outbox(elsewhere, member, [_note(member)])
        assert await backfill(node, network, member) == 0
        assert items(engine, network) == []
    finally:
        await elsewhere.stop()


BROKEN = {
    "timezone": "Europe",
    "published": "0001-01-01T00:00:00+01:00",
    "updated": "0001-01-01T00:00:00+01:00",
    "url": "https://evil.example/a\r\nX-Injected: 1",
}
NASTY = {
    "url": {"type": "Link", "href": "javascript:alert(document.domain)"},
    "content": '<p>Hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
    "summary": '<a href="javascript:alert(3)">more</a>',
}
PAGES = [
    "/@ussen/calendar.ics",
    "/regions/Massachusetts/calendar.ics",
    "/categories/MEETING/calendar.ics",
    "/@ussen/feed.rss",
    "/@ussen/feed.atom",
    "/@ussen/feed.json",
    "/networks/ussen",
    "/networks/ussen/calendar",
    "/@ussen/widget",
]


@pytest.mark.parametrize(
    "fields",
    [BROKEN, {"timezone": "Europe/" + "x" * 300}, {"startTime": "0001-01-01T00:00:00+01:00"}],
    ids=["directory-zone-year-1-newline-url", "long-zone", "year-1-start"],
)
async def test_a_members_broken_event_is_filed_normalised_and_every_page_still_answers(
    settings: Settings, engine: Engine, hostile: RemoteOrigin, fields: dict[str, Any]
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    _serve_outbox(hostile, member, [event(member, 1, **fields), event(member, 2)])
    assert await backfill(node, network, member) == 2
    await hostile.stop()

    with TestClient(_app(settings, engine), base_url=settings.base_url) as client:
        for page in PAGES:
            answer = client.get(page)
            assert answer.status_code == 200, (page, answer.text[:300])
            assert "X-Injected" not in answer.text
    # the inbox files the same event without an error (no endless retries)
    ev = event(member, 3, **fields)
    result = await deliver(node, activity("Create", member, ev, to=[PUBLIC]))
    assert "network" in result


async def test_republished_remote_content_has_only_http_links_and_clean_html(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    _serve_outbox(hostile, member, [event(member, 1, **NASTY)])
    assert await backfill(node, network, member) == 1
    await hostile.stop()

    with TestClient(_app(settings, engine), base_url=settings.base_url) as client:
        pages = [*PAGES, "/actors/ussen/events"]
        for page in pages:
            headers = {"accept": "application/activity+json"}
            answer = client.get(page, headers=headers if page.startswith("/actors") else {})
            assert answer.status_code == 200, page
            body = answer.text.lower()
            assert "javascript:" not in body, page
            assert "<script" not in body and "&lt;script" not in body, page
            assert "onerror" not in body, page


async def test_only_the_recorded_author_updates_or_deletes_a_filed_item(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    ev = event(member, 1)
    _serve_outbox(hostile, member, [ev])
    assert await backfill(node, network, member) == 1
    neighbour = f"{hostile.origin}/users/neighbour"
    hostile.add_actor("neighbour")

    changed = ev | {"name": "Cancelled, go home"}
    assert "network" not in (
        await deliver(node, activity("Update", neighbour, changed, to=[PUBLIC])) or ""
    )
    assert "network" not in (
        await deliver(node, activity("Delete", neighbour, ev["id"], to=[PUBLIC])) or ""
    )
    [row] = items(engine, network)
    assert row.document["name"] == "Event 1"


def _app(settings: Settings, engine: Engine) -> Any:
    return create_app(settings, engine=engine)


async def test_an_announce_cannot_attribute_an_object_to_another_user_of_its_server(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, _member = await _network_with_member(settings, engine, hostile)
    announcer = hostile.add_actor("evilnet", type="Group").actor_id
    admitted(engine, network, announcer, kind="network")
    victim = hostile.add_actor("victim").actor_id
    forged = _note(victim, content="<p>I resign</p>")
    wrapped = activity("Create", victim, _note(victim, content="<p>I quit</p>"), to=[PUBLIC])

    # the origin serves neither: the victim wrote none of them
    for ref in (forged, wrapped):
        result = await deliver(node, activity("Announce", announcer, ref, to=[PUBLIC]))
        assert "not available" in result
    assert items(engine, network) == []


async def test_an_attributed_to_list_is_checked_entry_by_entry(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    victim = hostile.add_actor("victim").actor_id
    for names in ([victim, member], [member, "https://mastodon.example/users/ana"]):
        obj = _note(member, attributedTo=names)
        result = await deliver(node, activity("Create", member, obj, to=[PUBLIC]))
        assert "not filed" in result
    # Mobilizon's form, the group then the person on its server, still files
    group_and_person = _note(member, attributedTo=[member, victim])
    assert "relayed" in await deliver(
        node, activity("Create", member, group_and_person, to=[PUBLIC])
    )
    assert [row.author for row in items(engine, network)] == [member]


async def test_a_broken_row_filed_before_these_rules_is_skipped_or_shown_safely(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    node, network, member = await _network_with_member(settings, engine, hostile)
    _serve_outbox(hostile, member, [event(member, 1), event(member, 2)])
    assert await backfill(node, network, member) == 2
    await hostile.stop()
    # as an older version filed it: the hostile values straight in the row
    first = items(engine, network)[0]
    with session_scope(engine) as session:
        row = session.get(NetworkItem, first.id)
        assert row is not None
        row.document = {**row.document, **BROKEN, **NASTY, "timezone": "Europe"}
        row.clean_rules = 0  # the default of rows filed before the rules were versioned
        session.add(row)

    with TestClient(_app(settings, engine), base_url=settings.base_url) as client:
        for page in PAGES:
            answer = client.get(page)
            assert answer.status_code == 200, (page, answer.text[:300])
            assert "javascript:" not in answer.text.lower()
            assert "Event 2" in answer.text, page


async def test_a_row_of_the_current_rules_is_shown_as_stored_an_older_one_is_cleaned_again(
    settings: Settings, engine: Engine, hostile: RemoteOrigin
) -> None:
    """Filing cleans and records the rules (clean.RULES); feeds and calendars then trust the
    stored document. A row of any other rules version (0: filed before versions) is cleaned
    again when shown, so a hostile value an older version kept never reaches a page."""
    node, network, member = await _network_with_member(settings, engine, hostile)
    _serve_outbox(hostile, member, [event(member, 1, **NASTY), event(member, 2, **NASTY)])
    assert await backfill(node, network, member) == 2
    await hostile.stop()
    current, older = items(engine, network)
    for filed in (current, older):
        assert filed.clean_rules == clean.RULES
        # trusting is sound: cleaning a filed document again changes nothing
        assert clean.normalised(filed.document) == filed.document
        assert "javascript:" not in str(filed.document) and "<script" not in str(filed.document)
    # What filing stored is shown as it is: a harmless unclosed <em> (cleaning would close it)
    # proves the current row is not cleaned again. The older row holds what an old version kept.
    unclosed = "<p>Seed <em>swap</p>"
    with session_scope(engine) as session:
        row = session.get(NetworkItem, current.id)
        assert row is not None
        row.document = {**row.document, "content": unclosed}
        old = session.get(NetworkItem, older.id)
        assert old is not None
        old.document = {**old.document, **NASTY, "content": unclosed + str(NASTY["content"])}
        old.clean_rules = 0
        session.add_all([row, old])

    with TestClient(_app(settings, engine), base_url=settings.base_url) as client:
        shown = {i["id"]: i for i in client.get("/@ussen/feed.json").json()["items"]}
        assert shown[current.object_id]["content_html"] == unclosed
        cleaned = shown[older.object_id]["content_html"]
        assert cleaned == clean.html(unclosed + str(NASTY["content"])) and "</em>" in cleaned
        assert shown[older.object_id]["url"] == older.object_id  # its javascript: url dropped
        # upcomingEvents (ActivityStreams) embeds the documents: the same trust, the same cleaning
        events = client.get(
            "/actors/ussen/events?page=true", headers={"accept": "application/activity+json"}
        ).json()["orderedItems"]
        embedded = {e["id"]: e for e in events}
        assert embedded[current.object_id]["content"] == unclosed
        assert embedded[older.object_id]["content"] == cleaned
        assert "javascript:" not in str(events).lower() and "onerror" not in str(events)
        for page in PAGES:
            body = client.get(page).text.lower()
            assert "javascript:" not in body and "onerror" not in body, page
            assert "<script" not in body and "&lt;script" not in body, page
