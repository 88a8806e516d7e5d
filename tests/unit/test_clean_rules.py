"""The cleaning rules' version (clean.RULES) moves with what the rules keep.

Rows filed under the current version are shown as stored, without cleaning them again
(node/features/networks/clean.py). If the rules, the HTML allow-list or nh3's output change
while RULES stays, rows cleaned by the old rules would be trusted as if cleaned by the new ones.
So the output of the rules on hostile documents is pinned here to the version: a change to it
fails this test until RULES is bumped (and this digest recorded for the new version).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from node.activitypub.addressing import is_http_url
from node.features.networks import clean

# RULES -> blake2b of what normalised() keeps of HOSTILE, in order
PINNED = {1: "2982f9307e8d430adbddbd70849766ec"}

HOSTILE: list[dict[str, Any]] = [
    {
        "url": {"type": "Link", "href": "javascript:alert(document.domain)"},
        "content": '<p>Hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        "summary": '<a href="javascript:alert(3)">more</a>',
    },
    {
        "timezone": "Europe",
        "startTime": "0001-01-01T00:00:00+01:00",
        "updated": "not a time",
        "url": "https://evil.example/a\r\nX-Injected: 1",
    },
    {
        "url": ["data:text/html,x", {"href": "https://ok.example/e"}],
        "timezone": "America/New_York",
        "published": "2026-05-01T18:00:00-04:00",
        "contentMap": {"en" * 40: '<p style="x" onclick="y">Hola <b>mundo</p><iframe src=x>'},
        "summaryMap": {"es": "<svg onload=alert(1)><a href=https://ok.example>ok</a>"},
    },
    {
        "timezone": "../../etc/passwd",
        "endTime": "9999-12-31T23:59:59-14:00",
        "content": '<a href="https://ok.example" target="_blank" rel="opener">x</a><style>*{}</style>',
    },
]


def _digest() -> str:
    kept = [clean.normalised(doc) for doc in HOSTILE]
    return hashlib.blake2b(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def test_the_rules_output_is_pinned_to_their_version() -> None:
    assert PINNED.get(clean.RULES) == _digest(), (
        "what the cleaning rules keep changed: bump clean.RULES (rows filed under the old rules"
        " are then cleaned again when shown) and pin the new digest here"
    )


def test_a_document_of_the_current_rules_is_shown_as_stored_any_other_cleaned() -> None:
    stored = clean.normalised(HOSTILE[0])
    assert clean.shown(stored, clean.RULES) is stored
    for older in (0, clean.RULES - 1, clean.RULES + 1):
        assert clean.shown(HOSTILE[0], older) == stored
        assert "javascript:" not in str(clean.shown(HOSTILE[0], older))


def test_cleaning_a_cleaned_document_changes_nothing() -> None:
    """What makes trusting a filed document sound: filing stored what cleaning keeps."""
    for doc in HOSTILE:
        once = clean.normalised(doc)
        assert clean.normalised(once) == once


_URLISH = st.text(
    alphabet=st.sampled_from("htps:/[]@\\?#.-_:%0123456789abcXYZ é\t"), max_size=40
).map(lambda tail: "http" + tail)


@given(_URLISH)
@example("http://a.example:99999/x?y#z")
@example("https://./")
@example("http://a.example:80@evil.example/")
@example("http://a.example\\@evil.example/")
def test_the_fast_link_check_accepts_only_what_the_full_check_accepts(value: str) -> None:
    if clean._PLAIN_HTTP.fullmatch(value):
        assert is_http_url(value), value
    assert (clean.http_url(value) is not None) == (
        is_http_url(value) and not clean._CONTROL.search(value)
    )
