"""The worker loop: claims jobs, runs the one handler registered for each kind, records outcomes.

It runs inside `solnode serve` by default and as its own process with `solnode worker`
(any number of them on PostgreSQL). Handlers return an Outcome; an exception is a retry.

A kind may also have a batch preparer: when a claim brings several jobs of that kind, it reads
what they need together (the inbox: their rows, targets and the networks' plans in one thread
hop and one connection) and each job's handler finds its part in ``ClaimedJob.prepared``. A
job it leaves out, or every job of the batch if it fails, reads for itself as when alone: one
bad job never takes its batch with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from anyio import to_thread
from sqlalchemy.engine import Connection

from node.federation import jobs
from node.federation.context import NodeContext

log = logging.getLogger("solnode.worker")


@dataclass(frozen=True)
class Done:
    """The job finished. ``record``, if given, writes what it did in the transaction that marks
    it done (the inbox job's result: a thread hop and a transaction less a job)."""

    record: Callable[[Connection], None] | None = None


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
# Reads for several claimed jobs of one kind at once: job id -> what its handler would read.
BatchPreparer = Callable[[NodeContext, list[jobs.ClaimedJob]], Awaitable[Mapping[int, Any]]]


class Registry:
    """One dispatch table of job kinds; registering a kind twice is a programming error."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._policies: dict[str, jobs.RetryPolicy] = {}
        self._batches: dict[str, BatchPreparer] = {}

    def register(
        self,
        kind: str,
        handler: JobHandler,
        policy: jobs.RetryPolicy | None = None,
        batch: BatchPreparer | None = None,
    ) -> None:
        """Add the handler for ``kind`` (and its batch preparer, see the module docstring)."""
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} is registered twice")
        self._handlers[kind] = handler
        self._policies[kind] = policy or jobs.RetryPolicy()
        if batch is not None:
            self._batches[kind] = batch

    def handler(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def batch(self, kind: str) -> BatchPreparer | None:
        return self._batches.get(kind)

    def policy(self, kind: str) -> jobs.RetryPolicy:
        return self._policies.get(kind, jobs.RetryPolicy())

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)


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
        # While jobs run, claim again once this many slots are free (see run()).
        self.refill = max(1, concurrency // 8)
        self.poll_interval = poll_interval
        self.lease = lease
        self._wake = asyncio.Event()
        # Set when a job ends or wake() is called: what run() waits for while jobs are in flight.
        self._stir = asyncio.Event()
        # Each job's task reports its own end: waiting costs the same with 1 or 64 in flight
        # (asyncio.wait over every task added and removed 64 callbacks per wake-up).
        self._ended: list[asyncio.Task[Outcome]] = []
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
            self._woken()
        else:
            loop.call_soon_threadsafe(self._woken)

    def _woken(self) -> None:
        self._wake.set()
        self._stir.set()

    def stop(self) -> None:
        """Finish the jobs in hand and return from run()."""
        self._stopping = True
        self.wake()

    async def _settle(
        self, finished: list[tuple[jobs.ClaimedJob, Outcome]], claim: int
    ) -> list[jobs.ClaimedJob]:
        """Record ``finished`` and claim up to ``claim`` jobs: one thread hop, one transaction."""
        done = [job.id for job, outcome in finished if isinstance(outcome, Done)]
        records = [
            outcome.record
            for _, outcome in finished
            if isinstance(outcome, Done) and outcome.record is not None
        ]
        released = [
            self._release(job, outcome)
            for job, outcome in finished
            if not isinstance(outcome, Done)
        ]
        return await to_thread.run_sync(
            lambda: jobs.settle(
                self.node.engine,
                self.name,
                done=done,
                records=records,
                released=released,
                claim_limit=claim,
                lease=self.lease,
                kinds=self.registry.kinds,
            )
        )

    def _release(self, job: jobs.ClaimedJob, outcome: Retry | Fail) -> jobs.Release:
        """What a failed run means for its job: dead, or to run again after a delay."""
        policy = self.registry.policy(job.kind)
        if isinstance(outcome, Fail) or policy.exhausted(job.attempts):
            return jobs.Release(job.id, outcome.error, outcome.status)
        delay = outcome.delay
        if delay is None:
            delay = policy.delay(job.attempts, outcome.retry_after)
        return jobs.Release(job.id, outcome.error, outcome.status, delay)

    async def _prepared(self, claimed: list[jobs.ClaimedJob]) -> list[jobs.ClaimedJob]:
        """``claimed``, with what batch preparers read for the kinds that have one and more
        than one job here (a lone job reads for itself, as it always did)."""
        groups: dict[str, list[jobs.ClaimedJob]] = {}
        for job in claimed:
            groups.setdefault(job.kind, []).append(job)
        found: dict[int, Any] = {}
        for kind, group in groups.items():
            prepare = self.registry.batch(kind)
            if prepare is None or len(group) < 2:
                continue
            try:
                found.update(await prepare(self.node, group))
            except Exception:
                log.exception(
                    "preparing %d %s jobs together failed; each runs alone", len(group), kind
                )
        if not found:
            return claimed
        return [replace(job, prepared=found[job.id]) if job.id in found else job for job in claimed]

    async def run_once(self, limit: int | None = None) -> int:
        """Claim one batch and run it to the end; returns how many jobs ran."""
        claimed = await self._prepared(await self._settle([], limit or self.batch))
        if not claimed:
            return 0
        semaphore = asyncio.Semaphore(self.concurrency)

        async def guarded(job: jobs.ClaimedJob) -> tuple[jobs.ClaimedJob, Outcome]:
            async with semaphore:
                return job, await self._execute(job)

        results = await asyncio.gather(*(guarded(job) for job in claimed))
        await self._settle(list(results), 0)
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
        """A pipeline: keep up to ``concurrency`` jobs in flight, claim more as slots free up,
        and record finished jobs in batches. A slow host occupies one slot, not a batch.

        Each batch of finished jobs is recorded in the same transaction as the next claim
        (``jobs.settle``). While jobs are in flight, more are claimed only once ``refill``
        slots are free, so that a claim is worth its transaction; when nothing runs, at once."""
        self._loop = asyncio.get_running_loop()
        log.info("worker %s started (kinds: %s)", self.name, ", ".join(sorted(self.registry.kinds)))
        in_flight: dict[asyncio.Task[Outcome], jobs.ClaimedJob] = {}
        finished: list[tuple[jobs.ClaimedJob, Outcome]] = []
        backlog = True  # the last claim was full, or we were woken: claim again at once
        last_purge = 0.0
        while not self._stopping or in_flight or finished:
            free = self.concurrency - len(in_flight)
            want = min(self.batch, free)
            claim = (
                not self._stopping
                and backlog
                and want > 0
                and (not in_flight or free >= self.refill)
            )
            if claim or finished:
                if claim:
                    self._wake.clear()
                try:
                    claimed = await self._settle(finished, want if claim else 0)
                except Exception:
                    log.exception("recording or claiming jobs failed; retrying shortly")
                    await asyncio.sleep(self.poll_interval)
                    continue  # ``finished`` is kept and recorded by the next attempt
                finished = []
                for job in await self._prepared(claimed):
                    task = asyncio.create_task(self._execute(job))
                    task.add_done_callback(self._on_end)
                    in_flight[task] = job
                if claim:
                    backlog = len(claimed) == want
            if in_flight:
                # every job that has finished by now joins this one batch of completions; new
                # work announced while this turn claimed is claimed next, not waited past
                woken = self._wake.is_set() and not self._stopping
                ready = woken and self.concurrency - len(in_flight) >= self.refill
                ended = await self._ends(wait=not ready)
                finished = [(in_flight.pop(t), t.result()) for t in ended]
                backlog = backlog or self._wake.is_set() or bool(finished)
            elif not self._stopping and not finished:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
                backlog = True
            now = self._loop.time()
            if now - last_purge > 3600.0:
                last_purge = now
                await to_thread.run_sync(lambda: jobs.purge_done(self.node.engine))
        log.info("worker %s stopped", self.name)

    def _on_end(self, task: asyncio.Task[Outcome]) -> None:
        self._ended.append(task)
        self._stir.set()

    async def _ends(self, *, wait: bool = True) -> list[asyncio.Task[Outcome]]:
        """The tasks that have ended since the last call; if none has (and ``wait``), first
        wait until one ends or new work is announced, at most ``poll_interval`` (a wake-up
        that came while no slot could take it is not waited for again)."""
        if wait and not self._ended:
            self._stir.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._stir.wait()
        ended, self._ended = self._ended, []
        return ended

    async def _execute(self, job: jobs.ClaimedJob) -> Outcome:
        handler = self.registry.handler(job.kind)
        if handler is None:
            return Fail(f"no handler for job kind {job.kind!r}")
        try:
            return await handler(self.node, job)
        except Exception as exc:  # a bug or an unexpected remote answer: retry, loudly
            log.exception("job %s (%s) raised", job.id, job.kind)
            return Retry(f"{type(exc).__name__}: {exc}")


def install_signal_handlers(worker: Worker) -> None:
    """SIGTERM/SIGINT stop the worker after the jobs in hand."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
