"""Replies from the fediverse under our items, rendered faithfully, on SQLite and PostgreSQL:
a content warning stays collapsed behind its summary, images are links with their alt text,
mentions, hashtags and custom emoji show as text and links, ``contentMap`` follows the
visitor's language, every shape of ``inReplyTo`` finds our item, and 500 replies page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.api.tokens import create_token
from node.db import session_scope
from node.features.publishing.notes import publish_note
from node.federation.actors.local import create_actor, ensure_instance_actor
from node.federation.context import NodeContext
from node.models import Interaction
from node.settings import Settings
from tests.db.inbox_support import PUBLIC, Sender, cache_actor, deliver, make_sender, process

MASTODON = "https://mastodon.example"


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    with session_scope(engine) as session:
        ensure_instance_actor(session, "Test node")
    ctx = NodeContext.build(replace(settings, auto_approve_replies=True), engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


@pytest.fixture
def note(node: NodeContext, engine: Engine) -> str:
    """The id (and page) of a note by Riverside Co-op."""
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Riverside Co-op")
        return publish_note(session, node, coop, "<p>Open day on Saturday.</p>").ap_id


@pytest.fixture
def ana(engine: Engine, settings: Settings) -> Sender:
    sender = make_sender(MASTODON, "ana", key="bob")
    cache_actor(engine, settings, sender.document)
    return sender


def create(sender: Sender, number: int, note: dict[str, Any]) -> dict[str, Any]:
    """A Mastodon ``Create`` of status ``number`` (the note's fields on top of a plain one)."""
    status = f"{sender.actor_id}/statuses/{number}"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{status}/activity",
        "type": "Create",
        "actor": sender.actor_id,
        "to": [PUBLIC],
        "object": {
            "id": status,
            "type": "Note",
            "attributedTo": sender.actor_id,
            "url": f"{MASTODON}/@ana/{number}",
            "to": [PUBLIC],
            "content": "<p>See you there!</p>",
            "sensitive": False,
            "summary": None,
        }
        | note,
    }


def page_of(client: TestClient, url: str, **headers: str) -> str:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def replies_of(html: str) -> list[str]:
    """The reply blocks of a page, in order."""
    return re.findall(r'<li class="reply">(.*?)</li>\s*(?=<li class="reply">|</ol>)', html, re.S)


