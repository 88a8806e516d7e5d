"""The follow commands of ``solnode``: follow, unfollow, followers, approve, reject,
remove-follower."""

from __future__ import annotations

import argparse
import sys

from node.cli_kit import CliContext, CliError, Subcommands, add_command


def cmd_follow(ctx: CliContext, args: argparse.Namespace) -> int:
    """Ask a remote actor to accept one of ours as a follower."""
    from node.features.follows.following import (  # lazy: start-up
        FollowError,
        follow,
    )
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    try:
        row = ctx.run(lambda node: follow(node, actor, args.target))
    except (FollowError, RemoteActorError) as exc:
        raise CliError(f"cannot follow {args.target}: {exc}") from exc
    print(f"@{actor.slug} asked to follow {row.target_id} (state: {row.state}).")
    print(
        "The Follow is delivered by the worker (solnode serve or solnode worker).", file=sys.stderr
    )
    return 0


def cmd_unfollow(ctx: CliContext, args: argparse.Namespace) -> int:
    """Stop following a remote actor (sends Undo(Follow))."""
    from node.features.follows.following import (  # lazy: start-up
        FollowError,
        unfollow,
    )
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    try:
        ctx.run(lambda node: unfollow(node, actor, args.target))
    except (FollowError, RemoteActorError) as exc:
        raise CliError(str(exc)) from exc
    print(f"@{actor.slug} no longer follows {args.target}.")
    return 0


def cmd_followers(ctx: CliContext, args: argparse.Namespace) -> int:
    """List an actor's followers (or those awaiting approval), newest first: read a page at a
    time, so a hub with tens of thousands of followers is listed in little memory."""
    from sqlmodel import Session  # lazy: start-up

    from node.features.follows import follower_pages  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    states = ("pending",) if args.pending else follower_pages.STATES
    shown = 0
    with Session(ctx.engine) as session:
        for row in follower_pages.every(session, actor.id or 0, states):
            print(f"{row.state:9} {row.remote_id}")
            shown += 1
    if not shown:
        print("No pending followers." if args.pending else "No followers yet.")
    return 0


def _decide_follower(ctx: CliContext, args: argparse.Namespace, approve: bool) -> int:
    from node.db import session_scope  # lazy: start-up
    from node.features.follows.approval import (  # lazy: start-up
        FollowerError,
        decide,
    )

    actor = ctx.local_actor(args.slug)
    try:
        with session_scope(ctx.engine) as session:
            decide(session, ctx.node, actor, args.actor, approve=approve)
    except FollowerError as exc:
        raise CliError(str(exc)) from exc
    verb = "now follows" if approve else "was refused by"
    print(f"{args.actor} {verb} @{actor.slug}.")
    return 0


def cmd_approve(ctx: CliContext, args: argparse.Namespace) -> int:
    """Accept a pending follower."""
    return _decide_follower(ctx, args, True)


def cmd_reject(ctx: CliContext, args: argparse.Namespace) -> int:
    """Refuse a pending follower (sends Reject)."""
    return _decide_follower(ctx, args, False)


def cmd_remove_follower(ctx: CliContext, args: argparse.Namespace) -> int:
    """Remove an accepted follower (sends Reject of their Follow)."""
    from node.db import session_scope  # lazy: start-up
    from node.features.follows.approval import FollowerError, remove  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    try:
        with session_scope(ctx.engine) as session:
            remove(session, ctx.node, actor, args.actor)
    except FollowerError as exc:
        raise CliError(str(exc)) from exc
    print(f"{args.actor} no longer follows @{actor.slug} (their server is sent a Reject).")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """Add the follow commands to the ``solnode`` parser."""
    p = add_command(
        sub, "follow", cmd_follow, "make an organization or network follow a remote actor"
    )
    p.add_argument("slug", metavar="SLUG", help="the local organization or network")
    p.add_argument("target", metavar="HANDLE", help="user@host handle or actor URL")
    p = add_command(
        sub, "unfollow", cmd_unfollow, "stop following a remote actor (sends Undo(Follow))"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("target", metavar="HANDLE", help="user@host handle or actor URL")
    p = add_command(
        sub, "followers", cmd_followers, "list an actor's followers (--pending: awaiting approval)"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--pending", action="store_true", help="only those waiting for approval")
    p = add_command(
        sub, "approve", cmd_approve, "accept a pending follower (for actors with --manual-approval)"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("actor", metavar="ACTOR_URL", help="the follower's actor URL")
    p = add_command(sub, "reject", cmd_reject, "refuse a pending follower (sends Reject)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("actor", metavar="ACTOR_URL", help="the follower's actor URL")
    p = add_command(
        sub, "remove-follower", cmd_remove_follower,
        "remove a follower (sends Reject of their Follow, as Mastodon's 'remove from followers')",
    )  # fmt: skip
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("actor", metavar="ACTOR_URL", help="the follower's actor URL")
