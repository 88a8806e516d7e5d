"""pytest fixtures for the Fedify peer.  Wire them in ``tests/conftest.py`` with

    from tests.harness.fixtures import *  # noqa: F403

which brings in exactly the names in ``__all__`` (fixtures only).  Tests that use them must be
marked ``@pytest.mark.peer`` (enforced), so ``pytest -m "not peer"`` skips everything that needs
Node.  The npm install runs on first use of a peer fixture in a session, never at import.

Optional, to get the peers' logs into the failure report of a test, in conftest.py:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        add_peer_logs_to_report(item, outcome.get_result())
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from tests.harness.peer import FedifyPeer, FlagValue, PeerInstall, ensure_installed
from tests.harness.procs import LOG_TAIL_LINES

__all__ = ["fedify_peer", "fedify_peer_factory", "fedify_peer_install"]

PEERS_KEY = pytest.StashKey[list[FedifyPeer]]()


class PeerFactory(Protocol):
    """The callable ``fedify_peer_factory`` returns (for type hints in tests)."""

    def __call__(
        self,
        usernames: Sequence[str] | str = ("alice",),
        *,
        port: int | None = None,
        **flags: FlagValue,
    ) -> FedifyPeer: ...


def _require_peer_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("peer") is None:
        pytest.fail(
            f"{request.node.nodeid} uses a Fedify peer fixture but is not marked "
            f"@pytest.mark.peer (needed so `-m 'not peer'` can deselect it)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def fedify_peer_install() -> PeerInstall:
    """Installs the peer's npm dependencies once per session (file-locked across processes)."""
    return ensure_installed()


@pytest.fixture
def fedify_peer_factory(
    request: pytest.FixtureRequest,
    fedify_peer_install: PeerInstall,
    tmp_path: Path,
) -> Iterator[PeerFactory]:
    """A function that starts peers (free ports by default) and stops them all at teardown.

    ``fedify_peer_factory(["bob"], auto_accept=False)``: the arguments are those of
    ``FedifyPeer.start``.  Logs go to ``tmp_path / "peers"``.
    """
    _require_peer_marker(request)
    peers: list[FedifyPeer] = []
    request.node.stash[PEERS_KEY] = peers
    log_dir = tmp_path / "peers"

    def start(
        usernames: Sequence[str] | str = ("alice",),
        *,
        port: int | None = None,
        **flags: FlagValue,
    ) -> FedifyPeer:
        peer = FedifyPeer.start(
            port,
            usernames,
            log_dir=log_dir,
            directory=fedify_peer_install.peer_dir,
            flags=flags,
        )
        peers.append(peer)
        # Shown under "Captured stdout setup/call" when the test fails.
        print(f"fedify-peer {peer.origin} users={peer.usernames} log={peer.log_path}")
        return peer

    yield start
    for peer in reversed(peers):
        peer.stop()


@pytest.fixture
def fedify_peer(fedify_peer_factory: PeerFactory) -> FedifyPeer:
    """One running peer with the local actor ``alice``."""
    return fedify_peer_factory(["alice"])


def add_peer_logs_to_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """Append the tail of each peer's log to a failed test's report (see the module doc)."""
    if not report.failed:
        return
    for peer in item.stash.get(PEERS_KEY, []):
        lines = int(os.environ.get("FEDIFY_PEER_LOG_LINES", LOG_TAIL_LINES))
        report.sections.append(
            (f"fedify-peer {peer.origin} log ({report.when})", peer.process.log_tail(lines))
        )
