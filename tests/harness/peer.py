"""The Fedify peer (../shared/fedify-peer) as a Python object: process + control API client.

The peer is an independent ActivityPub server (Fedify on Node 22) that our integration tests
use as "the other side".  Its README is the reference for every control endpoint; this module
maps them one to one onto typed methods (snake_case arguments, camelCase JSON), and turns
control API errors into ``PeerError`` carrying the status, the peer's error text and the tail
of the peer's log.

    install = ensure_installed()            # once per process; `run.sh install`, file-locked
    with FedifyPeer.start(usernames=["alice"], log_dir=tmp_path) as alice:
        alice.follow("@bob@127.0.0.1:8123")
        accepts = alice.wait_for_inbox("Accept")
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
import tempfile
import threading
import time
from builtins import min as min_  # `min` is also an inbox() argument
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

import httpx

from tests.harness.patience import patient
from tests.harness.ports import LOOPBACK, free_port, release_port
from tests.harness.procs import ManagedProcess, ProcessExited

__all__ = [
    "DEFAULT_INSTALL_TIMEOUT",
    "FedifyPeer",
    "PeerError",
    "PeerInstall",
    "PeerInstallError",
    "ensure_installed",
    "peer_dir",
]

JSON = dict[str, Any]

DEFAULT_INSTALL_TIMEOUT = 900.0  # a cold `npm ci` fetches ~270 MB (mostly the Node 22 binary)
_READY_PREFIX = "READY "
_START_ATTEMPTS = 3  # with an auto-picked port, retry if another process grabbed it first
_LOG_LINES_IN_ERRORS = 25

# Peer CLI flags (see `run.sh --help`), as Python keyword names.  Switches take no value.
_SWITCHES = frozenset({"no_ed25519", "accept_signature_challenge"})
_VALUE_FLAGS = frozenset(
    {
        "host",
        "origin",
        "display_name",
        "control_port",
        "auto_accept",
        "first_knock",
        "rsa_bits",
        "webfinger_scheme",
        "signature_time_window",
        "retry_attempts",
        "allow_hosts",
        "log_level",
    }
)

FlagValue = str | int | bool | Sequence[str] | None


# --- locating and installing the peer -------------------------------------------------------


def peer_dir() -> Path:
    """The fedify-peer folder: $FEDIFY_PEER_DIR, else ``../shared/fedify-peer`` beside the repo."""
    override = os.environ.get("FEDIFY_PEER_DIR")
    if override:
        return Path(override).expanduser().resolve()
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "fedify-peer"


class PeerInstallError(RuntimeError):
    """The peer's dependencies could not be installed (or the peer folder is missing)."""


@dataclass(frozen=True)
class PeerInstall:
    """The outcome of ``ensure_installed()``."""

    peer_dir: Path
    node: str  # the Node >= 22 binary run.sh will use, with its version
    seconds: float  # wall time of `run.sh install` (incl. waiting for another process's install)
    installed_now: bool  # True if this call actually ran `npm ci`
    output: str


