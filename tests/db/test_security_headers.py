"""HTML pages carry a strict Content-Security-Policy and the usual headers, plus HSTS when the
node is served over https (not on a loopback http node, which must stay reachable)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from node.app import create_app
from node.db import session_scope
from node.federation.actors.local import create_actor
from node.settings import Settings

HTML = {"Accept": "text/html"}
PAGES = ["/", "/about", "/@coop", "/no-such-page"]


@pytest.fixture
def coop(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_actor(session, "coop", kind="organization", name="Riverside Co-op")


@pytest.fixture
def https_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    public = replace(settings, base_url="https://node.example")
    with TestClient(create_app(public, engine=engine), base_url=public.base_url) as tc:
        yield tc


@pytest.mark.parametrize("path", PAGES)
def test_html_pages_carry_the_security_headers(client: TestClient, coop: None, path: str) -> None:
    r = client.get(path, headers=HTML)
    assert r.headers["content-type"].startswith("text/html"), r.status_code
    csp = r.headers["Content-Security-Policy"]
    # no scripts at all, no framing, no foreign form targets or base URLs
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "script-src" not in csp
    assert "base-uri 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # http on loopback


@pytest.mark.parametrize("path", PAGES)
def test_https_nodes_add_hsts(https_client: TestClient, coop: None, path: str) -> None:
    r = https_client.get(path, headers=HTML)
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
