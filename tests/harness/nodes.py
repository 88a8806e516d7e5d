"""Our own node as a real process on a loopback port: `solnode serve` with its own database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.harness.patience import patient
from tests.harness.ports import free_port
from tests.harness.procs import ManagedProcess

SOLNODE = str(Path(sys.executable).with_name("solnode"))
AP_ACCEPT = "application/activity+json"


@dataclass
class NodeProcess:
    """One node: a data dir, a database, the CLI bound to them, and the `serve` process."""

    port: int
    data_dir: Path
    database_url: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: ManagedProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOLNODE_")}
        env.update(
            SOLNODE_BASE_URL=self.base_url,
            SOLNODE_DATA_DIR=str(self.data_dir),
            SOLNODE_DATABASE_URL=self.database_url,
            SOLNODE_ALLOW_HOSTS="127.0.0.1",
            SOLNODE_LOG_LEVEL="info",
        )
        env.update(self.extra_env)
        return env

    def cli(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run `solnode ARGS` against this node's configuration."""
        result = subprocess.run(
            [SOLNODE, *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"solnode {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *serve_args: str) -> NodeProcess:
        """Start `solnode serve` and wait until it answers."""
        if self.proc is None:
            self.proc = ManagedProcess(
                [SOLNODE, "serve", "--port", str(self.port), *serve_args],
                env=self.env(),
                inherit_env=False,
                name=f"node-{self.port}",
                log_dir=self.log_dir,
            )
        self.proc.start()
        self.proc.wait_for_http(f"{self.base_url}/.well-known/nodeinfo", timeout=60)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def actor_url(self, slug: str) -> str:
        return f"{self.base_url}/actors/{slug}"

    def handle(self, slug: str) -> str:
        return f"{slug}@{self.host}"

    def get_json(self, url: str, **params: Any) -> Any:
        r = httpx.get(url, params=params, headers={"Accept": AP_ACCEPT}, timeout=10)
        r.raise_for_status()
        return r.json()


def wait_until(
    check: Callable[[], Any], *, timeout: float = 20, interval: float = 0.2, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + patient(timeout)
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {patient(timeout):g}s waiting for {what} (last: {last!r})"
    )


NodeFactory = Callable[..., NodeProcess]


def make_node_factory(
    tmp_path: Path, database_url_factory: Callable[[], str]
) -> Generator[NodeFactory, None, None]:
    """Yield a factory of initialised (not yet started) nodes; stops them all afterwards."""
    nodes: list[NodeProcess] = []

    def factory(**extra_env: str) -> NodeProcess:
        port = free_port()
        name = f"node{len(nodes)}-{uuid.uuid4().hex[:6]}"
        node = NodeProcess(
            port=port,
            data_dir=tmp_path / name,
            database_url=database_url_factory(),
            log_dir=tmp_path / "logs",
            extra_env=dict(extra_env),
        )
        node.cli("init")
        nodes.append(node)
        return node

    try:
        yield factory
    finally:
        for node in nodes:
            node.stop()
