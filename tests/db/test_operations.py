"""/healthz, /readyz and /metrics: loopback-only or token-only unless configured, readiness that
notices an unreachable database or a schema behind the code, and counters that move."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from starlette.testclient import TestClient

from node.app import create_app
from node.db import session_scope, write_connection
from node.features.operations.logs import JsonFormatter
from node.features.operations.metrics import metrics
from node.federation import jobs
from node.federation.actors.local import create_actor
from node.settings import Settings

LOOPBACK = ("127.0.0.1", 50000)
OUTSIDE = ("203.0.113.9", 50000)
TOKEN = "scrape-me-9f2c"


def _client(
    settings: Settings, engine: Engine, addr: tuple[str, int], **changes: object
) -> TestClient:
    app = create_app(dataclasses.replace(settings, **changes), engine=engine)  # type: ignore[arg-type]
    return TestClient(app, base_url=settings.base_url, client=addr)


def test_health_answers_loopback_only_unless_public(settings: Settings, engine: Engine) -> None:
    with _client(settings, engine, LOOPBACK) as tc:
        assert tc.get("/healthz").json() == {"status": "ok"}
        assert tc.get("/readyz").json() == {"status": "ok"}
    with _client(settings, engine, OUTSIDE) as tc:
        assert tc.get("/healthz").status_code == 404
        assert tc.get("/readyz").status_code == 404
    with _client(settings, engine, OUTSIDE, health_public=True) as tc:
        assert tc.get("/healthz").status_code == 200
        assert tc.get("/readyz").status_code == 200


@pytest.fixture
def behind(engine: Engine) -> Iterator[None]:
    """The database claims an older revision than the code ships (put back afterwards)."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    with write_connection(engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    yield
    with write_connection(engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_readyz_refuses_a_schema_behind_the_code(
    settings: Settings, engine: Engine, behind: None
) -> None:
    with _client(settings, engine, LOOPBACK) as tc:
        response = tc.get("/readyz")
    assert response.status_code == 503
    assert "0001" in response.json()["reason"] and "solnode migrate" in response.json()["reason"]


def test_readyz_refuses_an_unreachable_database(settings: Settings, tmp_path: object) -> None:
    if settings.database_url.startswith("sqlite"):
        gone = create_engine(f"sqlite:///{tmp_path}/missing-dir/none.db")
    else:
        gone = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        with TestClient(create_app(settings, engine=gone), client=LOOPBACK) as tc:
            response = tc.get("/readyz")
            assert tc.get("/healthz").status_code == 200  # the process is still up
    finally:
        gone.dispose()
    assert response.status_code == 503
    assert response.json()["reason"].startswith("database unreachable")


def test_metrics_needs_the_configured_token(settings: Settings, engine: Engine) -> None:
    with _client(settings, engine, LOOPBACK) as tc:
        assert tc.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    with _client(settings, engine, LOOPBACK, metrics_token=TOKEN) as tc:
        assert tc.get("/metrics").status_code == 401
        assert tc.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        with write_connection(engine) as conn:
            jobs.enqueue(conn, "deliver", {"inbox": "https://a.example/inbox"})
        tc.get("/healthz")
        response = tc.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    body = response.text
    assert 'solnode_queue_ready_jobs{kind="deliver"} 1.0' in body
    assert "solnode_circuits_open 0.0" in body
    assert 'route="/healthz"' in body and 'status="200"' in body
    assert 'route="/metrics"' in body


def test_an_inbox_refusal_counts_its_reason(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Co-op")
    registry = metrics().registry
    labels = {"outcome": "refused", "reason": "unsupported_media_type"}

    def refused() -> float:
        return registry.get_sample_value("solnode_inbox_activities_total", labels) or 0.0

    before = refused()
    with _client(settings, engine, LOOPBACK) as tc:
        response = tc.post(
            "/actors/coop/inbox", content=b"{}", headers={"content-type": "text/plain"}
        )
    assert response.status_code == 415
    assert refused() == before + 1
    route = {"method": "POST", "route": "/actors/{slug}/inbox", "status": "415"}
    assert (registry.get_sample_value("solnode_http_requests_total", route) or 0) >= 1


def test_one_structured_line_per_request(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="solnode.request"),
        _client(settings, engine, LOOPBACK) as tc,
    ):
        tc.get("/healthz?probe=1")
    [record] = [r for r in caplog.records if r.name == "solnode.request"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["route"] == "/healthz" and fields["path"] == "/healthz"
    assert fields["status"] == 200 and fields["client"] == "127.0.0.1"
    line = json.loads(JsonFormatter().format(record))
    assert line["logger"] == "solnode.request" and line["status"] == 200
    assert line["message"].startswith("GET /healthz 200")


def test_log_level_warning_quiets_the_per_request_lines(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = dataclasses.replace(settings, log_level="warning")
    try:
        with caplog.at_level(logging.DEBUG), _client(quiet, engine, LOOPBACK) as tc:
            tc.get("/healthz")
        assert not [r for r in caplog.records if r.name == "solnode.request"]
    finally:
        logging.getLogger("solnode").setLevel(logging.NOTSET)
