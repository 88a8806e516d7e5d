"""The unchanged calendar's fast path: a validator read before any event is loaded.

Database triggers (migration 0016) bump ``calendar_stamp.generation`` of an actor on every
insert, update and delete of its items, its series and (a network) what it aggregated, in the
same transaction as the change. A calendar's validator digests that generation (for the
node-wide calendars, the sum and count of every actor's), the day (a calendar lists what is
not over at the day's start), the calendar's name and URL and the code's version. While it is
the same, the calendar is the same: its answer (ETag, Last-Modified, the body's key in the
render cache) is remembered under it, and a poll is one primary-key read and a digest.

Not in the validator: a remote author's new display name (the credit line); it shows from the
next day, or with the next change to that calendar.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

import orjson
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from node import __version__
from node.models import LocalActor
from node.models.networks import CalendarStamp

MAX_ANSWERS = 4096


def validator(session: Session, actor: LocalActor | None, day: date, *parts: str) -> bytes:
    """What a calendar of ``actor`` (None: the whole node) depends on, digested."""
    if actor is None:
        total, rows = session.exec(
            select(func.coalesce(func.sum(CalendarStamp.generation), 0), func.count())
        ).one()
        generation = [int(total), int(rows)]
    else:
        stamp = session.get(CalendarStamp, actor.id)
        generation = [actor.id or 0, stamp.generation if stamp is not None else 0]
    fields = [__version__, day.isoformat(), generation, *parts]
    return hashlib.blake2b(orjson.dumps(fields), digest_size=20).digest()


@dataclass(frozen=True)
class Answer:
    """A calendar's answer as last written: its ETag and Last-Modified, its body's key."""

    etag: str
    last_modified: datetime | None
    body_key: bytes


class Answers:
    """The answers by validator (thread-safe, least recently used dropped past a bound)."""

    def __init__(self, limit: int = MAX_ANSWERS) -> None:
        self.limit = limit
        self._found: OrderedDict[bytes, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Answer | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: bytes, answer: Answer) -> None:
        with self._lock:
            self._found[key] = answer
            while len(self._found) > self.limit:
                self._found.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


class _ByEngine:
    """The answers of each database (generations restart with a new database: tests, a
    restore into a running process's place)."""

    def __init__(self) -> None:
        self._found: weakref.WeakKeyDictionary[Engine, Answers] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            for found in self._found.values():
                found.clear()

    def __call__(self, engine: Engine) -> Answers:
        with self._lock:
            found = self._found.get(engine)
            if found is None:
                found = self._found[engine] = Answers()
            return found


answers = _ByEngine()