async def test_a_sensitive_reply_is_shown_collapsed_behind_its_summary(
    node: NodeContext, engine: Engine, client: TestClient, note: str, ana: Sender
) -> None:
    # As Mastodon 4.3 sends a reply with a content warning, a mention, a hashtag, a custom
    # emoji (Pleroma writes it as an image in content) and a photo with its description.
    reply = create(
        ana,
        1,
        {
            "inReplyTo": note,
            "summary": "Food, allergies",
            "sensitive": True,
            "content": (
                '<p><span class="h-card"><a href="http://127.0.0.1:8000/@coop" '
                'class="u-url mention">@<span>coop</span></a></span> Peanuts in the '
                'lunch? <a href="https://mastodon.example/tags/allergies" '
                'class="mention hashtag" rel="tag">#<span>allergies</span></a> '
                '<img class="emoji" alt=":blobcat:" title=":blobcat:" '
                'src="https://mastodon.example/emoji/blobcat.png"></p>'
            ),
            "tag": [
                {"type": "Mention", "href": "http://127.0.0.1:8000/actors/coop", "name": "@coop"},
                {"type": "Hashtag", "href": f"{MASTODON}/tags/allergies", "name": "#allergies"},
                {
                    "type": "Emoji",
                    "name": ":blobcat:",
                    "icon": {"type": "Image", "url": f"{MASTODON}/emoji/blobcat.png"},
                },
            ],
            "attachment": [
                {
                    "type": "Document",
                    "mediaType": "image/jpeg",
                    "url": f"{MASTODON}/media/lunch.jpg",
                    "name": "A plate of peanut noodles",
                },
                {"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)"},
            ],
        },
    )
    assert (await deliver(node, reply, ana)).status == 202
    assert (await process(node))[reply["id"]] == "reply recorded"

    html = page_of(client, note)
    [block] = replies_of(html)
    # Collapsed: the warning is the <summary> of a closed <details>, the text inside it.
    warning = re.search(
        r"<details class=\"content-warning\"><summary>(.*?)</summary>(.*)</details>", block, re.S
    )
    assert warning is not None and warning.group(1) == "Food, allergies"
    inside = warning.group(2)
    assert "Peanuts in the lunch?" in inside and "Peanuts" not in block[: warning.start()]
    assert "<details open" not in html
    # The mention and the hashtag stay links; the emoji is its name, never a remote image.
    assert 'class="u-url mention"' in inside and ">@<span>coop</span></a>" in inside
    assert 'href="https://mastodon.example/tags/allergies"' in inside
    assert ":blobcat:" in inside and "<img" not in html.split('class="replies"')[1]
    # The photo is a link with its description (loaded only if the visitor chooses to).
    assert (
        '<a href="https://mastodon.example/media/lunch.jpg" rel="nofollow noopener noreferrer">'
        "Image: A plate of peanut noodles</a>"
    ) in inside
    assert "javascript:" not in html
    # The moderator sees the warning too.
    with session_scope(engine) as session:
        token = create_token(session, "coop")
    listed = client.get("/api/v1/replies", headers={"Authorization": f"Bearer {token}"}).json()
    [row] = listed["items"]
    assert (row["summary"], row["sensitive"]) == ("Food, allergies", True)


async def test_sensitive_without_a_summary_still_collapses(
    node: NodeContext, client: TestClient, note: str, ana: Sender
) -> None:
    reply = create(ana, 2, {"inReplyTo": note, "sensitive": True, "content": "<p>Spoiler</p>"})
    await deliver(node, reply, ana)
    await process(node)
    [block] = replies_of(page_of(client, note))
    assert "<summary>Sensitive content</summary>" in block
    spanish = page_of(client, note, **{"Accept-Language": "es"})
    assert "<summary>Contenido sensible</summary>" in spanish


async def test_every_shape_of_in_reply_to_finds_our_item(
    node: NodeContext, engine: Engine, client: TestClient, note: str, ana: Sender
) -> None:
    elsewhere = f"{MASTODON}/users/bo/statuses/9"
    shapes: list[Any] = [
        [elsewhere, note],  # a list: the first that is ours
        {"type": "Link", "href": note},  # a Link
        {"href": note},  # a Link without its type (seen from Misskey forks)
        {"type": "Note", "id": note, "content": "Open day"},  # the parent embedded
        {"type": "OrderedCollection", "id": note},  # an object of any type with our id
        [{"type": "Link", "href": elsewhere}, {"id": note}],
    ]
    for number, shape in enumerate(shapes, start=10):
        reply = create(ana, number, {"inReplyTo": shape, "content": f"<p>Reply {number}</p>"})
        assert (await deliver(node, reply, ana)).status == 202
    nobody = create(ana, 30, {"inReplyTo": [elsewhere, {"href": elsewhere}]})
    await deliver(node, nobody, ana)

    results = await process(node)

    assert results[nobody["id"]] == "stored: not addressed to our content"
    with Session(engine) as session:
        rows = session.exec(select(Interaction).order_by(col(Interaction.id))).all()
    assert [r.object_id for r in rows] == [note] * len(shapes)
    assert {r.document["inReplyTo"] for r in rows} == {note}
    html = page_of(client, note)
    assert [f"Reply {n}" in html for n in range(10, 10 + len(shapes))] == [True] * len(shapes)


