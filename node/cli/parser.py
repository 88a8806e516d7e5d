"""The ``solnode`` argument parser: the node's own commands, then each feature's.

This is the one module that knows every feature's commands; the order below is the order
``solnode --help`` lists them in.
"""

from __future__ import annotations

import argparse

from node import __version__
from node.cli import access, actors, backup, demo, doctor, jobs, rebase, serve, setup
from node.features.bridges import cli as bridges_cli
from node.features.follows import cli as follows_cli
from node.features.moderation import cli as moderation_cli
from node.features.moving import cli as moving_cli
from node.features.networks import cli as networks_cli
from node.features.publishing import cli as publishing_cli


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test that checks every command has help)."""
    parser = argparse.ArgumentParser(
        prog="solnode",
        description="Solidarity Node: publish events, calls and news of solidarity-economy "
        "organizations and networks over ActivityPub. Configuration comes from SOLNODE_* "
        "environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"solnode {__version__}")
    parser.add_argument("--base-url", help="public base URL (overrides SOLNODE_BASE_URL)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    setup.add_setup_commands(sub)
    serve.add_commands(sub)
    network_actions = actors.add_commands(sub)
    access.add_commands(sub)
    follows_cli.add_commands(sub)
    moving_cli.add_commands(sub)
    publishing_cli.add_commands(sub)
    demo.add_commands(sub)
    setup.add_status_command(sub)
    rebase.add_commands(sub)
    backup.add_commands(sub)
    doctor.add_commands(sub)
    jobs.add_commands(sub)
    networks_cli.add_commands(sub, network_actions)
    moderation_cli.add_commands(sub)
    bridges_cli.add_commands(sub)
    return parser
