"""Run a server process for a test: logged to a file, waited for, and always reaped.

``ManagedProcess`` is generic: it runs the Fedify peer today and ``solnode serve`` / ``solnode
worker`` later.  Design points, each learnt the hard way in CI:

* stdout and stderr go to ONE log file (no pipes: a chatty child can never block on a full
  pipe nobody reads).  Every failure message ends with the last lines of that log, so a red CI
  run says why without anyone fetching artefacts.
* The child gets its own session / process group, and signals go to the whole group, so
  wrappers (a shell script, uvicorn's reloader, a worker pool) cannot leave orphans behind.
* Reaping is guaranteed three ways: ``stop()`` in the test teardown, the context manager, and
  an ``atexit`` safety net.  On Linux the child additionally gets ``PR_SET_PDEATHSIG`` so even
  a SIGKILLed pytest does not leave servers holding ports (only when started from the main
  thread: the signal fires when the *thread* that forked exits).
* ``start()`` may be called again after ``stop()`` / ``kill9()`` (crash-and-restart tests);
  the log is appended to, and readiness checks look only at the current run's output.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Container, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from tests.harness.patience import patient

__all__ = [
    "LOG_TAIL_LINES",
    "ManagedProcess",
    "ProcessError",
    "ProcessExited",
    "ReadinessTimeout",
]

LOG_TAIL_LINES = 50
_POLL_INTERVAL = 0.05
_PR_SET_PDEATHSIG = 1


class ProcessError(RuntimeError):
    """A managed process misbehaved; the message ends with the tail of its log."""

    def __init__(self, message: str, *, log_path: Path | None, returncode: int | None) -> None:
        super().__init__(message)
        self.log_path = log_path
        self.returncode = returncode


class ProcessExited(ProcessError):
    """The process exited while we were waiting for it to become ready."""


class ReadinessTimeout(ProcessError):
    """The process did not become ready in time (it is left running; stop it)."""


# --- atexit safety net ----------------------------------------------------------------------

_live: set[ManagedProcess] = set()
_live_lock = threading.Lock()
_atexit_registered = False


def _register_live(proc: ManagedProcess) -> None:
    global _atexit_registered
    with _live_lock:
        _live.add(proc)
        if not _atexit_registered:
            atexit.register(_stop_all_live)
            _atexit_registered = True


def _unregister_live(proc: ManagedProcess) -> None:
    with _live_lock:
        _live.discard(proc)


def _stop_all_live() -> None:
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.stop(grace=2.0)


def _parent_death_hook(sig: int) -> Callable[[], None] | None:
    """A preexec_fn that makes the kernel send ``sig`` to the child when we die (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return hook


class ManagedProcess:
    """A subprocess with a log file, readiness waits and guaranteed clean-up.

    >>> proc = ManagedProcess(["solnode", "serve", "--port", "8123"], name="node-a")
    >>> with proc:                       # starts; stops (SIGTERM, then SIGKILL) on exit
    ...     proc.wait_for_http("http://127.0.0.1:8123/healthz")

    ``env`` is merged over ``os.environ`` (set ``inherit_env=False`` to pass it alone).
    ``PYTHONUNBUFFERED=1`` is added so Python children flush their readiness lines.
    """

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        cwd: str | os.PathLike[str] | None = None,
        name: str | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        stop_grace: float = 5.0,
        die_with_parent: bool = True,
    ) -> None:
        if not argv:
            raise ValueError("argv must not be empty")
        self.argv = [os.fspath(a) for a in argv]
        self.name = name or Path(self.argv[0]).name
        self.cwd = None if cwd is None else os.fspath(cwd)
        self.stop_grace = stop_grace
        self.die_with_parent = die_with_parent
        merged: dict[str, str] = dict(os.environ) if inherit_env else {}
        merged.setdefault("PYTHONUNBUFFERED", "1")
        merged.update(env or {})
        self.env = merged
        directory = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="proc-"))
        directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.name)
        self.log_path = directory / f"{safe}.log"
        self._popen: subprocess.Popen[bytes] | None = None
        self._run_offset = 0  # where the current run's output starts in the log
        self._runs = 0
        self._swept = True  # the current run's process group has been SIGKILLed after exit

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the process (again, after a stop).  Returns self."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self._runs += 1
        with open(self.log_path, "ab") as log:
            header = f"=== run {self._runs}: {shlex.join(self.argv)} (cwd={self.cwd}) ===\n"
            log.write(header.encode())
            log.flush()
            self._run_offset = log.tell()
            self._swept = False
            hook = _parent_death_hook(signal.SIGKILL) if self.die_with_parent else None
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=hook,  # only ever set from the main thread, see _parent_death_hook
            )
        _register_live(self)
        return self

    @property
    def pid(self) -> int | None:
        """The pid of the current (or last) run, None before the first start."""
        return None if self._popen is None else self._popen.pid

    @property
    def returncode(self) -> int | None:
        """Exit status once the process has exited (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    @property
    def running(self) -> bool:
        """True while the process of the current run is alive."""
        return self._popen is not None and self._popen.poll() is None

    def stop(self, grace: float | None = None) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; reap.  Idempotent.

        Returns the exit status (None if never started).
        """
        popen = self._popen
        if popen is None:
            return None
        if popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                popen.wait(timeout=self.stop_grace if grace is None else grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                popen.wait()
        self._sweep_group()
        _unregister_live(self)
        return popen.returncode

    def kill9(self) -> int:
        """SIGKILL the whole process group at once (a crash, for crash tests) and reap."""
        popen = self._popen
        if popen is None:
            raise RuntimeError(f"{self.name} was never started")
        if popen.poll() is None:
            self._signal_group(signal.SIGKILL)
            popen.wait()
        self._sweep_group()
        _unregister_live(self)
        return popen.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to exit by itself; ProcessError with the log tail on timeout."""
        popen = self._require_started()
        try:
            return popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise self._error(ProcessError, f"did not exit within {timeout} s") from None
        finally:
            if popen.returncode is not None:
                _unregister_live(self)

    def _signal_group(self, sig: signal.Signals) -> None:
        popen = self._popen
        if popen is None:
            return
        # start_new_session=True made the child the leader of a group whose id is its pid.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, sig)

    def _sweep_group(self) -> None:
        # Once per run: kill what a wrapper (shell, reloader, pool) left behind in the group.
        # Only once, so a long-gone group id that the kernel has since reused is never hit.
        if not self._swept:
            self._swept = True
            self._signal_group(signal.SIGKILL)

    def _require_started(self) -> subprocess.Popen[bytes]:
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        return self._popen

    def __enter__(self) -> Self:
        if self._popen is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self.returncode}"
        return f"<ManagedProcess {self.name} pid={self.pid} {state} log={self.log_path}>"

    # --- the log ------------------------------------------------------------------------------

    def log_text(self, *, current_run: bool = False) -> str:
        """The whole log (every run), or only the current run's output."""
        try:
            with open(self.log_path, "rb") as log:
                if current_run:
                    log.seek(self._run_offset)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the log."""
        try:
            with open(self.log_path, "rb") as log:
                tail = deque(log, maxlen=lines)
        except FileNotFoundError:
            return ""
        return b"".join(tail).decode("utf-8", errors="replace").rstrip("\n")

    def _error(self, cls: type[ProcessError], what: str) -> ProcessError:
        rc = self.returncode
        status = "running" if rc is None else f"exit status {rc}"
        message = (
            f"{self.name} (pid {self.pid}, {status}): {what}\n"
            f"  command: {shlex.join(self.argv)}\n"
            f"--- last {LOG_TAIL_LINES} lines of {self.log_path} ---\n"
            f"{self.log_tail()}\n"
            f"--- end of log ---"
        )
        return cls(message, log_path=self.log_path, returncode=rc)

    def failure(self, what: str) -> ProcessError:
        """A ProcessError about this process, with its log tail (for callers' own checks)."""
        return self._error(ProcessError, what)

    # --- readiness ----------------------------------------------------------------------------

    def wait_for_line(self, prefix: str, timeout: float = 30.0) -> str:
        """Wait until the current run prints a line starting with ``prefix``; return that line.

        Raises ProcessExited if the process dies first, ReadinessTimeout after ``timeout``.
        """
        popen = self._require_started()
        deadline = time.monotonic() + patient(timeout)
        offset = self._run_offset
        pending = b""
        wanted = prefix.encode()
        log: IO[bytes]
        with open(self.log_path, "rb") as log:
            while True:
                exited = popen.poll() is not None  # read once more after an exit
                log.seek(offset)
                chunk = log.read()
                offset += len(chunk)
                *complete, pending = (pending + chunk).split(b"\n")
                for line in complete:
                    if line.rstrip(b"\r").startswith(wanted):
                        return line.rstrip(b"\r").decode("utf-8", errors="replace")
                if exited:
                    raise self._error(ProcessExited, f"exited before printing {prefix!r}")
                if time.monotonic() >= deadline:
                    raise self._error(
                        ReadinessTimeout, f"no line starting with {prefix!r} within {timeout} s"
                    )
                time.sleep(_POLL_INTERVAL)

    def wait_for_http(
        self,
        url: str,
        timeout: float = 30.0,
        *,
        expect_status: int | Container[int] | None = None,
    ) -> httpx.Response:
        """Poll ``url`` with GET until it answers; return the response.

        Ready means any status below 500, or one of ``expect_status`` if given.  Proxies from
        the environment are ignored (this is loopback).
        """
        popen = self._require_started()
        deadline = time.monotonic() + patient(timeout)
        last = "no attempt"
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while True:
                if popen.poll() is not None:
                    raise self._error(ProcessExited, f"exited while waiting for {url} ({last})")
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if _status_ok(response.status_code, expect_status):
                        return response
                    last = f"status {response.status_code}"
                if time.monotonic() >= deadline:
                    raise self._error(
                        ReadinessTimeout, f"{url} not ready within {timeout} s (last: {last})"
                    )
                time.sleep(_POLL_INTERVAL * 2)


def _status_ok(status: int, expect: int | Container[int] | None) -> bool:
    if expect is None:
        return status < 500
    if isinstance(expect, int):
        return status == expect
    return status in expect
