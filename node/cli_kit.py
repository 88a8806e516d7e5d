"""The kit every ``solnode`` command is written with: one ``CliContext`` per run, the
``CliError`` a command raises for a one-line message, and helpers to declare commands.

It sits below the features (a kit, like node/web and node/api) so that each feature's
``cli.py`` can take a ``CliContext`` without importing node/cli, which imports them all.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from node.settings import Settings, load_settings, safe_database_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from node.federation.context import NodeContext
    from node.models import LocalActor

T = TypeVar("T")

# The subcommands of a parser (argparse keeps the class private; there is no public name).
Subcommands = argparse._SubParsersAction


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


class CliContext:
    """What the commands of one ``solnode`` run share: settings read once, and an engine built
    (with the schema brought up to date) once, on first use — so a command that never touches
    the database never opens it."""

    def __init__(self, base_url: str | None = None) -> None:
        self._base_url = base_url
        self._settings: Settings | None = None
        self._engine: Engine | None = None
        self._made: Engine | None = None
        self._node: NodeContext | None = None
        self._instance_ready = False
        # ``rebase`` turns this off: it is the one command meant to run on another base URL.
        self.check_base_url = True

    @property
    def settings(self) -> Settings:
        """The node's settings (SOLNODE_* variables; ``--base-url`` overrides the base URL)."""
        if self._settings is None:
            overrides: dict[str, Any] = {"base_url": self._base_url} if self._base_url else {}
            self._settings = load_settings(**overrides)
        return self._settings

    def adopt(self, settings: Settings) -> None:
        """Use these settings instead (a generated secret, the address ``serve`` listens on);
        only before the engine exists, so everything in this run sees the same settings."""
        if self._engine is not None or (
            self._made is not None and settings.database_url != self.settings.database_url
        ):
            raise RuntimeError("settings can change only before the database is opened")
        self._settings = settings

    @property
    def engine(self) -> Engine:
        """The database engine; the first use migrates the schema to the newest revision."""
        if self._engine is None:
            from node import migrations  # lazy: start-up

            engine = self._unmigrated()
            if migrations.upgrade(engine):
                revision = migrations.head_revision()
                print(f"Database migrated to {revision}.", file=sys.stderr)
            if self.check_base_url:
                check_base_url(engine, self.settings)
            self._engine = engine
        return self._engine

    def _unmigrated(self) -> Engine:
        """The engine, made once, before the schema check (``require_initialised`` looks first)."""
        if self._made is None:
            from node.db import make_engine  # lazy: start-up

            self._made = make_engine(self.settings)
        return self._made

    def require_initialised(self) -> None:
        """Refuse a data dir or database ``solnode init`` never set up (before anything is
        created), naming where this run looked and how to point it elsewhere."""
        settings = self.settings
        where = (
            f"data dir {settings.data_dir.resolve()}, "
            f"database {safe_database_url(settings.database_url)}"
        )
        way_out = (
            "run `solnode init` to set up a node here, or point SOLNODE_DATA_DIR / "
            "SOLNODE_DATABASE_URL (or SOLNODE_CONFIG) at the node's data"
        )
        url = settings.database_url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:" and not Path(path).exists():
                raise CliError(f"no node was initialised here ({where}): {way_out}")
        if not settings.secret_key:
            raise CliError(f"this node has no secret key ({where}): {way_out}")
        from node import migrations  # lazy: start-up

        if migrations.current_revision(self._unmigrated()) is None:
            raise CliError(f"the database was never initialised ({where}): {way_out}")

    @property
    def node(self) -> NodeContext:
        """The node context for services that need one (outbound client opened by ``run``)."""
        if self._node is None:
            from node.federation.context import NodeContext  # lazy: start-up

            self._node = NodeContext.build(self.settings, self.engine)
        return self._node

    def ensure_instance(self) -> None:
        """Create the instance actor if it is missing (it signs what the node itself sends)."""
        if not self._instance_ready:
            from node.db import session_scope  # lazy: start-up
            from node.federation.actors.local import ensure_instance_actor  # lazy: start-up

            with session_scope(self.engine) as session:
                ensure_instance_actor(session, self.settings.instance_name)
            self._instance_ready = True

    def local_actor(self, slug: str) -> LocalActor:
        """The organization or network ``slug`` of this node; a clear error when there is none."""
        from sqlmodel import Session  # lazy: start-up

        from node.federation.actors.local import get_actor  # lazy: start-up

        with Session(self.engine) as session:
            actor = get_actor(session, slug)
        if actor is None:
            raise CliError(f"no organization or network with slug {slug!r} on this node")
        return actor

    def run(
        self,
        work: Callable[[NodeContext], Awaitable[T]],
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    ) -> T:
        """Run async node work to completion, with the outbound HTTP client open for it."""
        return self.node.run(work, loop_factory)

    def close(self) -> None:
        """Release the database connections of this run."""
        if self._made is not None:
            self._made.dispose()


def check_base_url(engine: Engine, settings: Settings) -> None:
    """Refuse a base URL other than the one the data was created with (every stored id starts
    with it); record it on first use (``init``, or a node older than the record)."""
    from node.db import session_scope  # lazy: start-up
    from node.models import NodeMeta  # lazy: start-up

    with session_scope(engine) as session:
        row = session.get(NodeMeta, BASE_URL_KEY)
        if row is None:
            session.add(NodeMeta(key=BASE_URL_KEY, value=settings.base_url))
            return
        stored = row.value
    if stored != settings.base_url:
        raise CliError(
            f"this node's data was created for {stored}, but this run's base URL is "
            f"{settings.base_url}; ids are forever, so the node refuses to serve them under "
            f"another address. Use SOLNODE_BASE_URL={stored} (with `make run`, the HOST and "
            f"PORT it was first run with), or, for a node that never federated, move it with "
            f"`solnode rebase {settings.base_url}`"
        )


BASE_URL_KEY = "base_url"

Handler = Callable[[CliContext, argparse.Namespace], int]


def add_command(
    parent: Subcommands[argparse.ArgumentParser], name: str, handler: Handler, help_: str
) -> argparse.ArgumentParser:
    """Declare ``name`` under ``parent``, run by ``handler(ctx, args)``."""
    parser: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
    parser.set_defaults(func=handler)
    return parser


def add_group(
    parent: Subcommands[argparse.ArgumentParser], name: str, help_: str, dest: str = "action"
) -> Subcommands[argparse.ArgumentParser]:
    """Declare a noun (``solnode relay ...``) whose verbs are added to what this returns."""
    group: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
    return group.add_subparsers(dest=dest, metavar=dest.upper(), required=True)


def operator() -> str:
    """Who a decision is logged as: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"
