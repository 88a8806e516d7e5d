"""Free TCP ports on loopback for servers started by tests.

``free_port()`` asks the kernel for an unused port (bind to port 0, then close), and guards
against the two races that matter when several pytest processes run at once:

* the same process handing out one port twice before the first server has bound it (a
  process-local set of handed-out ports);
* two processes being given the same port in the window between ``free_port()`` and the
  server's ``bind()`` (a cross-process reservation: an advisory ``flock`` on a per-port file
  under the temp dir, held while the port is "fresh"; the kernel drops it if we die).

What remains is an unrelated outgoing connection taking the port as its source port during
that short window; callers that start servers should retry on "address in use" (FedifyPeer
does).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
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


def _kernel_pick(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that nothing listens on and no other caller was given.

    The port is free at the time of the call; bind it soon.  Thread-safe.
    """
    with _lock:
        for _ in range(_MAX_ATTEMPTS):
            port = _kernel_pick(host)
            if port in _handed_out or not _reserve(port):
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