_installs: dict[Path, PeerInstall] = {}
_install_lock = threading.Lock()


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def ensure_installed(directory: Path | None = None, *, timeout: float | None = None) -> PeerInstall:
    """Run ``run.sh install`` once per process for ``directory`` (default: ``peer_dir()``).

    Serialised across processes with a file lock (parallel pytest runs on a fresh machine),
    so only the first one downloads; the others wait and then find the install done.
    ``timeout`` defaults to $FEDIFY_PEER_INSTALL_TIMEOUT or 900 s.
    """
    path = (directory or peer_dir()).resolve()
    with _install_lock:
        done = _installs.get(path)
        if done is not None:
            return done
        run_sh = path / "run.sh"
        if not run_sh.is_file():
            raise PeerInstallError(
                f"fedify-peer not found: {run_sh} does not exist. The integration tests expect "
                f"the shared folder beside the repository (../shared/fedify-peer) or "
                f"FEDIFY_PEER_DIR pointing at it."
            )
        if timeout is None:
            timeout = float(os.environ.get("FEDIFY_PEER_INSTALL_TIMEOUT", DEFAULT_INSTALL_TIMEOUT))
        key = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        lock_path = Path(tempfile.gettempdir()) / f"fedify-peer-install-{key}.lock"
        started = time.monotonic()
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            try:
                result = subprocess.run(
                    ["bash", str(run_sh), "install"],
                    cwd=path,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                output = (exc.output or b"").decode("utf-8", errors="replace")
                raise PeerInstallError(
                    f"`{run_sh} install` did not finish within {timeout:.0f} s "
                    f"(set FEDIFY_PEER_INSTALL_TIMEOUT to allow more).\n"
                    f"--- output (tail) ---\n{_tail(output, 40)}"
                ) from None
        seconds = time.monotonic() - started
        output = result.stdout.decode("utf-8", errors="replace")
        if result.returncode != 0:
            raise PeerInstallError(
                f"`{run_sh} install` failed with exit status {result.returncode} after "
                f"{seconds:.1f} s. The first install runs `npm ci`, which needs npm and the npm "
                f"registry (~270 MB, mostly the Node 22 binary); alternatively point "
                f"FEDIFY_PEER_NODE at a Node >= 22.\n--- output (tail) ---\n{_tail(output, 40)}"
            )
        match = re.search(r"node: (.+)$", output, re.MULTILINE)
        install = PeerInstall(
            peer_dir=path,
            node=match.group(1).strip() if match else "?",
            seconds=seconds,
            installed_now="installing npm dependencies" in output,
            output=output,
        )
        _installs[path] = install
        return install


# --- errors ---------------------------------------------------------------------------------


class PeerError(RuntimeError):
    """A control API call failed: ``status`` (None if the peer was unreachable) and ``error``."""

    def __init__(
        self,
        status: int | None,
        error: str,
        *,
        method: str,
        path: str,
        detail: str | None = None,
        log_tail: str = "",
    ) -> None:
        self.status = status
        self.error = error
        self.detail = detail
        self.method = method
        self.path = path
        shown = "unreachable" if status is None else str(status)
        message = f"fedify-peer {method} {path} -> {shown}: {error}"
        if detail:
            message += f" ({detail})"
        if log_tail:
            message += f"\n--- peer log (tail) ---\n{log_tail}\n--- end of peer log ---"
        super().__init__(message)


# --- the peer -------------------------------------------------------------------------------


def _flag_args(flags: Mapping[str, FlagValue]) -> list[str]:
    args: list[str] = []
    for name, value in flags.items():
        if name not in _SWITCHES and name not in _VALUE_FLAGS:
            known = ", ".join(sorted(_SWITCHES | _VALUE_FLAGS))
            raise TypeError(f"unknown fedify-peer flag {name!r}; known: {known}")
        if value is None:
            continue
        option = "--" + name.replace("_", "-")
        if name in _SWITCHES:
            if value:
                args.append(option)
        elif isinstance(value, bool):
            args += [option, "true" if value else "false"]
        elif isinstance(value, str | int):
            args += [option, str(value)]
        else:
            args += [option, ",".join(value)]
    return args


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class Sending(TypedDict, total=False):
    """How the peer sends: as which of its actors, whether the control call waits for the
    delivery, and whether to the recipient's shared inbox."""

    as_: str | None
    wait: bool | None
    shared_inbox: bool | None


def _opts(how: Sending) -> JSON:
    """The control API's names for ``how`` (only what was given)."""
    names = {"as_": "as", "wait": "wait", "shared_inbox": "sharedInbox"}
    return {names[key]: value for key, value in how.items() if value is not None}


def _present(fields: JSON) -> JSON:
    """The fields that were given (the control API's defaults stand for the others)."""
    return {name: value for name, value in fields.items() if value is not None}


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class FedifyPeer:
    """One running fedify-peer process and a client for its control API.

    Create with ``FedifyPeer.start(...)``; stop with ``stop()`` or a ``with`` block.  Sending
    methods take keyword-only ``as_`` (which local actor), ``wait`` (False: queued background
    delivery with retries instead of immediate delivery) and ``shared_inbox``.
    """

    def __init__(
        self,
        process: ManagedProcess,
        *,
        origin: str,
        base_url: str,
        control_url: str,
        usernames: Sequence[str],
        request_timeout: float = 30.0,
    ) -> None:
        self.process = process
        self.origin = origin
        self.base_url = base_url
        self.control_url = control_url
        self.usernames = list(usernames)
        self.request_timeout = request_timeout
        self._client = self._new_client()

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        port: int | None = None,
        usernames: Sequence[str] | str = ("alice",),
        *,
        log_dir: str | os.PathLike[str] | None = None,
        directory: Path | None = None,
        ready_timeout: float = 60.0,
        request_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        flags: Mapping[str, FlagValue] | None = None,
        **more_flags: FlagValue,
    ) -> FedifyPeer:
        """Start a peer on ``port`` (a free one if None) and wait for its READY line.

        ``usernames``: local actors, the first is the control API default.  Other keywords
        are the peer's CLI flags in snake_case (``auto_accept=False``, ``first_knock="draft-
        cavage-http-signatures-12"``, ``no_ed25519=True``, ``allow_hosts=["a", "b"]``, ...);
        ``flags`` takes the same as a mapping.  Unknown flags raise TypeError.
        """
        flags = {**(flags or {}), **more_flags}
        path = (directory or peer_dir()).resolve()
        ensure_installed(path)
        names = [n.strip() for u in _as_list(usernames) for n in u.split(",") if n.strip()]
        if not names:
            raise ValueError("at least one username is required")
        extra = _flag_args(flags)
        host = str(flags.get("host") or LOOPBACK)
        attempts = 1 if port is not None else _START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            chosen = port if port is not None else free_port()
            argv = ["bash", str(path / "run.sh"), "--port", str(chosen)]
            argv += ["--username", ",".join(names), *extra]
            process = ManagedProcess(
                argv, env=env, cwd=path, name=f"fedify-peer-{chosen}", log_dir=log_dir
            )
            process.start()
            try:
                line = process.wait_for_line(_READY_PREFIX, timeout=ready_timeout)
            except ProcessExited:
                process.stop()
                if port is None:
                    release_port(chosen)
                if attempt < attempts and "EADDRINUSE" in process.log_tail():
                    continue
                raise
            except BaseException:
                process.stop()
                raise
            base_url = f"http://{_url_host(host)}:{chosen}"
            control_port = flags.get("control_port")
            control_base = (
                base_url if not control_port else f"http://{_url_host(host)}:{control_port}"
            )
            return cls(
                process,
                origin=line[len(_READY_PREFIX) :].strip(),
                base_url=base_url,
                control_url=f"{control_base}/control",
                usernames=names,
                request_timeout=request_timeout,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> int | None:
        """Stop the peer (SIGTERM, then SIGKILL).  Idempotent; later calls raise PeerError."""
        returncode = self.process.stop()
        self._renew_client()
        return returncode

    def kill9(self) -> int:
        """Kill the peer with SIGKILL (a crash).  Later calls raise PeerError (unreachable)."""
        returncode = self.process.kill9()
        self._renew_client()
        return returncode

    def restart(self, ready_timeout: float = 60.0) -> None:
        """Stop and start again on the same port.  All state is lost and keys are new."""
        self.stop()
        self.process.start()
        try:
            self.process.wait_for_line(_READY_PREFIX, timeout=ready_timeout)
        except BaseException:
            self.process.stop()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FedifyPeer {self.origin} users={self.usernames} {self.process!r}>"

    @property
    def log_path(self) -> Path:
        """The peer's log file (stdout + stderr)."""
        return self.process.log_path

    @property
    def port(self) -> int:
        """The port the peer listens on."""
        return httpx.URL(self.base_url).port or 80

    # --- names --------------------------------------------------------------------------------

    def _user(self, username: str | None) -> str:
        return username or self.usernames[0]

    def actor_id(self, username: str | None = None) -> str:
        """``http://127.0.0.1:PORT/users/NAME`` (default: the first local user)."""
        return f"{self.origin}/users/{self._user(username)}"

    def handle(self, username: str | None = None) -> str:
        """``@NAME@127.0.0.1:PORT``."""
        return f"@{self._user(username)}@{httpx.URL(self.origin).netloc.decode()}"

    def inbox_url(self, username: str | None = None) -> str:
        """The personal inbox of a local actor."""
        return f"{self.actor_id(username)}/inbox"

    @property
    def shared_inbox_url(self) -> str:
        """The peer's shared inbox."""
        return f"{self.origin}/inbox"

    def key_id(self, username: str | None = None) -> str:
        """The RSA key id used for HTTP signatures (the same across restarts; the key is not)."""
        return f"{self.actor_id(username)}#main-key"

    # --- control API plumbing -----------------------------------------------------------------

    def _new_client(self) -> httpx.Client:
        # trust_env=False: an HTTP(S)_PROXY in CI must never see loopback test traffic.
        return httpx.Client(
            base_url=self.control_url, timeout=self.request_timeout, trust_env=False
        )

    def _renew_client(self) -> None:
        # Drop pooled keep-alive connections to the old process; the new client has none yet.
        self._client.close()
        self._client = self._new_client()

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: JSON | None = None,
        params: Mapping[str, str | int] | None = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            response = self._client.request(
                method,
                path,
                json=body,
                params=params,
                timeout=self.request_timeout if timeout is None else timeout,
            )
        except httpx.TransportError as exc:
            raise PeerError(
                None,
                f"{type(exc).__name__}: {exc}",
                method=method,
                path=f"/control{path}",
                detail=None if self.process.running else "the peer process has exited",
                log_tail=self.process.log_tail(_LOG_LINES_IN_ERRORS),
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            detail = data.get("detail") if isinstance(data, dict) else None
            raise PeerError(
                response.status_code,
                str(error) if error is not None else response.text[:2000],
                method=method,
                path=f"/control{path}",
                detail=None if detail is None else str(detail),
                log_tail=self.process.log_tail(_LOG_LINES_IN_ERRORS),
            )
        return data

    # --- control API --------------------------------------------------------------------------

    def health(self) -> bool:
        """True if the control API answers ``{ok: true}``; False if unreachable."""
        try:
            data = self._call("GET", "/health", timeout=5.0)
        except PeerError:
            return False
        return bool(isinstance(data, dict) and data.get("ok"))

    def info(self) -> JSON:
        """Origin, actors (ids, inboxes, key ids) and the effective config."""
        data: JSON = self._call("GET", "/info")
        return data

    def follow(self, target: str, **how: Unpack[Sending]) -> JSON:
        """Send a Follow to ``target`` (actor URL or handle) -> {followId, target, state}."""
        return self._post("/follow", {"target": target}, how)

    def unfollow(self, target: str, **how: Unpack[Sending]) -> JSON:
        """Send Undo(Follow) to ``target`` -> {undoId, target}."""
        return self._post("/unfollow", {"target": target}, how)

    def note(
        self,
        content: str,
        to: str | Sequence[str] | None = None,
        in_reply_to: str | None = None,
        visibility: str | None = None,
        *,
        summary: str | None = None,
        sensitive: bool | None = None,
        **how: Unpack[Sending],
    ) -> JSON:
        """Create(Note) to the followers plus mentioned ``to`` -> {noteId, activityId, to, cc}.

        ``visibility``: public (default) | unlisted | followers | direct.
        """
        given = {"to": None if to is None else _as_list(to), "inReplyTo": in_reply_to,
                 "visibility": visibility, "summary": summary, "sensitive": sensitive}  # fmt: skip
        return self._post("/note", {"content": content} | _present(given), how)

    def like(self, object: str, **how: Unpack[Sending]) -> JSON:
        """Like ``object`` (sent to its author) -> {activityId, object, author}."""
        return self._post("/like", {"object": object}, how)

    def announce(self, object: str, **how: Unpack[Sending]) -> JSON:
        """Announce ``object`` to the followers and its author -> {activityId, object, author}."""
        return self._post("/announce", {"object": object}, how)

    def undo(self, activity: str, **how: Unpack[Sending]) -> JSON:
        """Undo an activity this peer sent (by id), to the same recipients -> {undoId, undone}."""
        return self._post("/undo", {"activity": activity}, how)

    def delete(self, object: str, **how: Unpack[Sending]) -> JSON:
        """Delete(Tombstone) one of this peer's notes -> {activityId, deleted}."""
        return self._post("/delete", {"object": object}, how)

    def send(
        self,
        activity: Mapping[str, Any],
        to: str | Sequence[str] | None = None,
        *,
        to_followers: bool | None = None,
        **how: Unpack[Sending],
    ) -> JSON:
        """Deliver arbitrary activity JSON through Fedify (signed; Fedify normalises it).

        Returns {activityId, recipients}.  For exact bytes use ``post_raw``.
        """
        given = {"to": None if to is None else _as_list(to), "toFollowers": to_followers}
        return self._post("/send", {"activity": dict(activity)} | _present(given), how)

    def post_raw(
        self,
        inbox: str,
        body: str | bytes | Mapping[str, Any],
        spec: str | None = None,
        key_id: str | None = None,
        signed_at: datetime | str | None = None,
        tamper_body: bool = False,
        headers: Mapping[str, str] | None = None,
        *,
        as_: str | None = None,
    ) -> JSON:
        """POST ``body`` byte-for-byte to ``inbox``, signed by a local actor or not.

        ``spec``: rfc9421 (the peer's default) | draft-cavage-http-signatures-12 | none
        (unsigned).  ``signed_at`` backdates the signature (naive datetimes are UTC);
        ``tamper_body`` alters the body after signing; ``key_id`` overrides the advertised key.
        Returns {status, responseHeaders, responseBody, sentHeaders}: the inbox's answer, which
        is NOT raised as an error (a 401 here is usually the point of the test).
        """
        if isinstance(body, bytes):
            # The control API carries the body as a JSON string and sends its UTF-8 bytes.
            payload: str | JSON = body.decode("utf-8")
        elif isinstance(body, str):
            payload = body
        else:
            payload = dict(body)
        request: JSON = {"inbox": inbox, "body": payload}
        if as_ is not None:
            request["as"] = as_
        if spec is not None:
            request["spec"] = spec
        if key_id is not None:
            request["keyId"] = key_id
        if signed_at is not None:
            if isinstance(signed_at, datetime):
                if signed_at.tzinfo is None:
                    signed_at = signed_at.replace(tzinfo=UTC)
                signed_at = signed_at.isoformat()
            request["signedAt"] = signed_at
        if tamper_body:
            request["tamperBody"] = True
        if headers is not None:
            request["headers"] = dict(headers)
        data: JSON = self._call("POST", "/post-raw", body=request)
        return data

    def also_known_as(self, aliases: Sequence[str], *, as_: str | None = None) -> JSON:
        """Set the local actor's ``alsoKnownAs`` (``[]`` clears it), for testing ``Move``."""
        return self._post("/also-known-as", {"alsoKnownAs": list(aliases)}, {"as_": as_})

    def accept(
        self,
        actor: str | None = None,
        *,
        follow: str | None = None,
        **how: Unpack[Sending],
    ) -> JSON:
        """Accept a pending Follow (peer started with ``auto_accept=False``), by actor or id."""
        return self._settle("/accept", actor, follow, how)

    def reject(
        self,
        actor: str | None = None,
        *,
        follow: str | None = None,
        **how: Unpack[Sending],
    ) -> JSON:
        """Reject a pending Follow, by actor or Follow id."""
        return self._settle("/reject", actor, follow, how)

    def _settle(self, path: str, actor: str | None, follow: str | None, how: Sending) -> JSON:
        if (actor is None) == (follow is None):
            raise ValueError("give exactly one of actor or follow")
        return self._post(path, _present({"actor": actor, "follow": follow}), how)

    def _post(self, path: str, body: JSON, how: Sending) -> JSON:
        """POST ``body`` plus how to send it to the control API."""
        data: JSON = self._call("POST", path, body=body | _opts(how))
        return data

    def inbox(
        self,
        type: str | None = None,
        since: int | None = None,
        wait: float | None = None,
        min: int | None = None,
    ) -> list[JSON]:
        """Inbox log entries (every POST to any inbox), oldest first, only completed ones.

        ``type`` filters by activity type; ``since`` by seq (exclusive); ``wait`` long-polls up
        to that many seconds (the peer caps it at 60) until ``min`` (default 1) entries match.
        A long poll that times out returns what there is: check the length, or use
        ``wait_for_inbox``.
        """
        params: dict[str, str | int] = {}
        if type is not None:
            params["type"] = type
        if since is not None:
            params["since"] = since
        if wait is not None:
            params["wait"] = str(wait)
        if min is not None:
            params["min"] = min
        timeout = self.request_timeout + (wait or 0)
        data = self._call("GET", "/inbox", params=params, timeout=timeout)
        items: list[JSON] = data["items"]
        return items

    def wait_for_inbox(
        self,
        type: str | None = None,
        *,
        since: int | None = None,
        min: int = 1,
        timeout: float = 10.0,
    ) -> list[JSON]:
        """Like ``inbox(wait=timeout)``, but fail (AssertionError) if fewer than ``min`` arrive.

        The failure lists what the inbox did receive, which is usually the answer.
        """
        deadline = time.monotonic() + patient(timeout)
        while True:  # the peer caps one long poll at 60 s
            left = max(deadline - time.monotonic(), 0.0)
            items = self.inbox(type=type, since=since, wait=min_(left, 60.0), min=min)
            if len(items) >= min or left <= 0 or time.monotonic() >= deadline:
                break
        if len(items) >= min:
            return items
        everything = self.inbox(since=since)
        seen = "\n".join(
            f"  seq={e.get('seq')} {e.get('type')} status={e.get('status')} path={e.get('path')} "
            f"actor={e.get('actor')} sig={(e.get('httpSignature') or {}).get('failureReason')}"
            for e in everything
        )
        raise AssertionError(
            f"{self.origin}: expected {min} inbox entr{'y' if min == 1 else 'ies'} of type "
            f"{type or 'any'} within {timeout} s, got {len(items)}. Inbox log"
            f"{'' if since is None else f' since seq {since}'}:\n{seen or '  (empty)'}"
        )

    def outgoing(self, since: int | None = None) -> JSON:
        """Every outgoing request -> {count, items, deliveryErrors}."""
        params = {} if since is None else {"since": since}
        data: JSON = self._call("GET", "/outgoing", params=params)
        return data

    def lookup(
        self,
        id: str,
        signed: bool = True,
        *,
        resolver: str | None = None,
        as_: str | None = None,
    ) -> JSON:
        """Fetch ``id`` (URL or handle) through Fedify's loader -> {found, type, id, raw, parsed}.

        ``resolver="fedify"`` uses Fedify's own WebFinger (https only, see the peer README).
        """
        params: dict[str, str | int] = {"id": id, "signed": 1 if signed else 0}
        if resolver is not None:
            params["resolver"] = resolver
        if as_ is not None:
            params["as"] = as_
        data: JSON = self._call("GET", "/lookup", params=params)
        return data

    def followers(self, *, as_: str | None = None) -> JSON:
        """{followers: [...], pending: [...]} (with several local users and no ``as_``:
        {user: record})."""
        params = {} if as_ is None else {"as": as_}
        data: JSON = self._call("GET", "/followers", params=params)
        return data

    def following(self, *, as_: str | None = None) -> JSON:
        """{following: [{id, followId, state: pending|accepted|rejected, ...}]}."""
        params = {} if as_ is None else {"as": as_}
        data: JSON = self._call("GET", "/following", params=params)
        return data

    def objects(self) -> list[JSON]:
        """Everything this peer created: [{id, kind, identifier, json}]."""
        data = self._call("GET", "/objects")
        items: list[JSON] = data["items"]
        return items

    def reset(self) -> None:
        """Forget logs, followers, following, objects and Fedify's caches (keys stay)."""
        self._call("POST", "/reset")
