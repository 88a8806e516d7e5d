"""The typed views over remote ActivityStreams, on real payloads and on hostile shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.activitypub import vocab
from node.activitypub.vocab import Activity, Actor, Object, is_public, text

FIXTURES = Path(__file__).parent.parent / "fixtures"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# What Mastodon 4.x sends for an unlisted reply with a mention (its @context trimmed).
MASTODON_CREATE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/activitystreams"],
    "id": "https://mastodon.example/users/coopcafe/statuses/111/activity",
    "type": "Create",
    "actor": "https://mastodon.example/users/coopcafe",
    "published": "2026-11-20T10:00:00Z",
    "to": ["https://mastodon.example/users/coopcafe/followers"],
    "cc": [PUBLIC, "https://node.example/actors/riverside"],
    "object": {
        "id": "https://mastodon.example/users/coopcafe/statuses/111",
        "type": "Note",
        "summary": None,
        "inReplyTo": "https://node.example/items/abc",
        "published": "2026-11-20T10:00:00Z",
        "url": "https://mastodon.example/@coopcafe/111",
        "attributedTo": "https://mastodon.example/users/coopcafe",
        "to": ["https://mastodon.example/users/coopcafe/followers"],
        "cc": [PUBLIC, "https://node.example/actors/riverside"],
        "sensitive": False,
        "content": "\n<p>Bread on Friday</p> ",
        "tag": [{"type": "Mention", "href": "https://node.example/actors/riverside"}],
        "attachment": [],
    },
}

# Mobilizon's shape: the group first in attributedTo, a hybrid location, addressed via as:Public.
MOBILIZON_EVENT: dict[str, Any] = {
    "id": "https://mobilizon.example/events/7f1c",
    "type": "Event",
    "name": "  Repair café\x00  ",
    "attributedTo": [
        {"id": "https://mobilizon.example/@repair", "type": "Group"},
        "https://mobilizon.example/@alex",
    ],
    "actor": "https://mobilizon.example/@alex",
    "to": "as:Public",
    "cc": [],
    "startTime": "2026-12-12T14:00:00Z",
    "location": [
        {"type": "Place", "address": {"type": "PostalAddress", "addressLocality": "Lyon"}},
        {"type": "VirtualLocation", "url": "https://meet.example/r"},
    ],
    "audience": "https://mobilizon.example/@repair",
    "isOnline": False,
}


def fixture(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


def test_fedify_create_note() -> None:
    raw = fixture("fedify/create_note.json")
    create = Activity(raw)
    assert create.type == "Create" and create.types == ("Create",)
    assert create.actor == "http://127.0.0.1:36937/users/alice"
    assert create.cc == ("http://127.0.0.1:36937/users/alice/followers",)  # a bare string
    assert create.is_public
    note = create.object
    assert note is not None and note.type == "Note"
    assert create.object_ref == note.id == raw["object"]["id"]
    assert note.attributed_to == "http://127.0.0.1:36937/users/alice"
    assert note.is_public and note.in_reply_to is None
    assert create.raw is raw  # untouched, unknown fields (proof, signature) kept


def test_mastodon_unlisted_create_note_is_public() -> None:
    create = Activity(MASTODON_CREATE)
    assert create.is_public  # Public in cc: unlisted is still public
    assert create.to == ("https://mastodon.example/users/coopcafe/followers",)
    note = create.object
    assert note is not None and note.in_reply_to == "https://node.example/items/abc"
    assert note.text("content", 500) == "<p>Bread on Friday</p>"  # the ends stripped
    assert note.text("summary", 500) is None


def test_mobilizon_event() -> None:
    event = Object(MOBILIZON_EVENT)
    assert event.type == "Event" and event.has_type("Event", "Note")
    assert event.attributed_to == "https://mobilizon.example/@repair"  # embedded, by its id
    assert event.is_public  # the compact as:Public spelling
    assert event.audience == ("https://mobilizon.example/@repair",)
    assert event.addressees == ("as:Public", "https://mobilizon.example/@repair")
    assert event.text("name", 200) == "Repair café"  # NUL dropped, white space stripped
    assert event.text("name", 6) == "Repair"


def test_announce_by_id() -> None:
    announce = Activity(
        {
            "id": "https://net.example/a/1",
            "type": "Announce",
            "actor": "https://net.example/actors/net",
            "object": "https://mobilizon.example/events/7f1c",
            "to": ["https://net.example/actors/net/followers"],
            "cc": [PUBLIC],
        }
    )
    assert announce.object_ref == "https://mobilizon.example/events/7f1c"
    assert announce.object is None and announce.object_activity is None
    assert announce.is_public


def test_announce_of_a_create_reads_the_inner_activity() -> None:
    announce = Activity({"type": "Announce", "object": MASTODON_CREATE})
    inner = announce.object_activity
    assert inner is not None and inner.type == "Create"
    assert inner.object_ref == "https://mastodon.example/users/coopcafe/statuses/111"


def test_multi_valued_type_keeps_every_string_and_the_first_is_primary() -> None:
    doc = Object({"type": ["Note", 7, "schema:CreativeWork"], "id": "https://a.example/n"})
    assert doc.types == ("Note", "schema:CreativeWork")
    assert doc.type == "Note" and doc.has_type("schema:CreativeWork")


def test_mastodon_actor() -> None:
    actor = Actor(fixture("mastodon/actor.json"))
    assert actor.type == "Person" and actor.id == "https://mastodon.example/users/coopcafe"
    assert actor.inbox == "https://mastodon.example/users/coopcafe/inbox"
    assert actor.shared_inbox == "https://mastodon.example/inbox"
    assert actor.preferred_username == "coopcafe"
    assert actor.followers == "https://mastodon.example/users/coopcafe/followers"


def test_object_as_a_list_as_a_link_and_without_id() -> None:
    listed = Activity(
        {"type": "Add", "object": ["https://a.example/1", {"id": "https://a.example/2"}]}
    )
    assert listed.object_ref == "https://a.example/1"
    assert listed.object_refs == ("https://a.example/1", "https://a.example/2")
    assert listed.object is not None and listed.object.id == "https://a.example/2"

    link = Activity({"type": "Like", "object": {"type": "Link", "href": "https://a.example/3"}})
    assert link.object_ref == "https://a.example/3" and link.object is None

    transient = Activity({"type": "Create", "object": {"type": "Note", "content": "hi"}})
    assert transient.id is None and transient.object_ref is None
    assert transient.object is not None and transient.object.id is None


@pytest.mark.parametrize("spelling", [PUBLIC, "as:Public", "Public"])
@pytest.mark.parametrize("field", ["to", "cc", "audience"])
def test_the_three_spellings_of_public_in_every_address_field(spelling: str, field: str) -> None:
    assert is_public({field: spelling})
    assert is_public({field: ["https://a.example/x", {"id": spelling}]})


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"to": "https://a.example/followers"},
        {"to": {"Public": True}},
        {"bto": PUBLIC, "bcc": [PUBLIC]},  # blind copies are not addressing the public
        {"to": PUBLIC.upper()},
        "not a document",
        None,
    ],
)
def test_not_public(doc: Any) -> None:
    assert not is_public(doc)


def test_text_is_none_when_not_a_string() -> None:
    assert text(None, 10) is None and text(5, 10) is None and text(["a"], 10) is None
    assert text("  ", 10) == ""
    assert text(" a\x00b ", 10) == "ab"


HOSTILE = [
    {"id": 5, "type": None, "actor": [], "object": 3, "to": 1.5, "cc": {"x": 1}},
    {"type": {"a": 1}, "actor": {"id": {"nested": 1}}, "object": [[], None, True]},
    {"object": {"type": "Link"}, "attributedTo": [None, 7], "inReplyTo": ["", {"id": 3}]},
    {"endpoints": "https://a.example/inbox", "inbox": ["x", "y"], "preferredUsername": 9},
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_shapes_answer_none_or_empty(raw: dict[str, Any]) -> None:
    read(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from([PUBLIC]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
fields = st.sampled_from(
    ["id", "type", "actor", "object", "to", "cc", "audience", "href", "inReplyTo", "endpoints"]
)


@settings(max_examples=300, deadline=None)
@given(raw=st.dictionaries(fields, json_values, max_size=8))
def test_views_are_total(raw: dict[str, Any]) -> None:
    read(raw)


def read(raw: dict[str, Any]) -> None:
    """Every accessor of every view, checked for its type: none may raise."""
    activity, actor = Activity(raw), Actor(raw)
    for value in (activity.id, activity.type, activity.actor, activity.object_ref):
        assert value is None or isinstance(value, str)
    for value in (actor.inbox, actor.outbox, actor.shared_inbox, actor.preferred_username):
        assert value is None or isinstance(value, str)
    for values in (activity.types, activity.to, activity.cc, activity.audience):
        assert all(isinstance(v, str) for v in values)
    assert all(isinstance(v, str) for v in activity.object_refs)
    assert isinstance(activity.is_public, bool)
    inner = activity.object
    assert inner is None or isinstance(inner.raw, dict)
    assert activity.attributed_to is None or isinstance(activity.attributed_to, str)
    assert activity.in_reply_to is None or isinstance(activity.in_reply_to, str)
    assert Object.of(raw) is not None and Object.of([raw]) is None


def test_every_old_name_is_still_importable() -> None:
    for name in ("AS_CONTEXT", "PUBLIC", "PUBLIC_ALIASES", "ACTIVITY_JSON", "ACTOR_TERMS"):
        assert hasattr(vocab, name)
    for name in ("actor_context", "iso", "as_list", "id_of", "primary_types", "is_public"):
        assert callable(getattr(vocab, name))
