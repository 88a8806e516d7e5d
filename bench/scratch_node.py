"""A throwaway SQLite node in a temporary directory, migrated, for the benchmarks that drive
the delivery code in process (bench_fanout.py, bench_deadhosts.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from node import migrations
from node.db import make_engine
from node.settings import Settings, load_settings

BASE = "http://127.0.0.1:8000"


def scratch_node(directory: str) -> tuple[Settings, Engine]:
    """Settings and a migrated engine for a node at ``BASE`` whose data is in ``directory``;
    loopback is allowed as a delivery target (the inboxes are loopback servers)."""
    settings = load_settings(
        env={},
        base_url=BASE,
        data_dir=directory,
        database_url=f"sqlite:///{directory}/bench.db",
        secret_key="bench",
        allow_hosts="127.0.0.1",
    )
    engine = make_engine(settings)
    migrations.upgrade(engine)
    return settings, engine
