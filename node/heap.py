"""The C heap: fewer malloc arenas, and free pages given back to the system once quiet.

glibc's malloc keeps what Python and the C libraries free inside its arenas (one per thread
that allocated, up to eight per core) and on its own returns only the top of a heap to the
system. After one-off work (start-up: imports, templates, the schema check; a burst of
deliveries with their signing threads; a busy minute of requests) megabytes of freed pages stay
resident for nothing. ``malloc_trim(0)`` hands back every whole free page of every arena
(inside the heaps, not only at their top, since glibc 2.8). With the demo loaded, `solnode
serve` idles ~4 MiB lower for it (docs/benchmarks.md, "Memory"); the call itself took ~1 ms there.

It runs once per quiet spell after work, never on a timer that fires while busy. Quiet is
measured, not announced, so neither the web routes nor the worker need to say when they are
done: the process's own CPU time (all its threads) over a window of ``WINDOW`` seconds.
Elsewhere than glibc (musl has no ``malloc_trim``) nothing is done.

The arenas themselves are capped at two (:func:`limit_arenas`, what ``MALLOC_ARENA_MAX=2``
does, unless the operator set that variable): memory freed in one thread's arena is not reused
by another, so with eight arenas per core a busy node kept ~18 MiB more after 10 minutes of
load (159.2 against 141.2 MiB RSS). Threads that allocate at the same instant then share an
arena's lock; the GIL already serialises nearly all of this node's allocations.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import time
from collections.abc import Callable
from functools import cache

log = logging.getLogger("solnode.heap")

WINDOW = 10.0  # seconds between two looks at the CPU clock
QUIET_SHARE = 0.02  # a window that used less CPU than this share of it is quiet
WORK_WORTH_IT = 0.25  # CPU seconds spent since the last release that make another worthwhile
ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


@cache
def _libc_function(name: str) -> Callable[..., int] | None:
    try:
        function: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):  # not glibc
        return None
    return function


def _malloc_trim() -> Callable[..., int] | None:
    return _libc_function("malloc_trim")


def limit_arenas(count: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``count`` (call before threads start), unless
    ``MALLOC_ARENA_MAX`` is set: the operator's value then stands. True if capped here."""
    mallopt = _libc_function("mallopt")
    if mallopt is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(mallopt(_M_ARENA_MAX, count))


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system now; False where malloc cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class QuietSpells:
    """Decides, from successive readings of the process's CPU clock, when to release: at the
    first quiet window after enough work (start-up counts as work)."""

    def __init__(self, cpu_now: float, window: float = WINDOW) -> None:
        self.window = window
        self._last_reading = cpu_now
        self._after_release: float | None = None  # the clock right after the last release

    def release_due(self, cpu_now: float) -> bool:
        """Whether to release now, given the CPU clock one window after the previous reading."""
        quiet = cpu_now - self._last_reading < self.window * QUIET_SHARE
        self._last_reading = cpu_now
        worked = self._after_release is None or cpu_now - self._after_release >= WORK_WORTH_IT
        return quiet and worked

    def released(self, cpu_now: float) -> None:
        """Record a release (the clock read after it, so its own cost is not counted as work)."""
        self._after_release = cpu_now
        self._last_reading = cpu_now


async def release_when_quiet(window: float = WINDOW) -> None:
    """Run until cancelled: release the C heap's free pages at each quiet spell after work."""
    if _malloc_trim() is None:
        return
    spells = QuietSpells(time.process_time(), window)
    while True:
        await asyncio.sleep(window)
        if spells.release_due(time.process_time()):
            started = time.perf_counter()
            release_free_memory()
            spells.released(time.process_time())
            log.debug("heap released in %.1f ms", (time.perf_counter() - started) * 1000)