async def test_content_map_follows_the_visitors_language(
    node: NodeContext, client: TestClient, note: str, ana: Sender
) -> None:
    reply = create(
        ana,
        40,
        {
            "inReplyTo": note,
            "content": "<p>See you there!</p>",
            "contentMap": {
                "en": "<p>See you there!</p>",
                "es": "<p>¡Nos vemos allí!<script>alert(1)</script></p>",
                "not a tag": "<p>ignored</p>",
            },
        },
    )
    await deliver(node, reply, ana)
    await process(node)
    spanish = page_of(client, note, **{"Accept-Language": "es-AR,es;q=0.9"})
    assert '<div class="reply-content" lang="es"><p>¡Nos vemos allí!</p></div>' in spanish
    assert "<script>alert" not in spanish
    french = page_of(client, note, **{"Accept-Language": "fr"})
    assert "See you there!" in french and "Nos vemos" not in french


async def test_an_edit_that_lifts_the_warning_waits_for_moderation_again(
    node: NodeContext, engine: Engine, client: TestClient, note: str, ana: Sender
) -> None:
    reply = create(ana, 50, {"inReplyTo": note, "summary": "Spoiler", "sensitive": True})
    await deliver(node, reply, ana)
    update = {
        **reply,
        "id": f"{reply['object']['id']}#updates/1",
        "type": "Update",
        "object": {**reply["object"], "summary": None, "sensitive": False},
    }
    await deliver(node, update, ana)
    results = await process(node)
    assert results[update["id"]] == "reply updated (approved)"  # auto-approve is on
    with Session(engine) as session:
        [row] = session.exec(select(Interaction)).all()
    assert "summary" not in row.document and row.document["sensitive"] is False
    assert "<details" not in page_of(client, note)


def add_replies(engine: Engine, note: str, count: int) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            session.add(
                Interaction(
                    activity_id=f"{MASTODON}/users/ana/statuses/{1000 + n}",
                    kind="reply",
                    actor=f"{MASTODON}/users/ana",
                    object_id=note,
                    content=f"<p>Reply number {n}.</p>",
                    # every seventh addressed to followers only: never shown, never counted
                    document={"visibility": "followers" if n % 7 == 6 else "public"},
                    state="approved",
                )
            )


def test_500_replies_page_fifty_at_a_time_both_ways(
    engine: Engine, client: TestClient, note: str
) -> None:
    add_replies(engine, note, 583)  # 500 public, 83 followers-only
    seen: list[int] = []
    url: str | None = note
    pages = 0
    while url is not None:
        html = page_of(client, url)
        assert "500 replies" in html
        seen += [int(n) for n in re.findall(r"Reply number (\d+)\.", html)]
        found = re.search(r'<a href="([^"]+)" rel="next">Later replies</a>', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    public = [n for n in range(583) if n % 7 != 6]
    assert pages == 10 and seen == public
    # ... and back from the last page to the first.
    back: list[int] = []
    previous: str | None = re.search(r'<a href="([^"]+)" rel="prev">', html).group(1)  # type: ignore[union-attr]
    while previous is not None:
        html = page_of(client, previous)
        back = [int(n) for n in re.findall(r"Reply number (\d+)\.", html)] + back
        found = re.search(r'<a href="([^"]+)" rel="prev">', html)
        previous = found.group(1) if found else None
    assert back == public[:450]
    assert 'rel="prev"' not in page_of(client, f"{note}?replies_after=bogus")
    far = "9" * 18  # a cursor past every id: an empty page, not an error
    assert "Reply number" not in page_of(client, f"{note}?replies_after={far}")
    assert "Reply number 582." in page_of(client, f"{note}?replies_before={far}")


def test_the_pages_of_replies_keep_the_visitors_language(
    engine: Engine, client: TestClient, note: str
) -> None:
    add_replies(engine, note, 60)
    html = page_of(client, f"{note}?lang=es")
    assert re.search(
        r'\?replies_after=\d+&amp;lang=es#replies-h" rel="next">Respuestas siguientes', html
    )
