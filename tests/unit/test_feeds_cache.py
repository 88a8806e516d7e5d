"""The calendar render cache: any change to what a calendar is written from is a new key, and the
cache stays within its byte bound, dropping the least recently used bodies first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from node.features.feeds.cache import RenderCache, calendar_key
from node.features.feeds.entries import FeedEntry

WHEN = datetime(2027, 3, 20, 22, 30, tzinfo=UTC)
ENTRY = FeedEntry(
    object_id="https://coop.example/items/1",
    document={"type": "Event", "name": "Assembly", "location": {"name": "Hall"}},
    kind="event",
    author_name="Coop",
    author_url="https://coop.example/@coop",
    published=WHEN,
    updated=WHEN,
    start=WHEN,
    end=None,
)


def key(*entries: FeedEntry, name: str = "Coop") -> bytes:
    return calendar_key(name, "https://node.example/@coop/calendar.ics", entries, ())


def test_every_input_of_a_calendar_is_in_its_key() -> None:
    base = key(ENTRY)
    assert key(ENTRY) == base
    changed = [
        key(ENTRY, name="Other"),
        key(replace(ENTRY, document=ENTRY.document | {"name": "Assembly (moved)"})),
        key(replace(ENTRY, document={**ENTRY.document, "location": {"name": "Park"}})),
        key(replace(ENTRY, sequence=1)),
        key(replace(ENTRY, author_name="Coop, renamed")),
        key(replace(ENTRY, series_uid="https://node.example/series/x", recurrence_id=WHEN)),
        key(ENTRY, replace(ENTRY, object_id="https://coop.example/items/2")),
        key(),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    # The order of a document's keys does not matter; a number too big for orjson still keys.
    reordered = {"location": {"name": "Hall"}, "name": "Assembly", "type": "Event"}
    assert key(replace(ENTRY, document=reordered)) == base
    assert key(replace(ENTRY, document={"n": 2**70})) != key(replace(ENTRY, document={"n": 1}))


def test_the_cache_renders_once_and_evicts_the_least_recently_used() -> None:
    cache = RenderCache(max_bytes=400)
    calls: list[bytes] = []

    def render(body: bytes) -> bytes:
        calls.append(body)
        return body

    assert cache.get_or_render(b"a", lambda: render(b"x" * 90)) == b"x" * 90
    assert cache.get_or_render(b"a", lambda: render(b"never")) == b"x" * 90
    cache.get_or_render(b"b", lambda: render(b"y" * 90))
    cache.get_or_render(b"a", lambda: render(b"never"))  # a is now the most recent
    cache.get_or_render(b"c", lambda: render(b"z" * 90))
    cache.get_or_render(b"d", lambda: render(b"w" * 90))
    cache.get_or_render(b"e", lambda: render(b"v" * 90))
    assert cache.size <= 400
    assert cache.get_or_render(b"a", lambda: render(b"again")) == b"x" * 90
    assert cache.get_or_render(b"b", lambda: render(b"again")) == b"again"  # b was dropped
    assert cache.size <= 400
    # A body over a quarter of the bound is served but not kept.
    assert cache.get_or_render(b"big", lambda: render(b"q" * 101)) == b"q" * 101
    assert cache.get_or_render(b"big", lambda: render(b"r")) == b"r"
    assert (cache.hits, cache.misses) == (3, 8)
