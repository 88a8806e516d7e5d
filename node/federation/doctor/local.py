"""The checks that need no network: base URL, schema, job queue, circuits, disk space."""

from __future__ import annotations

import ipaddress
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from node import migrations
from node.federation.doctor.result import Result, fail, ok, warn
from node.settings import Settings

# A ready job older than this is waiting for a worker that is not keeping up (or not running).
OLD_READY_JOB = 3600.0
LOW_DISK_BYTES = 1 << 30
LOW_DISK_SHARE = 0.05


def _private_host(hostname: str) -> bool:
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return hostname == "localhost" or hostname.endswith((".local", ".localhost", ".internal"))
    return address.is_private or address.is_loopback or address.is_link_local


def public_url(settings: Settings) -> Result:
    """The base URL is https on a public name (loopback development is a warning)."""
    name = "public URL"
    parts = urlsplit(settings.base_url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        if settings.is_loopback:
            return warn(
                name,
                f"{settings.base_url} is plain http on loopback: fine for trying things out, "
                "invisible to other servers",
                "to federate, set SOLNODE_BASE_URL to https://your.domain behind a proxy "
                "with a certificate (see deploy/)",
            )
        return fail(
            name,
            f"{settings.base_url} is not https",
            "other servers only talk https: set SOLNODE_BASE_URL to https://your.domain",
        )
    if _private_host(host):
        return warn(
            name,
            f"{host} is a private or local address: servers on the internet cannot reach it",
            "set SOLNODE_BASE_URL to the public domain name of this node",
        )
    return ok(name, f"{settings.base_url}")


def migrations_current(engine: Engine) -> Result:
    """The database schema is at the newest revision this code ships."""
    name = "migrations"
    try:
        current = migrations.current_revision(engine)
    except SQLAlchemyError as exc:
        return fail(name, f"the database cannot be read: {exc}", "check SOLNODE_DATABASE_URL")
    head = migrations.head_revision()
    if current is None:
        return fail(
            name,
            "the database is empty (never initialised)",
            "run solnode init, or point SOLNODE_DATABASE_URL / SOLNODE_DATA_DIR at the real one",
        )
    if current != head:
        return fail(
            name,
            f"the database is at revision {current}, this version needs {head}",
            "run solnode migrate (solnode serve also does it when it starts)",
        )
    return ok(name, f"schema at {head}")


def queue(engine: Engine, *, now: float | None = None) -> Result:
    """How many jobs wait, and how long the oldest one that is due has waited."""
    name = "job queue"
    now = time.time() if now is None else now
    with engine.connect() as conn:
        depth, oldest = conn.execute(
            text("SELECT COUNT(*), MIN(run_at) FROM job WHERE state = 'ready' AND run_at <= :now"),
            {"now": now},
        ).one()
    if not depth:
        return ok(name, "no job is waiting")
    age = now - float(oldest)
    detail = f"{depth} job(s) due, the oldest waiting {age / 60:.0f} min"
    if age > OLD_READY_JOB:
        return warn(
            name,
            detail,
            "is a worker running? start solnode serve (it runs one) or solnode worker",
        )
    return ok(name, detail)


def dead_jobs(engine: Engine) -> Result:
    """Jobs that gave up after all their retries."""
    name = "dead jobs"
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, COUNT(*) FROM job WHERE state = 'dead' GROUP BY kind ORDER BY kind")
        ).all()
    if not rows:
        return ok(name, "none")
    summary = ", ".join(f"{count} {kind}" for kind, count in rows)
    return warn(
        name,
        f"work that failed for good: {summary}",
        "usually a server that is gone; see their last error with `solnode jobs --state dead`, "
        "then `solnode jobs retry ID` (or `--host H`) once the cause is fixed, or "
        "`solnode jobs purge-dead`",
    )


def open_circuits(engine: Engine, *, now: float | None = None) -> Result:
    """Hosts whose deliveries are paused because they kept failing."""
    name = "open circuits"
    now = time.time() if now is None else now
    with engine.connect() as conn:
        hosts = [
            row[0]
            for row in conn.execute(
                text("SELECT host FROM host_state WHERE open_until > :now ORDER BY host"),
                {"now": now},
            )
        ]
    if not hosts:
        return ok(name, "every host is being delivered to")
    shown = ", ".join(hosts[:10]) + (f" and {len(hosts) - 10} more" if len(hosts) > 10 else "")
    return warn(
        name,
        f"deliveries paused for {len(hosts)} host(s): {shown}",
        "these servers kept failing; deliveries resume by themselves when they answer again",
    )


def disk_space(data_dir: Path) -> Result:
    """Free space where the data dir lives."""
    name = "disk space"
    if not data_dir.is_dir():
        return fail(
            name,
            f"the data dir {data_dir} does not exist",
            "run solnode init, or set SOLNODE_DATA_DIR to the node's data dir",
        )
    usage = shutil.disk_usage(data_dir)
    detail = f"{usage.free / (1 << 30):.1f} GiB free of {usage.total / (1 << 30):.1f} GiB"
    if usage.free < LOW_DISK_BYTES or usage.free < LOW_DISK_SHARE * usage.total:
        return warn(name, detail, f"free some space on the disk holding {data_dir}")
    return ok(name, detail)
