"""What the outbound client's stories share (tests/unit/test_http_client.py,
test_http_transport.py): ``record_connects``, behind each module's ``connects`` fixture, which
records every TCP connection attempt through the transport's one way of connecting
(``http_transport.connect_to``) and fails a test that tries any address but 127.0.0.1; the
injected DNS with fixed answers; and a client built for loopback."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from node.federation import http_transport
from node.federation.http import HttpClient

UA = "SolidarityNode/0.1.0 (+https://node.test/)"
LOOPBACK = "127.0.0.1"


def record_connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every TCP connection attempt of the client; refuse any that is not to 127.0.0.1.
    Each module's autouse ``connects`` fixture calls it."""
    attempts: list[str] = []

    async def spy(addresses: list[tuple[str, Any]], *args: Any) -> None:
        hosts = [address for address, _family in addresses]
        attempts.extend(hosts)
        assert all(h == LOOPBACK for h in hosts), f"test tried to connect to {hosts}"
        await real_connect(addresses, *args)

    real_connect = http_transport.connect_to
    monkeypatch.setattr(http_transport, "connect_to", spy)
    return attempts


class FakeDns:
    """The injected resolver: fixed answers, and a record of what was asked."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answer


def make_client(**kwargs: Any) -> HttpClient:
    """A client that may reach 127.0.0.1 and resolves only through a FakeDns."""
    kwargs.setdefault("user_agent", UA)
    kwargs.setdefault("allow_hosts", {LOOPBACK})
    kwargs.setdefault("resolver", FakeDns({}))
    return HttpClient(**kwargs)
