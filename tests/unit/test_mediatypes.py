"""One rule for ActivityPub media types, asked for (Accept) or given (Content-Type)."""

from __future__ import annotations

from typing import Any

import pytest

from node.activitypub import webfinger
from node.activitypub.mediatypes import (
    AP_BODY_TYPES,
    is_activitypub_media_type,
    is_ap_content_type,
    wants_activity_json,
)

AS = "https://www.w3.org/ns/activitystreams"


@pytest.mark.parametrize(
    ("media", "activitypub"),
    [
        ("application/activity+json", True),
        ("Application/Activity+JSON; charset=utf-8", True),
        (f'application/ld+json; profile="{AS}"', True),
        (f"application/ld+json;profile={AS}", True),
        (f'application/ld+json; profile="https://example.org/p {AS}"', True),
        ("application/ld+json", False),  # any JSON-LD: schema.org, ESSGLOBAL...
        ('application/ld+json; profile="https://evil.example/activitystreams"', False),
        ("application/json", False),
        ("text/html", False),
        ("", False),
    ],
)
def test_the_same_rule_both_ways(media: str, activitypub: bool) -> None:
    assert is_activitypub_media_type(media) is activitypub
    assert wants_activity_json(media) is activitypub


def test_mastodon_accept_still_gets_json() -> None:
    assert wants_activity_json("application/activity+json, application/ld+json")
    assert not wants_activity_json(f'text/html, application/ld+json; profile="{AS}"; q=0.5')


@pytest.mark.parametrize(
    ("media", "found"),
    [
        ("application/activity+json", True),
        (f'application/ld+json; profile="{AS}"', True),
        ("application/ld+json", False),
        ("application/activity+jsonx", False),  # a prefix is not the type
        (None, False),
    ],
)
def test_the_webfinger_self_link_follows_the_same_rule(media: str | None, found: bool) -> None:
    link: dict[str, Any] = {"rel": "self", "href": "https://a.example/u/x"}
    if media is not None:
        link["type"] = media
    assert (webfinger.self_link({"links": [link]}) is not None) is found


def test_bodies_we_are_sent_may_be_labelled_plain_json() -> None:
    assert all(is_ap_content_type(media) for media in AP_BODY_TYPES)
    assert is_ap_content_type("application/json; charset=utf-8")
    assert not is_ap_content_type("text/plain")
