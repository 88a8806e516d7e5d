"""The moving commands of ``solnode``: move, and alias add / remove / list (docs/moving.md)."""

from __future__ import annotations

import argparse
import sys

from node.cli_kit import CliContext, CliError, Subcommands, add_command, add_group


def cmd_move(ctx: CliContext, args: argparse.Namespace) -> int:
    """Move an organization to another account; its followers are sent Move."""
    from node.features.moving.move_out import MoveError, move  # lazy: start-up
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    if actor.moved_to:
        print(f"@{actor.slug} had moved to {actor.moved_to}; moving it again.", file=sys.stderr)
    try:
        moved = ctx.run(lambda node: move(node, actor, args.new_actor))
    except (MoveError, RemoteActorError) as exc:
        raise CliError(f"cannot move @{actor.slug} to {args.new_actor}: {exc}") from exc
    print(
        f"@{actor.slug} moved to {moved.target}: Move {moved.activity_id} goes to "
        f"{moved.followers} follower(s); its page and document now say movedTo."
    )
    print("The Move is delivered by the worker (solnode serve or solnode worker).", file=sys.stderr)
    return 0


def cmd_alias_add(ctx: CliContext, args: argparse.Namespace) -> int:
    """Name an old account in the actor's alsoKnownAs, so its followers can move in."""
    from node.features.moving.aliases import AliasError, add_alias  # lazy: start-up
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    ctx.local_actor(args.slug)
    try:
        added = ctx.run(lambda node: add_alias(node, args.slug, args.old_actor))
    except (AliasError, RemoteActorError) as exc:
        raise CliError(f"cannot add {args.old_actor} as an alias: {exc}") from exc
    print(f"@{args.slug} is also known as {added}; a Move from there is now followed here.")
    return 0


def cmd_alias_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    """Remove an old account from the actor's alsoKnownAs."""
    from node.features.moving.aliases import AliasError, remove_alias  # lazy: start-up

    try:
        remove_alias(ctx.node, args.slug, args.old_actor)
    except AliasError as exc:
        raise CliError(str(exc)) from exc
    print(f"@{args.slug} is no longer known as {args.old_actor}.")
    return 0


def cmd_alias_list(ctx: CliContext, args: argparse.Namespace) -> int:
    """List the actor's alsoKnownAs (and where it moved, if it did)."""
    from node.features.moving.aliases import aliases_of  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    for alias in aliases_of(actor):
        print(alias)
    if not aliases_of(actor):
        print(f"@{actor.slug} has no aliases.")
    if actor.moved_to:
        print(f"(moved to {actor.moved_to})")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode move`` and ``solnode alias add|remove|list``."""
    p = add_command(
        sub,
        "move",
        cmd_move,
        "move an organization to another account (which must list it in alsoKnownAs); "
        "its followers are sent Move",
    )
    p.add_argument("slug", metavar="SLUG", help="the local organization or network")
    p.add_argument("new_actor", metavar="NEW_ACTOR", help="actor URL or user@host handle")
    group = add_group(
        sub, "alias", "an actor's alsoKnownAs: old accounts whose followers may move in"
    )
    for name, handler, help_ in (
        ("add", cmd_alias_add, "name an old account in alsoKnownAs"),
        ("remove", cmd_alias_remove, "remove an old account from alsoKnownAs"),
    ):
        p = add_command(group, name, handler, help_)
        p.add_argument("slug", metavar="SLUG")
        p.add_argument("old_actor", metavar="OLD_ACTOR", help="actor URL or user@host handle")
    p = add_command(group, "list", cmd_alias_list, "list an actor's alsoKnownAs")
    p.add_argument("slug", metavar="SLUG")
