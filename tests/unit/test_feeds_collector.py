"""The collector pause around a calendar write (node/features/feeds/collector.py): held while
any write runs, resumed after the last, never turned on when someone else had turned it off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from node.features.feeds.collector import MAX_PAUSE, _Pause


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_the_collector_waits_during_a_write_and_resumes_after_even_on_error() -> None:
    pause = _Pause()
    gc.enable()
    assert pause.run(gc.isenabled) is False
    assert gc.isenabled()

    def failing() -> None:
        assert not gc.isenabled()
        raise RuntimeError("a bad entry")

    with pytest.raises(RuntimeError):
        pause.run(failing)
    assert gc.isenabled() and pause.writers == 0


def test_overlapping_writes_resume_it_once_the_last_is_done() -> None:
    pause = _Pause()
    gc.enable()
    first_in, second_done, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        first_in.set()
        first_may_end.wait(5)
        seen.append(gc.isenabled())

    thread = threading.Thread(target=pause.run, args=(first,))
    thread.start()
    first_in.wait(5)
    # a second write starts and ends while the first runs: the collector stays paused
    pause.run(second_done.set)
    assert second_done.is_set() and not gc.isenabled() and pause.writers == 1
    first_may_end.set()
    thread.join(5)
    assert seen == [False] and gc.isenabled() and pause.writers == 0


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    pause = _Pause()
    gc.disable()
    pause.run(lambda: None)
    assert not gc.isenabled()


def test_writes_that_keep_overlapping_cannot_hold_it_off_past_the_bound() -> None:
    now = [0.0]
    pause = _Pause(clock=lambda: now[0])
    gc.enable()
    states: list[bool] = []

    def nested(depth: int) -> None:
        states.append(gc.isenabled())
        if depth:
            now[0] += MAX_PAUSE / 2 + 0.1  # each next write arrives a bit over half the bound later
            pause.run(lambda: nested(depth - 1))

    pause.run(lambda: nested(3))
    # paused for the first two; the third arrives past the bound and resumes it, for good
    assert states == [False, False, True, True] and gc.isenabled()
