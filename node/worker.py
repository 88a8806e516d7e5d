"""The worker loop: claims jobs, runs the one handler registered for each kind, records outcomes.

It runs inside `solnode serve` by default and as its own process with `solnode worker`
(any number of them on PostgreSQL). Handlers return an Outcome; an exception is a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from anyio import to_thread

from node import jobs
from node.context import NodeContext

log = logging.getLogger("solnode.worker")

# Modules that register job handlers: each has ``register(registry: Registry) -> None``.
JOB_MODULES: tuple[str, ...] = (
    "node.delivery",
    "node.inbox.process",
    "node.content.service.series",
)


@dataclass(frozen=True)
class Done:
    """The job finished."""


@dataclass(frozen=True)
class Retry:
    """Try again later (``delay`` None: the retry policy decides)."""

    error: str
    status: int | None = None
    delay: float | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Fail:
    """Give up: a permanent failure, kept as a dead job for inspection."""

    error: str
    status: int | None = None


Outcome = Done | Retry | Fail
JobHandler = Callable[[NodeContext, jobs.ClaimedJob], Awaitable[Outcome]]


class Registry:
    """One dispatch table of job kinds; registering a kind twice is a programming error."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._policies: dict[str, jobs.RetryPolicy] = {}

    def register(
        self, kind: str, handler: JobHandler, policy: jobs.RetryPolicy | None = None
    ) -> None:
        """Add the handler for ``kind``."""
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} is registered twice")
        self._handlers[kind] = handler
        self._policies[kind] = policy or jobs.RetryPolicy()

    def handler(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def policy(self, kind: str) -> jobs.RetryPolicy:
        return self._policies.get(kind, jobs.RetryPolicy())

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)


def default_registry() -> Registry:
    """The registry with every job handler of the node."""
    registry = Registry()
    for name in JOB_MODULES:
        importlib.import_module(name).register(registry)
    return registry


class Worker:
    """Claims and runs jobs until stopped."""

    def __init__(
        self,
        node: NodeContext,
        registry: Registry,
        *,
        name: str | None = None,
        concurrency: int = 32,
        batch: int = 64,
        poll_interval: float = 1.0,
        lease: float = jobs.DEFAULT_LEASE,
    ) -> None:
        self.node = node
        self.registry = registry
        self.name = name or jobs.worker_name()
        self.concurrency = concurrency
        self.batch = batch
        self.poll_interval = poll_interval
        self.lease = lease
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe: new jobs are waiting, stop sleeping."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Finish the jobs in hand and return from run()."""
        self._stopping = True
        self.wake()

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it to the end; returns how many jobs ran."""
        claimed = await to_thread.run_sync(
            lambda: jobs.claim(
                self.node.engine,
                self.name,
                limit=limit or self.batch,
                lease=self.lease,
                kinds=self.registry.kinds,
            )
        )
        if not claimed:
            return 0
        semaphore = asyncio.Semaphore(self.concurrency)

        async def guarded(job: jobs.ClaimedJob) -> None:
            async with semaphore:
                await self._run_job(job)

        await asyncio.gather(*(guarded(job) for job in claimed))
        return len(claimed)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Run due jobs until none is left (tests and `solnode worker --drain`)."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            if not ran:
                break
            total += ran
        return total

    async def run(self) -> None:
        """The loop: claim, run, sleep until woken or the poll interval passes."""
        self._loop = asyncio.get_running_loop()
        log.info("worker %s started (kinds: %s)", self.name, ", ".join(sorted(self.registry.kinds)))
        purge_every = 3600.0
        last_purge = 0.0
        while not self._stopping:
            try:
                ran = await self.run_once()
            except Exception:
                log.exception("claiming jobs failed; retrying shortly")
                ran = 0
                await asyncio.sleep(self.poll_interval)
            now = self._loop.time()
            if now - last_purge > purge_every:
                last_purge = now
                await to_thread.run_sync(lambda: jobs.purge_done(self.node.engine))
            if ran:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        log.info("worker %s stopped", self.name)

    async def _run_job(self, job: jobs.ClaimedJob) -> None:
        handler = self.registry.handler(job.kind)
        policy = self.registry.policy(job.kind)
        if handler is None:
            outcome: Outcome = Fail(f"no handler for job kind {job.kind!r}")
        else:
            try:
                outcome = await handler(self.node, job)
            except Exception as exc:  # a bug or an unexpected remote answer: retry, loudly
                log.exception("job %s (%s) raised", job.id, job.kind)
                outcome = Retry(f"{type(exc).__name__}: {exc}")
        engine = self.node.engine
        if isinstance(outcome, Done):
            await to_thread.run_sync(lambda: jobs.complete(engine, job.id, self.name))
        elif isinstance(outcome, Fail) or policy.exhausted(job.attempts):
            await to_thread.run_sync(
                lambda: jobs.give_up(
                    engine, job.id, self.name, error=outcome.error, status=outcome.status
                )
            )
        else:
            assert isinstance(outcome, Retry)
            delay = outcome.delay
            if delay is None:
                delay = policy.delay(job.attempts, outcome.retry_after)
            await to_thread.run_sync(
                lambda: jobs.retry_later(
                    engine,
                    job.id,
                    self.name,
                    delay=delay,
                    error=outcome.error,
                    status=outcome.status,
                )
            )


def install_signal_handlers(worker: Worker) -> None:
    """SIGTERM/SIGINT stop the worker after the jobs in hand."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
