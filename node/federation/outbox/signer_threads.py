"""Signing threads for deliveries: signatures made in batches, handed back once per batch.

An RSA-2048 signature costs ~0.25 ms and cryptography releases the GIL while it signs, so a
big fan-out signs on every core. A ``concurrent.futures`` executor costs more than that on the
event loop's side for each signature (a Future with its condition lock, a work item, a wrapping
asyncio future and one ``call_soon_threadsafe`` per result: ~10% of the loop's CPU in a
1,000-inbox fan-out, docs/benchmarks.md). Here a request is an asyncio future and a queue entry;
each thread takes what is waiting (its share of it, so every core works), signs it, and hands
the whole batch back with one ``call_soon_threadsafe``.

Threads start on demand (up to ``threads``) and end after ``idle`` seconds without work, so a
node that stops publishing holds no thread, and nothing has to be closed: a batch whose loop has
gone is dropped. A failed signature fails its own request only; a thread ended by something no
signature should raise (a ``SystemExit``) fails the rest of its batch and a new thread serves
what waits, so no caller waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["SignerThreads"]

log = logging.getLogger("solnode.delivery")

Signing = Callable[[], dict[str, str]]
_Request = tuple[Signing, "asyncio.Future[dict[str, str]]"]
_Result = tuple["asyncio.Future[dict[str, str]]", dict[str, str] | None, BaseException | None]

MAX_BATCH: Final = 16
"""At most this many signatures (~4 ms) before a thread hands its results back."""


class SignerThreads:
    """``await sign(signing)`` runs ``signing()`` on one of ``threads`` threads.

    Use from one event loop at a time. Results come back in batches: a thread takes up to its
    share of the waiting requests (all of them when it is the only thread, at most
    :data:`MAX_BATCH`), signs them, and resolves their futures with one loop callback.
    """

    def __init__(self, threads: int, *, idle: float = 2.0, name: str = "solnode-sign") -> None:
        if threads < 1:
            raise ValueError("at least one signing thread")
        self._threads = threads
        self._idle = idle
        self._name = name
        self._waiting: queue.SimpleQueue[tuple[_Request, asyncio.AbstractEventLoop]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._alive = 0
        self.batches = 0
        """Batches handed back so far (counted on the loop's side)."""

    @property
    def alive(self) -> int:
        """Threads running now (they end after ``idle`` seconds without work)."""
        return self._alive

    async def sign(self, signing: Signing) -> dict[str, str]:
        """The headers ``signing()`` returns, computed on a signing thread (its exception, if
        it raises). Cancelling the caller drops the result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, str]] = loop.create_future()
        self._waiting.put(((signing, future), loop))
        # Read after the put: a thread that is about to end checks the queue after counting
        # itself out, so either it sees this request or this read sees it gone (see _run).
        if self._alive < self._threads:
            self._start()
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._alive >= self._threads:
                return
            self._alive += 1
        thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        try:
            thread.start()
        except BaseException:  # no thread (out of resources): not counted as one
            with self._lock:
                self._alive -= 1
            raise

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException:  # whatever ends a thread early: a new one serves what waits
            log.exception("a signing thread ended early; its batch failed")
            with self._lock:
                self._alive -= 1
            if not self._waiting.empty():
                self._start()

    def _serve(self) -> None:
        waiting = self._waiting
        while True:
            try:
                first = waiting.get(timeout=self._idle)
            except queue.Empty:
                with self._lock:
                    self._alive -= 1
                    if waiting.empty():
                        return
                    self._alive += 1  # a request came in as we were leaving: stay
                continue
            share = min(MAX_BATCH, 1 + waiting.qsize() // self._threads)
            batch = [first]
            while len(batch) < share:
                try:
                    batch.append(waiting.get_nowait())
                except queue.Empty:
                    break
            self._sign_batch(batch)

    def _sign_batch(self, batch: list[tuple[_Request, asyncio.AbstractEventLoop]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Result]] = {}
        signed = 0
        try:
            for (signing, future), loop in batch:
                if not future.cancelled():  # else its caller has gone (a hint, read off-loop)
                    result: _Result
                    try:
                        result = (future, signing(), None)
                    except Exception as exc:  # handed to its caller, whatever it is
                        result = (future, None, exc)
                    by_loop.setdefault(loop, []).append(result)
                signed += 1
        finally:  # the thread may be ending (a BaseException): no caller is left waiting
            ended = RuntimeError("the signing thread ended before signing this request")
            for (_signing, future), loop in batch[signed:]:
                by_loop.setdefault(loop, []).append((future, None, ended))
            self._hand_back(by_loop)

    def _hand_back(self, by_loop: dict[asyncio.AbstractEventLoop, list[_Result]]) -> None:
        for loop, results in by_loop.items():
            # A closed loop raises: nobody waits for these any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._resolve, results)

    def _resolve(self, results: list[_Result]) -> None:
        """On the loop: one batch's results to their callers."""
        self.batches += 1
        for future, headers, error in results:
            if future.done():  # its caller was cancelled
                continue
            if error is not None:
                future.set_exception(error)
            else:
                assert headers is not None
                future.set_result(headers)
