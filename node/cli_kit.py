"""The kit every ``solnode`` command is written with: one ``CliContext`` per run, the
``CliError`` a command raises for a one-line message, and helpers to declare commands.

It sits below the features (a kit, like node/web and node/api) so that each feature's
``cli.py`` can take a ``CliContext`` without importing node/cli, which imports them all.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from node.settings import Settings, load_settings

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
        self._node: NodeContext | None = None
        self._instance_ready = False

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
        if self._engine is not None:
            raise RuntimeError("settings can change only before the database is opened")
        self._settings = settings

    @property
    def engine(self) -> Engine:
        """The database engine; the first use migrates the schema to the newest revision."""
        if self._engine is None:
            from node import migrations  # lazy: start-up
            from node.db import make_engine  # lazy: start-up

            engine = make_engine(self.settings)
            if migrations.upgrade(engine):
                revision = migrations.head_revision(engine)
                print(f"Database migrated to {revision}.", file=sys.stderr)
            self._engine = engine
        return self._engine

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

    def run(self, work: Callable[[NodeContext], Awaitable[T]]) -> T:
        """Run async node work to completion, with the outbound HTTP client open for it."""
        return self.node.run(work)

    def close(self) -> None:
        """Release the database connections of this run."""
        if self._engine is not None:
            self._engine.dispose()


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
