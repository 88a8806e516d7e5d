"""One rule for ActivityPub media types, asked for (Accept) or given (Content-Type)."""

from __future__ import annotations

import pytest

from node.activitypub.mediatypes import is_activitypub_media_type, wants_activity_json

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
