"""`make run PORT=…` from a fresh data dir serves a working demo on that port: the commands
`make run` runs (init, demo, serve, with the SOLNODE_BASE_URL it passes), on a free loopback
port, in an empty folder. The network calendar lists the members' events (their Joins were
admitted through the protocol) and the handles resolve over WebFinger."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.harness.nodes import SOLNODE, wait_until
from tests.harness.ports import free_port
from tests.harness.procs import ManagedProcess

HOST = "127.0.0.1"


def test_make_run_on_another_port_serves_a_working_demo(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://{HOST}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLNODE_")}
    env["SOLNODE_BASE_URL"] = base  # what the Makefile's run target passes to all three
    for command in (["init"], ["demo"]):
        done = subprocess.run(
            [SOLNODE, *command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    serve = ManagedProcess(
        [SOLNODE, "serve", "--host", HOST, "--port", str(port)],
        env=env,
        inherit_env=False,
        cwd=tmp_path,
        name="quick-start",
        log_dir=tmp_path / "logs",
    )
    try:
        serve.start()
        serve.wait_for_http(f"{base}/.well-known/nodeinfo", timeout=60)

        def calendar() -> str | None:
            page = httpx.get(f"{base}/networks/ussen/calendar", timeout=10).text
            both = "Strengthening the Solidarity Economy" in page and "peer support forum" in page
            return page if both else None

        wait_until(calendar, timeout=60, what="the members' events on the network calendar")
        for slug in ("ussen", "nec", "sjn"):
            finger = httpx.get(
                f"{base}/.well-known/webfinger",
                params={"resource": f"acct:{slug}@{HOST}:{port}"},
                timeout=10,
            )
            assert finger.status_code == 200, slug
            links = [link.get("href") for link in finger.json()["links"]]
            assert f"{base}/actors/{slug}" in links
            actor = httpx.get(
                f"{base}/actors/{slug}",
                headers={"Accept": "application/activity+json"},
                timeout=10,
            )
            assert actor.status_code == 200 and actor.json()["id"] == f"{base}/actors/{slug}"
    finally:
        serve.stop()
    assert (tmp_path / "data" / "solnode.db").exists()  # the data dir `make run` uses


def test_the_makefile_runs_these_commands_with_one_base_url() -> None:
    """The test above runs what `make run PORT=…` runs: `make -n` (nothing executed, and the
    install step taken as done) lists init, demo and serve, each with the same base URL."""
    make = shutil.which("make")
    # make runs this very suite (`make test`), so it is there; a clear message if not.
    assert make is not None, "make is needed: apt-get install make"
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLNODE_")}
    done = subprocess.run(
        # -o: the install stamp counts as made. Not STAMP=Makefile: make runs the recipe that
        # remakes a makefile even under -n, so a pyproject.toml newer than Makefile installed
        # a venv here.
        [make, "-n", "-o", ".venv/.installed", "run", "PORT=8123"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if "solnode" in line]
    assert lines == [
        "SOLNODE_BASE_URL=http://127.0.0.1:8123 .venv/bin/solnode init",
        "SOLNODE_BASE_URL=http://127.0.0.1:8123 .venv/bin/solnode demo",
        "SOLNODE_BASE_URL=http://127.0.0.1:8123 .venv/bin/solnode serve --host 127.0.0.1 --port 8123",
    ]
