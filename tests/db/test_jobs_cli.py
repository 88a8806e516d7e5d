"""``solnode jobs`` run in-process against the test database (SQLite and PostgreSQL): list by
state, kind and host, show one, retry one and a host's, purge the dead."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from node.db import write_connection
from node.federation import job_queries, jobs
from node.settings import Settings
from tests.db.cli_support import command_environment, run


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    command_environment(monkeypatch, settings)


def _queue(engine: Engine) -> dict[str, int]:
    """Two deliveries to a.example, one to b.example, one fanout; one a.example job dead."""
    with write_connection(engine) as conn:
        for n, inbox in enumerate(
            [
                "https://a.example/inbox",
                "https://A.example/users/x/inbox",
                "https://b.example/inbox",
            ]
        ):
            jobs.enqueue(conn, "deliver", {"inbox": inbox, "activity": f"x{n}"})
        jobs.enqueue(conn, "fanout", {"activity": "x"})
    claimed = jobs.claim(engine, "w1", limit=10)
    ids = {f"{j.kind}:{j.payload.get('inbox', '')}": j.id for j in claimed}
    dead = ids["deliver:https://a.example/inbox"]
    assert jobs.give_up(engine, dead, "w1", error="HTTP 410 Gone", status=410)
    for job in claimed:
        if job.id != dead:
            assert jobs.retry_later(engine, job.id, "w1", delay=3600, error="timeout")
    return {"dead": dead, "b": ids["deliver:https://b.example/inbox"]}


def test_list_filters_and_counts(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    _queue(engine)
    status, out = run(capsys, "jobs")
    assert status == 0 and "4 job(s): 1 dead, 3 ready." in out
    status, out = run(capsys, "jobs", "--state", "dead")
    assert "1 job(s): 1 dead." in out and "HTTP 410 Gone" in out and "a.example" in out
    status, out = run(capsys, "jobs", "--host", "a.example")
    assert "2 job(s): 1 dead, 1 ready." in out and "b.example" not in out
    status, out = run(capsys, "jobs", "--kind", "fanout")
    assert "1 job(s): 1 ready." in out and "waiting" in out
    status, out = run(capsys, "jobs", "--kind", "nothing")
    assert status == 0 and "No jobs match." in out
    status, out = run(capsys, "jobs", "--limit", "1")
    assert "(first 1 shown" in out


def test_show_retry_and_purge(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _queue(engine)
    status, out = run(capsys, "jobs", "show", str(ids["dead"]))
    assert status == 0 and "state:       dead" in out and "last status: 410" in out
    assert '"inbox": "https://a.example/inbox"' in out
    assert run(capsys, "jobs", "show", "999999")[0] == 1

    status, out = run(capsys, "jobs", "retry", str(ids["dead"]))
    assert status == 0 and "will run again now" in out
    job = job_queries.get(engine, ids["dead"])
    assert job is not None and job.state == "ready" and job.attempts == 0
    assert [j.id for j in jobs.claim(engine, "w2", limit=10)] == [ids["dead"]]  # due now
    assert jobs.complete(engine, ids["dead"], "w2")
    status, out = run(capsys, "jobs", "retry", str(ids["dead"]))
    assert status == 1 and "is done" in out

    status, out = run(capsys, "jobs", "retry", "--host", "B.example")
    assert status == 0 and "1 deliver job(s) to b.example will run again now." in out
    assert [j.id for j in jobs.claim(engine, "w3", limit=10)] == [ids["b"]]
    assert jobs.give_up(engine, ids["b"], "w3", error="gone")

    status, out = run(capsys, "jobs", "purge-dead")
    assert status == 0 and "1 dead job(s) deleted." in out
    assert jobs.counts(engine) == {"done": 1, "ready": 2}
    assert run(capsys, "jobs", "retry")[0] == 1  # neither an id nor --host
