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
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

import orjson

from node.features.feeds.entries import FeedEntry
from node.features.feeds.series import SeriesMaster

MAX_BYTES = 32 * 2**20


class RenderCache:
    """A byte-bounded LRU of rendered bodies (thread-safe: routes run in a thread pool)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._bodies: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._bodies.clear()
            self.size = 0

    def get(self, key: bytes) -> bytes | None:
        """The body kept under ``key``, if it still is."""
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                self.hits += 1
            return body

    def get_or_render(self, key: bytes, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                self.hits += 1
                return body
            self.misses += 1
        body = render()
        if len(body) > self.max_bytes // 4:
            return body  # one huge calendar must not push out everything else
        with self._lock:
            if key not in self._bodies:
                self._bodies[key] = body
                self.size += len(body)
            while self.size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self.size -= len(dropped)
        return body


def _dump(value: object) -> bytes:
    """``value`` as JSON, keys sorted; datetimes as RFC 3339 (orjson writes them natively)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a remote number orjson cannot hold (over 64 bits)
        return json.dumps(value, sort_keys=True, default=str).encode()


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
