"""The moderation commands of ``solnode``: block, unblock, allow, blocklist, report, reports.

Each decision is recorded in the moderation log as ``cli:<os user>``. A running server picks
up a change within ``node.federation.policy.POLICY_TTL`` seconds (it reads the tables again).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from node.cli_kit import (
    CliContext,
    CliError,
    Handler,
    Subcommands,
    add_command,
    add_group,
    operator,
)
from node.features.moderation.actions import (
    ModerationError,
    disallow_domain,
    unblock_actor,
    unblock_domain,
)
from node.federation.policy import DomainError

_T = TypeVar("_T")


def cmd_block_domain(ctx: CliContext, args: argparse.Namespace) -> int:
    """Block a server (reject or limit) and sever what we share with it."""
    from node.features.moderation.actions import block_domain  # lazy: start-up

    engine = ctx.engine
    try:
        row, severed = block_domain(
            engine, args.domain, args.severity, reason=args.reason or "", who=operator()
        )
    except (ModerationError, DomainError) as exc:
        raise CliError(str(exc)) from exc
    what = {"reject": "refused and never contacted", "limit": "accepted but held back"}
    print(f"{row.domain} blocked ({row.severity}: {what[row.severity]}).")
    if severed.followers or severed.following:
        print(f"Removed {severed.followers} follower(s) and {severed.following} follow(s).")
    return 0


def _decision(
    decide: Callable[..., _T],
    errors: tuple[type[Exception], ...],
    ctx: CliContext,
    key: str,
    reason: str | None,
) -> _T:
    """Run one logged moderation decision about ``key``; its refusals become CLI errors."""
    try:
        return decide(ctx.engine, key, who=operator(), reason=reason or "")
    except errors as exc:
        raise CliError(str(exc)) from exc


def _lifting(
    lift: Callable[..., bool],
    errors: tuple[type[Exception], ...],
    field: str,
    missing: str,
    done: str,
    doc: str,
) -> Handler:
    """A command that undoes a decision (unblock, disallow): an error if there was none."""

    def handler(ctx: CliContext, args: argparse.Namespace) -> int:
        key = getattr(args, field)
        if not _decision(lift, errors, ctx, key, args.reason):
            raise CliError(f"{key} {missing}")
        print(f"{key} {done}.")
        return 0

    handler.__doc__ = doc
    return handler


cmd_unblock_domain = _lifting(
    unblock_domain,
    (DomainError,),
    "domain",
    "is not blocked",
    "unblocked",
    "Lift a server's block.",
)
cmd_unblock_actor = _lifting(
    unblock_actor,
    (ModerationError,),
    "actor",
    "is not blocked",
    "unblocked",
    "Lift an actor's block.",
)
cmd_disallow_domain = _lifting(
    disallow_domain,
    (DomainError,),
    "domain",
    "is not on the allow-list",
    "removed from the allow-list",
    "Take a server off the allow-list.",
)


def cmd_block_actor(ctx: CliContext, args: argparse.Namespace) -> int:
    """Block one remote actor."""
    from node.features.moderation.actions import block_actor  # lazy: start-up

    row = _decision(block_actor, (ModerationError,), ctx, args.actor, args.reason)
    print(f"{row.actor} blocked.")
    return 0


def cmd_allow_domain(ctx: CliContext, args: argparse.Namespace) -> int:
    """Put a server on the allow-list."""
    from node.features.moderation.actions import allow_domain  # lazy: start-up

    row = _decision(allow_domain, (DomainError,), ctx, args.domain, args.reason)
    print(f"{row.domain} allowed.")
    if ctx.settings.federation_mode != "allowlist":
        print("(The allow-list applies when SOLNODE_FEDERATION_MODE=allowlist.)")
    return 0


def cmd_blocklist_import(ctx: CliContext, args: argparse.Namespace) -> int:
    """Import (or re-sync) a shared Mastodon domain-block CSV."""
    from node.features.moderation.blocklist import (  # lazy: start-up
        BlocklistError,
        import_blocklist,
        parse_mastodon_csv,
        read_blocklist,
    )

    engine = ctx.engine
    try:
        text, source = ctx.run(lambda node: read_blocklist(node, args.source))
    except BlocklistError as exc:
        raise CliError(str(exc)) from exc
    parsed = parse_mastodon_csv(text)
    if not parsed.entries and not args.allow_empty:
        raise CliError(
            f"{args.source} lists no usable domain (a Mastodon domain-block CSV starts with "
            "#domain,#severity,...); nothing changed. Use --allow-empty to clear its blocks."
        )
    result = import_blocklist(engine, parsed.entries, source, who=operator())
    print(
        f"Blocklist {source}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.removed)} removed, {result.unchanged} unchanged, "
        f"{len(result.kept)} already blocked otherwise (left as they were)."
    )
    if result.severed_followers:
        print(f"Removed {result.severed_followers} follower(s) on newly rejected servers.")
    for line, why in parsed.skipped[:20]:
        print(f"  line {line} skipped: {why}")
    if len(parsed.skipped) > 20:
        print(f"  ... and {len(parsed.skipped) - 20} more skipped lines")
    return 0


def cmd_report(ctx: CliContext, args: argparse.Namespace) -> int:
    """Report a remote actor to its server (a Flag goes out)."""
    from node.features.moderation.reports import send_report  # lazy: start-up
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    try:
        flag_id = ctx.run(
            lambda node: send_report(
                node, args.actor, args.comment or "", args.object or [], who=operator()
            ),
        )
    except (ModerationError, RemoteActorError) as exc:
        raise CliError(f"cannot report {args.actor}: {exc}") from exc
    print(f"Report {flag_id} queued for {args.actor}'s server.")
    print("The Flag is delivered by the worker (solnode serve or solnode worker).")
    return 0


def cmd_reports(ctx: CliContext, args: argparse.Namespace) -> int:
    """List the open reports other servers sent, or resolve one."""
    from node.features.moderation.actions import (  # lazy: start-up
        open_reports,
        resolve_report,
    )

    engine = ctx.engine
    if args.resolve is not None:
        try:
            resolve_report(engine, args.resolve, who=operator(), reason=args.note or "")
        except ModerationError as exc:
            raise CliError(str(exc)) from exc
        print(f"Report #{args.resolve} resolved.")
        return 0
    rows = open_reports(engine)
    if not rows:
        print("No open reports.")
        return 0
    for row in rows:
        print(f"#{row.id}  {row.created_at:%Y-%m-%d %H:%M}  from {row.reporter}")
        print(f"    about {row.target_actor or '(unknown)'}: {', '.join(row.target_objects)}")
        if row.content:
            print(f"    {row.content[:300]}")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """Add the moderation commands to the ``solnode`` parser."""
    _add_blocks(sub)
    _add_allow_list(sub)
    actions = add_group(sub, "blocklist", "shared blocklists (Mastodon domain-block CSV)")
    p = add_command(
        actions,
        "import",
        cmd_blocklist_import,
        "import or re-sync a Mastodon domain-block CSV (suspend -> reject, silence -> limit)",
    )
    p.add_argument("source", metavar="URL_OR_FILE")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a list with no domains (removes every block this list made)",
    )
    p = add_command(sub, "report", cmd_report, "report a remote actor to its server (sends a Flag)")
    p.add_argument("actor", metavar="ACTOR_URL", help="actor URL or user@host handle")
    p.add_argument("--comment", help="what is wrong, for the other server's moderators")
    p.add_argument("--object", action="append", metavar="URL", help="a post of theirs (repeatable)")
    p = add_command(sub, "reports", cmd_reports, "list open reports other servers sent about us")
    p.add_argument("--resolve", type=int, metavar="ID", help="mark report ID resolved")
    p.add_argument("--note", help="what was done about it (kept in the moderation log)")


_REASON_HELP = "why (kept in the moderation log)"


def _add_decision(
    whats: Subcommands[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help_: str,
    metavar: str,
) -> None:
    """Declare a decision about one domain or actor, with its optional ``--reason``."""
    p = add_command(whats, name, handler, help_)
    p.add_argument(name, metavar=metavar)
    p.add_argument("--reason", help=_REASON_HELP)


def _add_blocks(sub: Subcommands[argparse.ArgumentParser]) -> None:
    whats = add_group(sub, "block", "refuse a server or an actor", dest="what")
    p = add_command(whats, "domain", cmd_block_domain, "block a server (and its subdomains)")
    p.add_argument("domain", metavar="DOMAIN", help="e.g. spam.example")
    p.add_argument(
        "--severity",
        choices=("reject", "limit"),
        default="reject",
        help="reject: refuse everything, never contact it; limit: accept, but replies and "
        "follows wait for an admin (default reject)",
    )
    p.add_argument("--reason", help=_REASON_HELP)
    _add_decision(whats, "actor", cmd_block_actor, "block one remote actor by its id", "ACTOR_URL")
    whats = add_group(sub, "unblock", "lift a block", dest="what")
    _add_decision(whats, "domain", cmd_unblock_domain, "unblock a server", "DOMAIN")
    _add_decision(whats, "actor", cmd_unblock_actor, "unblock an actor", "ACTOR_URL")


def _add_allow_list(sub: Subcommands[argparse.ArgumentParser]) -> None:
    whats = add_group(
        sub, "allow", "manage the allow-list (SOLNODE_FEDERATION_MODE=allowlist)", dest="what"
    )
    _add_decision(whats, "domain", cmd_allow_domain, "let a server post to this node", "DOMAIN")
    whats = add_group(sub, "disallow", "remove from the allow-list", dest="what")
    _add_decision(
        whats, "domain", cmd_disallow_domain, "take a server off the allow-list", "DOMAIN"
    )
