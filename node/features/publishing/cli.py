"""``solnode note SLUG TEXT``: publish a short public note from the command line."""

from __future__ import annotations

import argparse
import html

from node.cli_kit import CliContext, CliError, Subcommands, add_command


def cmd_note(ctx: CliContext, args: argparse.Namespace) -> int:
    """Publish ``args.text`` as a note; blank lines separate paragraphs. Prints its id."""
    from node.db import session_scope  # lazy: start-up
    from node.features.publishing.moved import ActorMoved  # lazy: start-up
    from node.features.publishing.notes import publish_note  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in args.text.split("\n\n") if p)
    try:
        with session_scope(ctx.engine) as session:
            item = publish_note(session, ctx.node, actor, paragraphs)
    except ActorMoved as exc:
        raise CliError(str(exc)) from exc
    print(item.ap_id)
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """Add ``solnode note`` to the parser."""
    p = add_command(
        sub, "note", cmd_note, "publish a short public note (paragraphs separated by blank lines)"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("text", metavar="TEXT")
