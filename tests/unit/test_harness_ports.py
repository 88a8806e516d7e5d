"""The test harness's free ports: never one an outgoing connection may take meanwhile.

A node's port is chosen seconds before its server binds it (``solnode init`` and the set-up
run in between). Picked by the kernel from its ephemeral range, it could be taken as the source
port of any unrelated connection in that gap, and a whole module's tests then failed with
"address already in use" (seen in a parallel CI run).
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.harness.ports import LOOPBACK, free_port, release_port


def _ephemeral_low() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(40)]
    try:
        assert len(set(ports)) == len(ports)
        assert all(1024 < p < _ephemeral_low() for p in ports), ports
        for port in ports:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((LOOPBACK, port))
    finally:
        for port in ports:
            release_port(port)
