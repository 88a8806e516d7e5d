"""The loopback test harness works end to end: two real Fedify peers federate through it.

If this fails, every other peer test will too; fix the harness (tests/harness/) first.
The fixtures come from tests/conftest.py (``from tests.harness.fixtures import *``).
"""

from __future__ import annotations

import json
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from tests.harness.fixtures import PeerFactory
from tests.harness.peer import PeerError
from tests.harness.ports import free_port
from tests.harness.procs import ManagedProcess, ProcessExited, ReadinessTimeout


@pytest.mark.peer
def test_two_fedify_peers_follow_accept_note_and_refuse_unsigned_post(
    fedify_peer_factory: PeerFactory,
) -> None:
    alice = fedify_peer_factory(["alice"])
    bob = fedify_peer_factory(["bob"])
    assert alice.health() and bob.health()
    assert alice.port != bob.port

    # alice follows bob by handle (WebFinger over http), bob auto-accepts.
    follow = alice.follow(bob.handle("bob"))
    assert follow["target"] == bob.actor_id("bob")
    accepts = alice.inbox(type="Accept", wait=10)
    assert len(accepts) == 1, accepts
    assert accepts[0]["actor"] == bob.actor_id()
    assert accepts[0]["status"] == 202
    assert alice.following()["following"][0]["state"] == "accepted"

    # bob's note reaches his new follower, with an HTTP signature Fedify verified.
    note = bob.note("Hello from bob")
    (create,) = alice.wait_for_inbox("Create", timeout=10)
    assert create["activity"]["object"]["id"] == note["noteId"]
    assert create["status"] == 202
    assert create["httpSignatureVerified"] is True
    assert create["signerKeyId"] == bob.key_id()

    # An unsigned POST to bob's inbox is refused with 401 (and logged as such by bob).
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{alice.actor_id()}/raw/unsigned-1",
        "type": "Create",
        "actor": alice.actor_id(),
        "object": {"type": "Note", "content": "no signature", "attributedTo": alice.actor_id()},
    }
    answer = bob.post_raw(bob.inbox_url(), json.dumps(activity), spec="none")
    assert answer["status"] == 401, answer
    (logged,) = bob.inbox(type="Create")
    assert logged["httpSignature"]["failureReason"] == "noSignature"

    # Control API errors come back as PeerError with the peer's status and text.
    with pytest.raises(PeerError) as error:
        alice.undo(f"{alice.origin}/no-such-activity")
    assert error.value.status == 404
    assert "not one this peer sent" in error.value.error


# --- the process layer, without Node (fast) --------------------------------------------------


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_managed_process_readiness_stop_and_log_tail_in_errors(tmp_path: Path) -> None:
    port = free_port()
    assert port != free_port()
    server = ManagedProcess(
        _python(
            f"""
            import http.server, sys
            handler = http.server.SimpleHTTPRequestHandler
            srv = http.server.HTTPServer(("127.0.0.1", {port}), handler)
            print("READY", srv.server_address)
            print("some noise on stderr", file=sys.stderr)
            srv.serve_forever()
            """
        ),
        name="tiny-http",
        log_dir=tmp_path,
    )
    with server:
        assert server.wait_for_line("READY", timeout=10).startswith("READY")
        assert server.wait_for_http(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        with pytest.raises(ReadinessTimeout) as timeout:
            server.wait_for_line("NEVER", timeout=0.3)
        assert "some noise on stderr" in str(timeout.value)  # the log tail is in the message
    assert server.returncode == -signal.SIGTERM

    # A process that ignores SIGTERM is killed after the grace period.
    stubborn = ManagedProcess(
        _python(
            """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("up", flush=True)
            time.sleep(60)
            """
        ),
        log_dir=tmp_path,
        name="stubborn",
        stop_grace=0.5,
    ).start()
    stubborn.wait_for_line("up", timeout=10)
    assert stubborn.stop() == -signal.SIGKILL

    # A crash before readiness is reported with the process's last words.
    crasher = ManagedProcess(_python("raise SystemExit('boom: bad config')"), log_dir=tmp_path)
    with crasher, pytest.raises(ProcessExited) as exited:
        crasher.wait_for_line("READY", timeout=10)
    assert "boom: bad config" in str(exited.value)
    assert exited.value.returncode == 1

    # kill9 and start again (crash-and-restart tests): readiness looks at the new run only.
    server.start()
    server.wait_for_line("READY", timeout=10)
    assert server.kill9() == -signal.SIGKILL
    ready_lines = [line for line in server.log_text().splitlines() if line.startswith("READY")]
    assert len(ready_lines) == 2  # one per run, in one log
    assert "=== run 2:" in server.log_text()
