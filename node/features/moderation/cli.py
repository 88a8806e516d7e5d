"""The moderation commands of ``solnode``: block, unblock, allow, blocklist, report, reports.

Each decision is recorded in the moderation log as ``cli:<os user>``. A running server picks
up a change within ``node.federation.policy.POLICY_TTL`` seconds (it reads the tables again).
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from typing import Any

from node.cli import CliError, _engine, _run_with_node, _settings
from node.features.moderation.actions import ModerationError
from node.federation.policy import DomainError

Add = Callable[..., argparse.ArgumentParser]


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


def cmd_block_domain(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import block_domain

    engine = _engine(_settings(args))
    try:
        row, severed = block_domain(
            engine, args.domain, args.severity, reason=args.reason or "", who=_who()
        )
    except (ModerationError, DomainError) as exc:
        raise CliError(str(exc)) from exc
    what = {"reject": "refused and never contacted", "limit": "accepted but held back"}
    print(f"{row.domain} blocked ({row.severity}: {what[row.severity]}).")
    if severed.followers or severed.following:
        print(f"Removed {severed.followers} follower(s) and {severed.following} follow(s).")
    return 0


def cmd_unblock_domain(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import unblock_domain

    engine = _engine(_settings(args))
    try:
        done = unblock_domain(engine, args.domain, who=_who(), reason=args.reason or "")
    except DomainError as exc:
        raise CliError(str(exc)) from exc
    if not done:
        raise CliError(f"{args.domain} is not blocked")
    print(f"{args.domain} unblocked.")
    return 0


def cmd_block_actor(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import block_actor

    engine = _engine(_settings(args))
    try:
        row = block_actor(engine, args.actor, who=_who(), reason=args.reason or "")
    except ModerationError as exc:
        raise CliError(str(exc)) from exc
    print(f"{row.actor} blocked.")
    return 0


def cmd_unblock_actor(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import unblock_actor

    engine = _engine(_settings(args))
    try:
        done = unblock_actor(engine, args.actor, who=_who(), reason=args.reason or "")
    except ModerationError as exc:
        raise CliError(str(exc)) from exc
    if not done:
        raise CliError(f"{args.actor} is not blocked")
    print(f"{args.actor} unblocked.")
    return 0


def cmd_allow_domain(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import allow_domain

    settings = _settings(args)
    engine = _engine(settings)
    try:
        row = allow_domain(engine, args.domain, who=_who(), reason=args.reason or "")
    except DomainError as exc:
        raise CliError(str(exc)) from exc
    print(f"{row.domain} allowed.")
    if settings.federation_mode != "allowlist":
        print("(The allow-list applies when SOLNODE_FEDERATION_MODE=allowlist.)")
    return 0


def cmd_disallow_domain(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import disallow_domain

    engine = _engine(_settings(args))
    try:
        done = disallow_domain(engine, args.domain, who=_who(), reason=args.reason or "")
    except DomainError as exc:
        raise CliError(str(exc)) from exc
    if not done:
        raise CliError(f"{args.domain} is not on the allow-list")
    print(f"{args.domain} removed from the allow-list.")
    return 0


def cmd_blocklist_import(args: argparse.Namespace) -> int:
    from node.features.moderation.blocklist import (
        BlocklistError,
        import_blocklist,
        parse_mastodon_csv,
        read_blocklist,
    )

    settings = _settings(args)
    engine = _engine(settings)
    try:
        text, source = _run_with_node(
            settings, engine, lambda node: read_blocklist(node, args.source)
        )
    except BlocklistError as exc:
        raise CliError(str(exc)) from exc
    parsed = parse_mastodon_csv(text)
    if not parsed.entries and not args.allow_empty:
        raise CliError(
            f"{args.source} lists no usable domain (a Mastodon domain-block CSV starts with "
            "#domain,#severity,...); nothing changed. Use --allow-empty to clear its blocks."
        )
    result = import_blocklist(engine, parsed.entries, source, who=_who())
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


def cmd_report(args: argparse.Namespace) -> int:
    from node.features.moderation.reports import send_report
    from node.federation.remote.actors import RemoteActorError

    settings = _settings(args)
    engine = _engine(settings)
    try:
        flag_id = _run_with_node(
            settings,
            engine,
            lambda node: send_report(
                node, args.actor, args.comment or "", args.object or [], who=_who()
            ),
        )
    except (ModerationError, RemoteActorError) as exc:
        raise CliError(f"cannot report {args.actor}: {exc}") from exc
    print(f"Report {flag_id} queued for {args.actor}'s server.")
    print("The Flag is delivered by the worker (solnode serve or solnode worker).")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from node.features.moderation.actions import open_reports, resolve_report

    engine = _engine(_settings(args))
    if args.resolve is not None:
        try:
            resolve_report(engine, args.resolve, who=_who(), reason=args.note or "")
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


def add_commands(sub: Any, add: Add) -> None:
    """Add the moderation commands to the ``solnode`` parser."""
    group = add("block", lambda a: 0, "refuse a server or an actor")
    gsub = group.add_subparsers(dest="what", metavar="WHAT", required=True)
    p = add("domain", cmd_block_domain, "block a server (and its subdomains)", parent=gsub)
    p.add_argument("domain", metavar="DOMAIN", help="e.g. spam.example")
    p.add_argument(
        "--severity",
        choices=("reject", "limit"),
        default="reject",
        help="reject: refuse everything, never contact it; limit: accept, but replies and "
        "follows wait for an admin (default reject)",
    )
    p.add_argument("--reason", help="why (kept in the moderation log)")
    p = add("actor", cmd_block_actor, "block one remote actor by its id", parent=gsub)
    p.add_argument("actor", metavar="ACTOR_URL")
    p.add_argument("--reason", help="why (kept in the moderation log)")

    group = add("unblock", lambda a: 0, "lift a block")
    gsub = group.add_subparsers(dest="what", metavar="WHAT", required=True)
    p = add("domain", cmd_unblock_domain, "unblock a server", parent=gsub)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--reason", help="why (kept in the moderation log)")
    p = add("actor", cmd_unblock_actor, "unblock an actor", parent=gsub)
    p.add_argument("actor", metavar="ACTOR_URL")
    p.add_argument("--reason", help="why (kept in the moderation log)")

    group = add("allow", lambda a: 0, "manage the allow-list (SOLNODE_FEDERATION_MODE=allowlist)")
    gsub = group.add_subparsers(dest="what", metavar="WHAT", required=True)
    p = add("domain", cmd_allow_domain, "let a server post to this node", parent=gsub)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--reason", help="why (kept in the moderation log)")
    group = add("disallow", lambda a: 0, "remove from the allow-list")
    gsub = group.add_subparsers(dest="what", metavar="WHAT", required=True)
    p = add("domain", cmd_disallow_domain, "take a server off the allow-list", parent=gsub)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--reason", help="why (kept in the moderation log)")

    group = add("blocklist", lambda a: 0, "shared blocklists (Mastodon domain-block CSV)")
    gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add(
        "import",
        cmd_blocklist_import,
        "import or re-sync a Mastodon domain-block CSV (suspend -> reject, silence -> limit)",
        parent=gsub,
    )
    p.add_argument("source", metavar="URL_OR_FILE")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a list with no domains (removes every block this list made)",
    )

    p = add("report", cmd_report, "report a remote actor to its server (sends a Flag)")
    p.add_argument("actor", metavar="ACTOR_URL", help="actor URL or user@host handle")
    p.add_argument("--comment", help="what is wrong, for the other server's moderators")
    p.add_argument("--object", action="append", metavar="URL", help="a post of theirs (repeatable)")
    p = add("reports", cmd_reports, "list open reports other servers sent about us")
    p.add_argument("--resolve", type=int, metavar="ID", help="mark report ID resolved")
    p.add_argument("--note", help="what was done about it (kept in the moderation log)")
