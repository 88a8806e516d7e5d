"""Job outcomes are counted by kind, and deliveries by host, through the observed registry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from node.features.operations.metrics import ObservedRegistry, metrics
from node.federation.jobs import ClaimedJob
from node.federation.worker import Done, Fail, Outcome, Retry
from node.settings import ConfigError, load_settings


def _job(inbox: str) -> ClaimedJob:
    return ClaimedJob(id=1, kind="deliver", payload={"inbox": inbox}, attempts=1, dedupe_key=None)


def test_deliveries_are_counted_by_host_and_outcome() -> None:
    answers: list[Outcome] = [Done(), Retry("timeout"), Fail("410")]

    async def handler(node: Any, job: ClaimedJob) -> Outcome:
        return answers.pop(0)

    registry = ObservedRegistry()
    registry.register("deliver", handler)
    observed = registry.handler("deliver")
    assert observed is not None
    samples = metrics().registry

    def count(outcome: str) -> float:
        labels = {"host": "counted.example", "outcome": outcome}
        return samples.get_sample_value("solnode_deliveries_total", labels) or 0.0

    before = {o: count(o) for o in ("delivered", "retry", "failed")}
    for _ in range(3):
        asyncio.run(observed(None, _job("https://Counted.example/inbox")))  # type: ignore[arg-type]
    assert {o: count(o) - before[o] for o in before} == {"delivered": 1, "retry": 1, "failed": 1}


def test_operations_settings() -> None:
    env = {"SOLNODE_METRICS_TOKEN": " t0k ", "SOLNODE_HEALTH_PUBLIC": "true"}
    settings = load_settings(env={**env, "SOLNODE_LOG_FORMAT": "JSON"})
    assert (settings.metrics_token, settings.health_public, settings.log_format) == (
        "t0k",
        True,
        "json",
    )
    defaults = load_settings(env={})
    assert (defaults.metrics_token, defaults.health_public, defaults.log_format) == (
        "",
        False,
        "text",
    )
    with pytest.raises(ConfigError, match="SOLNODE_LOG_FORMAT"):
        load_settings(env={"SOLNODE_LOG_FORMAT": "xml"})
