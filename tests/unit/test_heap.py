"""Freed C heap goes back to the system once the process is quiet (node/heap.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from node.heap import WINDOW, WORK_WORTH_IT, QuietSpells, _malloc_trim


def test_the_first_quiet_window_after_start_up_releases_and_a_busy_one_does_not() -> None:
    spells = QuietSpells(cpu_now=3.0)  # start-up spent 3 s of CPU before the first reading
    assert not spells.release_due(3.0 + WINDOW * 0.5)  # busy: half a core for the window
    clock = 3.0 + WINDOW * 0.5 + 0.01
    assert spells.release_due(clock)  # quiet, and start-up counts as work
    spells.released(clock)


def test_an_idle_process_releases_once_not_at_every_quiet_window() -> None:
    spells = QuietSpells(cpu_now=1.0)
    assert spells.release_due(1.01)
    spells.released(1.012)
    clock = 1.012
    for _ in range(20):  # a worker polling its queue: a few ms of CPU per window
        clock += 0.005
        assert not spells.release_due(clock)


def test_work_since_the_last_release_makes_the_next_quiet_window_release_again() -> None:
    spells = QuietSpells(cpu_now=1.0)
    spells.released(1.0)
    clock = 1.0 + WORK_WORTH_IT + 1.0  # a burst of deliveries
    assert not spells.release_due(clock)
    assert spells.release_due(clock + 0.01)
    spells.released(clock + 0.011)
    assert not spells.release_due(clock + 0.02)


# Frees 100 MiB of 1 KiB blocks (below malloc's mmap threshold, so on its heap) while the last
# block stays allocated: malloc cannot shrink the heap from its top and keeps every page.
FREED_BELOW_THE_TOP = """
import sys
from node.heap import release_free_memory
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
blocks = [bytearray(1024) for _ in range(100 * 1024)]
kept = blocks[-1]
del blocks
before = rss()
print(release_free_memory(), before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_releasing_gives_freed_heap_pages_back_to_the_system() -> None:
    if _malloc_trim() is None:
        pytest.skip("not glibc: nothing to release with")
    result = subprocess.run(
        [sys.executable, "-c", FREED_BELOW_THE_TOP], capture_output=True, text=True, check=True
    )
    released, returned_mib = result.stdout.split()
    assert released == "True"
    assert float(returned_mib) > 50, f"only {returned_mib} MiB returned"


# Eight threads each hold a malloc'd block while all eight are alive, then malloc_info(3) lists
# the arenas (one <heap nr=...> each) into a file.
ARENAS_USED = """
import ctypes, os, sys, tempfile, threading
from node.heap import limit_arenas
print(limit_arenas(int(sys.argv[1])) if sys.argv[1] != "-" else "uncapped")
started = threading.Barrier(8)
def hold():
    block = bytearray(100_000)
    started.wait()
threads = [threading.Thread(target=hold) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
path = os.path.join(tempfile.mkdtemp(), "malloc_info.xml")
stream = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(open(path).read().count("<heap nr="))
"""


def _arenas_used(cap: str, **env: str) -> tuple[str, int]:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    result = subprocess.run(
        [sys.executable, "-c", ARENAS_USED, cap],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    capped, heaps = result.stdout.split()
    return capped, int(heaps)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc")
def test_eight_threads_share_two_arenas_once_capped_and_the_operators_value_stands() -> None:
    if _malloc_trim() is None:
        pytest.skip("not glibc")
    assert _arenas_used("-")[1] > 2  # glibc's own rule: an arena per thread, 8 per core
    assert _arenas_used("2") == ("True", 2)
    # MALLOC_ARENA_MAX set by the operator (systemd units, compose file): left as it is
    assert _arenas_used("2", MALLOC_ARENA_MAX="3") == ("False", 3)
