"""Setting a node up and looking at it: ``solnode init``, ``migrate`` and ``status``."""

from __future__ import annotations

import argparse

from node import __version__
from node.cli_kit import CliContext, Subcommands, add_command
from node.settings import ensure_secret, safe_database_url


def cmd_init(ctx: CliContext, args: argparse.Namespace) -> int:
    """Create the data directory, secret key, database and instance actor."""
    ctx.adopt(ensure_secret(ctx.settings))
    settings = ctx.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx.ensure_instance()
    db = safe_database_url(settings.database_url)  # never print a password
    print(f"Node ready at {settings.base_url} (database: {db}).")
    print("Next: solnode org create SLUG --name 'Your organization', then solnode serve.")
    return 0


def cmd_migrate(ctx: CliContext, args: argparse.Namespace) -> int:
    """Bring the schema up to date (opening the engine does) and say where it stands."""
    from node import migrations  # lazy: start-up

    print(f"Database at revision {migrations.current_revision(ctx.engine)}.")
    return 0


def cmd_status(ctx: CliContext, args: argparse.Namespace) -> int:
    """The node's version, address, schema revision and job counts."""
    from node.federation import jobs  # lazy: start-up

    engine = ctx.engine
    print(f"Solidarity Node {__version__} at {ctx.settings.base_url}")
    from node import migrations  # lazy: start-up

    print(f"Database revision: {migrations.current_revision(engine)}")
    counts = jobs.counts(engine)
    print("Jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    return 0


def add_setup_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode init`` and ``solnode migrate``."""
    add_command(
        sub, "init", cmd_init, "create the data directory, secret key, database and instance actor"
    )
    add_command(
        sub, "migrate", cmd_migrate, "bring the database schema up to date (also done at start)"
    )


def add_status_command(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode status``."""
    add_command(sub, "status", cmd_status, "show the node's configuration and job queue")
