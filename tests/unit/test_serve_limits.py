"""`solnode serve`'s connection bound and the edge settings (issue 15, items 5 and 13)."""

from __future__ import annotations

import asyncio
import resource

import pytest
from starlette.requests import Request

from node import app
from node.cli import serve
from node.settings import ConfigError, load_settings


def _rlimit(monkeypatch: pytest.MonkeyPatch, soft: int, hard: int, *, can_raise: bool) -> None:
    state = {"soft": soft}

    def getrlimit(_: int) -> tuple[int, int]:
        return state["soft"], hard

    def setrlimit(_: int, limits: tuple[int, int]) -> None:
        if not can_raise:
            raise ValueError("not permitted")
        state["soft"] = limits[0]

    monkeypatch.setattr(resource, "getrlimit", getrlimit)
    monkeypatch.setattr(resource, "setrlimit", setrlimit)


def test_the_concurrency_limit_fits_under_the_open_files_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _rlimit(monkeypatch, 1024, 65536, can_raise=True)
    assert serve.concurrency_limit(1000) == 1000  # soft limit raised to 1100
    _rlimit(monkeypatch, 400, 400, can_raise=False)
    assert serve.concurrency_limit(1000) == 300  # the 450-connection attack now gets 503s
    assert serve.concurrency_limit(0) == 300  # "no limit" still cannot exceed the files


def test_edge_settings_parse_and_refuse_nonsense() -> None:
    default = load_settings({})
    assert default.trusted_proxies == ("127.0.0.1/32", "::1/128")
    assert (default.header_timeout, default.body_timeout, default.limit_concurrency) == (
        10,
        30,
        1000,
    )
    compose = load_settings({"SOLNODE_TRUSTED_PROXIES": "172.30.80.0/24, 10.0.0.5,"})
    assert compose.trusted_proxies == ("172.30.80.0/24", "10.0.0.5/32")
    for name, value in (
        ("SOLNODE_TRUSTED_PROXIES", "caddy"),
        ("SOLNODE_HEADER_TIMEOUT", "0"),
        ("SOLNODE_BODY_TIMEOUT", "soon"),
        ("SOLNODE_LIMIT_CONCURRENCY", "-1"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})


def test_the_500_answer_also_says_nosniff() -> None:
    # Starlette sends it from outside EdgeGuard, so it is marked where it is made.
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    answer = asyncio.run(app._server_error(request, RuntimeError("boom")))
    assert answer.status_code == 500
    assert answer.headers["x-content-type-options"] == "nosniff"
