"""Bounds on incoming JSON (node/activitypub/bounds.py): each limit refuses with its reason,
real activities pass, and the walk survives depths that would crash a recursive one."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from node.activitypub import bounds
from node.activitypub.bounds import DEFAULT_BOUNDS, Bounds, check

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def mastodon_create() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {"ostatus": "http://ostatus.org#", "sensitive": "as:sensitive", "toot": "x:"},
        ],
        "id": "https://mastodon.example/users/ana/statuses/1/activity",
        "type": "Create",
        "actor": "https://mastodon.example/users/ana",
        "to": [PUBLIC],
        "cc": ["https://mastodon.example/users/ana/followers"],
        "object": {
            "id": "https://mastodon.example/users/ana/statuses/1",
            "type": "Note",
            "attributedTo": "https://mastodon.example/users/ana",
            "content": "<p>Count us in!</p>",
            "contentMap": {"en": "<p>Count us in!</p>"},
            "to": [PUBLIC],
            "cc": ["https://mastodon.example/users/ana/followers"],
            "tag": [
                {"type": "Hashtag", "name": "#coop", "href": "https://mastodon.example/t/coop"}
            ],
        },
    }


@pytest.mark.parametrize(
    "name", ["create_note.json", "create_note_unicode.json", "alice_actor.json"]
)
def test_real_fedify_documents_pass(name: str) -> None:
    assert check(json.loads((FIXTURES / "fedify" / name).read_text())) is None


def test_real_mastodon_documents_pass() -> None:
    assert check(mastodon_create()) is None
    assert check(json.loads((FIXTURES / "mastodon" / "actor.json").read_text())) is None


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_depth_32_passes_and_33_is_too_deep() -> None:
    assert check({"object": nested(31)}) is None  # the document itself is level 1
    violation = check({"object": nested(32)})
    assert violation is not None and violation.reason == "too_deep"
    assert "32" in violation.message


def test_a_hundred_thousand_levels_do_not_crash_the_walk() -> None:
    # orjson itself refuses deeper than 1024; the walk must not recurse on what it accepts.
    deep = orjson.loads(b"[" * 1000 + b"]" * 1000)
    violation = check({"object": deep})
    assert violation is not None and violation.reason == "too_deep"


@pytest.mark.parametrize(
    ("mutate", "reason", "field"),
    [
        (lambda a: a["object"].update(content="x" * 100_001), "content_too_long", "`content`"),
        (lambda a: a["object"].update(summary="x" * 100_001), "content_too_long", "`summary`"),
        (
            lambda a: a["object"]["contentMap"].update(de="x" * 100_001),
            "content_too_long",
            "`contentMap`",
        ),
        (lambda a: a["object"].update(source="x" * 200_001), "string_too_long", "`source`"),
        (lambda a: a["object"].update(tag=[{}] * 1_001), "list_too_long", "`tag`"),
        (
            lambda a: a["object"].update(attachment=[{"type": "Image"}] * 1_001),
            "list_too_long",
            "`attachment`",
        ),
        (
            lambda a: a.update(
                to=[f"https://x.example/t{i}" for i in range(600)],
                cc=[f"https://x.example/c{i}" for i in range(401)],
            ),
            "too_many_recipients",
            "to/cc",
        ),
        (lambda a: a.update({"k" * 200_001: 1}), "string_too_long", "key"),
        (lambda a: a.update(actor="javascript:alert(1)"), "bad_url_scheme", "`actor`"),
        (lambda a: a["object"].update(id="file:///etc/passwd"), "bad_url_scheme", "`id`"),
        (
            lambda a: a["object"].update(attributedTo="gopher://old.example/"),
            "bad_url_scheme",
            "`attributedTo`",
        ),
        (
            lambda a: a.update(endpoints={"sharedInbox": "ftp://x.example/inbox"}),
            "bad_url_scheme",
            "`sharedInbox`",
        ),
    ],
)
def test_each_bound_refuses_with_its_reason(mutate: Any, reason: str, field: str) -> None:
    activity = mastodon_create()
    mutate(activity)
    violation = check(activity)
    assert violation is not None, reason
    assert violation.reason == reason
    assert field in violation.message
    # The inbox passes the body's length so the walk can skip impossible checks: same verdict.
    assert check(activity, size=len(orjson.dumps(activity))) == violation


def test_limits_are_inclusive() -> None:
    activity = mastodon_create()
    activity["object"]["content"] = "x" * 100_000
    activity["object"]["tag"] = [{"type": "Hashtag"}] * 1_000
    activity["to"] = [f"https://x.example/t{i}" for i in range(999)] + [PUBLIC]
    activity["cc"] = []
    assert check(activity) is None


def test_recipients_are_counted_per_object_not_per_document() -> None:
    # A Create copies its object's addressing: 600 + 600 in two objects is fine.
    activity = mastodon_create()
    many = [f"https://x.example/u{i}" for i in range(600)]
    activity["to"] = activity["object"]["to"] = many
    assert check(activity) is None


def test_context_signature_and_proof_keep_their_own_ids() -> None:
    activity = mastodon_create()
    activity["@context"].append({"inbox": "ldp:inbox", "id": "@id"})
    activity["proof"] = {"id": "urn:uuid:7d6a", "type": "DataIntegrityProof"}
    activity["signature"] = {"type": "RsaSignature2017", "id": "_:b0"}
    assert check(activity) is None


def test_too_many_values() -> None:
    small = Bounds(max_values=100)
    activity = mastodon_create()
    assert check(activity, small) is None
    activity["object"]["tag"] = [{"type": "Hashtag", "name": f"#{i}"} for i in range(50)]
    violation = check(activity, small)
    assert violation is not None and violation.reason == "too_many_values"


def test_the_walk_is_cheap_on_a_real_activity() -> None:
    doc = json.loads((FIXTURES / "fedify" / "create_note.json").read_text())
    started = time.perf_counter()
    for _ in range(1_000):
        check(doc)
    per_call = (time.perf_counter() - started) / 1_000
    assert per_call < 0.001, f"{per_call * 1e6:.0f} µs per activity"


def test_defaults_are_documented_values() -> None:
    assert (
        Bounds(
            max_depth=32,
            max_values=20_000,
            max_list=1_000,
            max_string=200_000,
            max_content=100_000,
            max_recipients=1_000,
        )
        == DEFAULT_BOUNDS
    )
    assert {"id", "actor", "inbox"} <= bounds.URL_KEYS
