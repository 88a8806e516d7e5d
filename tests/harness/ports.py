"""Free TCP ports on loopback for servers started by tests.

``free_port()`` finds a port nothing listens on (a bind test, then close), and guards
against the two races that matter when several pytest processes run at once:

* the same process handing out one port twice before the first server has bound it (a
  process-local set of handed-out ports);
* two processes being given the same port in the window between ``free_port()`` and the
  server's ``bind()`` (a cross-process reservation: an advisory ``flock`` on a per-port file
  under the temp dir, held while the port is "fresh"; the kernel drops it if we die).

Ports come from below the kernel's ephemeral range (``ip_local_port_range``), which the kernel
never hands to an outgoing connection as its source port: picked from that range (bind to
port 0), a port could be taken by any process's unrelated connection in the seconds between
``free_port()`` and the server's ``bind()`` (a node's ``init`` and set-up run in that gap), and
a whole module of tests then failed with "address already in use". Where the range cannot be
read, the kernel picks, and callers that start servers should retry on "address in use"
(FedifyPeer does).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import random
import socket
import tempfile
import threading
from pathlib import Path

__all__ = ["LOOPBACK", "free_port", "release_port"]

LOOPBACK = "127.0.0.1"

# How many recent reservations to keep locked.  A reservation only has to outlive the gap
# between free_port() and the server binding the port (seconds); after that the bound socket
# itself keeps other processes off the port.
_MAX_HELD_RESERVATIONS = 64
_MAX_ATTEMPTS = 200

_lock = threading.Lock()
_handed_out: set[int] = set()
_held: collections.OrderedDict[int, int] = collections.OrderedDict()  # port -> lock fd


def _reservation_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"solnode-test-ports-{uid}"


def _reserve(port: int) -> bool:
    """Take the cross-process reservation for ``port``; False if another process holds it."""
    directory = _reservation_dir()
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(directory / f"{port}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        return True  # best effort: no reservation possible here, the local set still applies
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _held[port] = fd
    while len(_held) > _MAX_HELD_RESERVATIONS:
        _, old_fd = _held.popitem(last=False)
        os.close(old_fd)
    return True


# Below the ephemeral range and above the ports local services listen on (PostgreSQL 5432,
# Redis 6379, ...); a port something listens on fails the bind test below anyway.
_LOWEST = 20000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _quiet_range() -> range | None:
    """The ports from _LOWEST up to the ephemeral range, None if it cannot be read."""
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return range(_LOWEST, low) if low - _LOWEST >= 1000 else None


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _pick(host: str) -> int:
    quiet = _quiet_range()
    if quiet is not None:
        port = random.choice(quiet)
        return port if _bindable(host, port) else 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        picked: int = sock.getsockname()[1]
        return picked


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that nothing listens on and no other caller was given.

    The port is free at the time of the call; bind it soon.  Thread-safe.
    """
    with _lock:
        for _ in range(_MAX_ATTEMPTS):
            port = _pick(host)
            if not port or port in _handed_out or not _reserve(port):
                continue
            _handed_out.add(port)
            return port
    raise RuntimeError(f"could not find a free port on {host} after {_MAX_ATTEMPTS} attempts")


def release_port(port: int) -> None:
    """Give ``port`` back so a later ``free_port()`` in this process may return it again."""
    with _lock:
        _handed_out.discard(port)
        fd = _held.pop(port, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
