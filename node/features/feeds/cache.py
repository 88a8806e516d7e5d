"""Rendered calendars kept in memory, keyed by everything they are written from.

Writing iCalendar is the expensive part of a calendar request (``icalendar`` folds every line
character by character: about 1 ms an event, see docs/benchmarks.md), while calendar apps poll
the same URLs all day and most polls find nothing changed. The key is a digest of the calendar's
name and source and of every entry (id, times, SEQUENCE, series fields, author and the whole
document), so a change to any of them is a new key: a cached body is never stale, only unused,
and the least recently used bodies go first past :data:`MAX_BYTES`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import orjson

from node.byte_lru import ByteLRU, json_bytes
from node.features.feeds.entries import FeedEntry
from node.features.feeds.series import SeriesMaster

MAX_BYTES = 32 * 2**20


class RenderCache(ByteLRU[bytes]):
    """A byte-bounded LRU of rendered bodies (node/byte_lru.py); one body at most a quarter of
    the bound."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(max_bytes, len, largest_share=4)

    def get_or_render(self, key: bytes, render: Callable[[], bytes]) -> bytes:
        found = self.lookup(key)
        return found if found is not None else self.keep(key, render())


def _dump(value: object) -> bytes:
    """``value`` as JSON, keys sorted; datetimes as RFC 3339 (orjson writes them natively)."""
    return json_bytes(value, sort_keys=True)


def _entry_fields(entry: FeedEntry) -> list[object]:
    return [
        entry.object_id,
        entry.kind,
        entry.author_name,
        entry.author_url,
        entry.published,
        entry.updated,
        entry.start,
        entry.end,
        entry.sequence,
        entry.series_uid,
        entry.recurrence_id,
    ]


def calendar_key(
    name: str, source_url: str, entries: Iterable[FeedEntry], series: Iterable[SeriesMaster]
) -> bytes:
    """The digest of everything :func:`node.features.feeds.ical.calendar` writes from (one
    serialization an entry: its fields and its document)."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(orjson.dumps([name, source_url]))
    for entry in entries:
        digest.update(_dump([_entry_fields(entry), entry.document]))
    for master in series:
        fields = [
            master.uid,
            master.start,
            master.end,
            master.zone,
            master.rrule,
            master.status,
            list(master.exdates),
            master.sequence,
        ]
        digest.update(b"series")
        digest.update(_dump([fields, _entry_fields(master.template), master.template.document]))
    return digest.digest()


calendars = RenderCache()
# RSS, Atom and JSON Feed bodies, by the validator they were written under (feeds/routes.py)
feeds = RenderCache(8 * 2**20)
