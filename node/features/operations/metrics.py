"""The node's Prometheus metrics: what is counted as it happens (requests, inbox answers, job
outcomes) lives in one process-wide registry; what the database knows (queue depth and age,
open circuits) is read when ``/metrics`` is scraped.

Counting is cheap on purpose: the request middleware is pure ASGI and keeps the labelled
children it has already made, so a request costs two dictionary lookups and two observations
(bench/bench_inbox.py measures the inbox with it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.features.operations.logs import JOB_LOG, REQUEST_LOG
from node.federation import job_queries
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob
from node.federation.outbox.deliver import inbox_host
from node.federation.worker import BatchPreparer, Done, Fail, JobHandler, Outcome, Registry


class Metrics:
    """The process-wide counters (one set per process: ``metrics()`` builds it on first use)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "solnode_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "solnode_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.inbox = Counter(
            "solnode_inbox_activities",
            "POSTs to our inboxes, by outcome (accepted, duplicate, ignored, refused) and reason.",
            ["outcome", "reason"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "solnode_jobs",
            "Jobs run by this process, by kind and outcome (done, retry, failed).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "solnode_deliveries",
            "Deliver jobs run by this process, by host and outcome (delivered, retry, failed).",
            ["host", "outcome"],
            registry=self.registry,
        )


@cache
def metrics() -> Metrics:
    """This process's counters."""
    return Metrics()


UNMATCHED = "unmatched"
request_log = logging.getLogger(REQUEST_LOG)
job_log = logging.getLogger(JOB_LOG)


class RequestObserver:
    """Counts and times requests under their route template (never the raw path, which would
    make a series per URL), and writes the request log line when it is on."""

    def __init__(self) -> None:
        self.metrics = metrics()
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, scope: Scope, route: str, status: int, elapsed: float) -> None:
        """One answered request."""
        key = (scope["method"], route, status)
        children = self._children.get(key)
        if children is None:
            m = self.metrics
            children = (m.requests.labels(*key), m.latency.labels(key[0], route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)
        if request_log.isEnabledFor(logging.INFO):
            _log_request(scope, route, status, elapsed)


@cache
def request_observer() -> RequestObserver:
    """This process's request observer (RequestMetrics and the inbox's front share it)."""
    return RequestObserver()


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request under its route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.observer = request_observer()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.observer.observe(scope, route, status, time.perf_counter() - start)


def _log_request(scope: Scope, route: str, status: int, elapsed: float) -> None:
    client = scope.get("client") or ("-", 0)
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "route": route,
        "status": status,
        "ms": round(elapsed * 1000, 2),
        "client": client[0],
    }
    request_log.info(
        "%s %s %s %.1f ms",
        fields["method"],
        fields["path"],
        status,
        fields["ms"],
        extra={"fields": fields},
    )


def inbox_counter() -> Callable[[str, str], None]:
    """Counts inbox answers by outcome (accepted, duplicate, ignored, refused) and reason."""
    counter = metrics().inbox
    children: dict[tuple[str, str], Any] = {}

    def count(outcome: str, reason: str) -> None:
        child = children.get((outcome, reason))
        if child is None:
            child = children[(outcome, reason)] = counter.labels(outcome, reason)
        child.inc()

    return count


def _outcome_name(outcome: Outcome) -> str:
    if isinstance(outcome, Done):
        return "done"
    return "failed" if isinstance(outcome, Fail) else "retry"


def _log_job(job: ClaimedJob, name: str, outcome: Outcome, elapsed: float) -> None:
    if not job_log.isEnabledFor(logging.INFO):
        return
    fields: dict[str, Any] = {
        "job": job.id,
        "kind": job.kind,
        "attempt": job.attempts,
        "outcome": name,
        "ms": round(elapsed * 1000, 2),
    }
    inbox = job.payload.get("inbox")
    if job.kind == "deliver" and isinstance(inbox, str):
        fields["host"] = inbox_host(inbox)
    if not isinstance(outcome, Done):
        fields["error"] = outcome.error[:200]
        fields["status"] = outcome.status
    job_log.info(
        "job %s %s (attempt %s): %s",
        job.id,
        job.kind,
        job.attempts,
        name,
        extra={"fields": fields},
    )


class ObservedRegistry(Registry):
    """A job registry whose handlers count their outcomes (and deliveries by host)."""

    def register(
        self,
        kind: str,
        handler: JobHandler,
        policy: Any = None,
        batch: BatchPreparer | None = None,
    ) -> None:
        async def observed(node: NodeContext, job: ClaimedJob) -> Outcome:
            start = time.perf_counter()
            outcome = await handler(node, job)
            name = _outcome_name(outcome)
            _log_job(job, name, outcome, time.perf_counter() - start)
            counters = metrics()
            counters.jobs.labels(job.kind, name).inc()
            if job.kind == "deliver":
                inbox = job.payload.get("inbox")
                host = inbox_host(inbox) if isinstance(inbox, str) else None
                counters.deliveries.labels(
                    host or "unknown", "delivered" if name == "done" else name
                ).inc()
            return outcome

        super().register(kind, observed, policy, batch)


class QueueCollector(Collector):
    """Queue depth and the wait of the oldest due job by kind, and open circuits, read from
    the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "solnode_queue_ready_jobs", "Jobs waiting to run, by kind.", labels=["kind"]
        )
        age = GaugeMetricFamily(
            "solnode_queue_oldest_due_seconds",
            "How long the oldest due job of each kind has waited past its run time.",
            labels=["kind"],
        )
        for kind, (count, oldest) in sorted(job_queries.ready_by_kind(self.engine).items()):
            depth.add_metric([kind], count)
            age.add_metric([kind], oldest)
        hosts = job_queries.open_circuits(self.engine)
        circuits = GaugeMetricFamily(
            "solnode_circuits_open", "Remote hosts whose delivery circuit is open."
        )
        circuits.add_metric([], len(hosts))
        per_host = GaugeMetricFamily(
            "solnode_circuit_open", "1 for each host whose circuit is open.", labels=["host"]
        )
        for host in hosts:
            per_host.add_metric([host], 1)
        yield from (depth, age, circuits, per_host)


def scrape(engine: Engine) -> bytes:
    """The exposition text: the counters of this process, then the queue read now."""
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueCollector(engine))
    return generate_latest(metrics().registry) + generate_latest(queue)
