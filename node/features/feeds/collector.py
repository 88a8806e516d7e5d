"""The cyclic garbage collector held off while a calendar is written.

A written 5,000-event calendar holds ~30,000 containers (decoded documents and their lists, the
entries) for a few hundred milliseconds: long enough for CPython to promote them to the oldest
generation and start a full collection, over the whole heap, in the middle of the write (about
a third of the write's CPU time in bench/bench_feeds.py, docs/benchmarks.md). None of them is
cyclic garbage: reference counting frees them when the write returns. So the collector waits
while any calendar is being written, and resumes once the last one is done and its objects are
gone; the next collection then finds little that is young.

Process-wide (the collector is), so it is counted: the first writer pauses it, the last resumes
it, and a collector someone else disabled stays disabled. Writes that keep overlapping (a flood
of differently filtered calendars) cannot hold it off for long: a writer arriving when the pause
is older than :data:`MAX_PAUSE` resumes it, and it stays on until every write is done.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
MAX_PAUSE = 2.0  # seconds: a written 5,000-event calendar takes ~0.3 s of CPU


class _Pause:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._writers = 0
        self._paused = False
        self._since = 0.0

    def run(self, work: Callable[[], T]) -> T:
        """``work()`` with the collector paused; its locals are freed before it resumes."""
        with self._lock:
            if self._writers == 0 and gc.isenabled():
                gc.disable()
                self._paused, self._since = True, self._clock()
            elif self._paused and self._clock() - self._since > MAX_PAUSE:
                self._paused = False
                gc.enable()
            self._writers += 1
        try:
            return work()
        finally:
            with self._lock:
                self._writers -= 1
                if self._writers == 0 and self._paused:
                    self._paused = False
                    gc.enable()

    @property
    def writers(self) -> int:
        """How many writes are running (for tests)."""
        return self._writers


paused = _Pause()
