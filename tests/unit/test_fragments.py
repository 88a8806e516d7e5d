"""Per-entry fragments (node/web/fragments.py, node/features/networks/cards.py): the key of an
entry's fragment changes with anything its card is drawn from, and the cache stays within its
size, the least recently used first out. The pages' stories, on both databases, are in
tests/db/test_network_page_fragments.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from markupsafe import Markup

from node.features.networks import cards
from node.features.networks.profiles import Credit
from node.features.networks.queries import Entry
from node.web.fragments import FragmentCache, digest


def test_a_fragment_is_kept_under_a_new_key_for_any_change() -> None:
    """The key covers what a card is drawn from; the cache drops the oldest past its size."""
    base = Entry(
        object_id="https://coop.example/items/1",
        document={"id": "https://coop.example/items/1", "type": "Event", "name": "A"},
        kind="event",
        author=Credit("https://coop.example/a", "A", "@a@coop.example", "https://coop.example/a"),
        start=datetime(2099, 5, 1, tzinfo=UTC),
        end=None,
        region="",
        country="",
        tags=(),
        category="",
        online=False,
        source="member",
        received=datetime(2099, 1, 1, tzinfo=UTC),
        clean_rules=1,
    )
    keys = {
        cards.entry_key(base, "en", "h2"),
        cards.entry_key(base, "es", "h2"),
        cards.entry_key(base, "en", "h3"),
        cards.entry_key(replace(base, document={**base.document, "name": "B"}), "en", "h2"),
        cards.entry_key(replace(base, clean_rules=0), "en", "h2"),
        cards.entry_key(replace(base, author=Credit("x", "B", "", "")), "en", "h2"),
        cards.entry_key(replace(base, online=True), "en", "h2"),
        cards.entry_key(replace(base, tags=("coops",)), "en", "h2"),
        cards.entry_key(replace(base, source="followed"), "en", "h2"),
        cards.entry_key(replace(base, start=datetime(2099, 5, 2, tzinfo=UTC)), "en", "h2"),
    }
    assert len(keys) == 10
    small = FragmentCache(max_bytes=16 * 1024)
    for n in range(200):
        small.get_or_render(str(n).encode(), lambda: Markup("<li>" + "x" * 500 + "</li>"))
    assert small.size <= 16 * 1024 and 0 < len(small) < 200
    assert small.get_or_render(b"199", lambda: None) is not None  # the newest stay
    assert small.get_or_render(b"0", lambda: None) is None  # the oldest went first


def test_a_number_too_big_for_orjson_still_makes_a_key() -> None:
    assert digest({"n": 2**70}) != digest({"n": 2**70 + 1})
