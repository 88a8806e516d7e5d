"""Test harness: free loopback ports, managed subprocesses, and the Fedify peer.

The pytest fixtures live in :mod:`tests.harness.fixtures` so that importing this package
never pulls in pytest machinery; ``tests/conftest.py`` does
``from tests.harness.fixtures import *``.
"""

from tests.harness.peer import (
    FedifyPeer,
    PeerError,
    PeerInstall,
    PeerInstallError,
    ensure_installed,
    peer_dir,
)
from tests.harness.ports import free_port, release_port
from tests.harness.procs import ManagedProcess, ProcessError, ProcessExited, ReadinessTimeout

__all__ = [
    "FedifyPeer",
    "ManagedProcess",
    "PeerError",
    "PeerInstall",
    "PeerInstallError",
    "ProcessError",
    "ProcessExited",
    "ReadinessTimeout",
    "ensure_installed",
    "free_port",
    "peer_dir",
    "release_port",
]
