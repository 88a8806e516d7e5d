"""Organizations and networks of this node: ``solnode org create`` and ``network create``."""

from __future__ import annotations

import argparse

from node.cli_kit import CliContext, CliError, Handler, Subcommands, add_command, add_group


def _create_actor(ctx: CliContext, args: argparse.Namespace, kind: str) -> int:
    from node.db import session_scope  # lazy: start-up
    from node.federation.actors.local import (  # lazy: start-up
        ActorError,
        create_actor,
    )

    ctx.ensure_instance()
    try:
        with session_scope(ctx.engine) as session:
            actor = create_actor(
                session,
                args.slug,
                kind=kind,
                name=args.name,
                summary=args.summary or "",
                manually_approves_followers=args.manual_approval,
                auto_admit=getattr(args, "auto_admit", False),
            )
    except ActorError as exc:
        raise CliError(str(exc)) from exc
    label = "Network" if kind == "network" else "Organization"
    settings = ctx.settings
    print(
        f"{label} created: @{actor.slug}@{settings.host}  ({settings.base_url}/actors/{actor.slug})"
    )
    return 0


def cmd_org_create(ctx: CliContext, args: argparse.Namespace) -> int:
    """Create an organization."""
    return _create_actor(ctx, args, "organization")


def cmd_network_create(ctx: CliContext, args: argparse.Namespace) -> int:
    """Create a network."""
    return _create_actor(ctx, args, "network")


def _add_create(
    actions: Subcommands[argparse.ArgumentParser], handler: Handler, what: str
) -> argparse.ArgumentParser:
    p = add_command(actions, "create", handler, f"create {what}")
    p.add_argument("slug", metavar="SLUG", help="short name: the handle becomes @SLUG@host")
    p.add_argument("--name", required=True, help="display name")
    p.add_argument("--summary", help="short description (HTML allowed)")
    p.add_argument(
        "--manual-approval",
        action="store_true",
        help="approve followers by hand instead of accepting them at once",
    )
    return p


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> Subcommands[argparse.ArgumentParser]:
    """``solnode org create`` and ``solnode network create``; returns the actions of
    ``solnode network``, where the networks feature adds its curation commands."""
    # `org` has one action so far: its help says what it does rather than promise "manage".
    orgs = add_group(sub, "org", "create organizations of this node (@SLUG@host)")
    _add_create(orgs, cmd_org_create, "an organization (an ActivityPub actor, @SLUG@host)")
    network_actions = add_group(sub, "network", "manage networks")
    p = _add_create(network_actions, cmd_network_create, "a network of organizations and networks")
    p.add_argument(
        "--auto-admit",
        action="store_true",
        help="admit organizations that ask to join without an admin's approval",
    )
    return network_actions
