"""Who may act on the node: ``solnode token create|list|revoke`` (API tokens) and
``user create|grant`` (people of the workspace)."""

from __future__ import annotations

import argparse
import getpass
import sys

from node.cli_kit import CliContext, CliError, Subcommands, add_command, add_group


def cmd_token_create(ctx: CliContext, args: argparse.Namespace) -> int:
    """Print a new bearer token for an actor's API (it is shown only once)."""
    from node.api.tokens import create_token  # lazy: start-up
    from node.db import session_scope  # lazy: start-up

    with session_scope(ctx.engine) as session:
        try:
            token = create_token(
                session, args.slug, label=args.label or "", expires_in_days=args.expires_in
            )
        except (LookupError, ValueError) as exc:
            raise CliError(str(exc)) from exc
    print(token)
    expiry = f"expires in {args.expires_in} days" if args.expires_in else "never expires"
    print(
        f"(API token for @{args.slug}, {expiry}; it is shown only once — store it now. "
        "Use it as: Authorization: Bearer TOKEN)",
        file=sys.stderr,
    )
    return 0


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


def cmd_token_list(ctx: CliContext, args: argparse.Namespace) -> int:
    """Print the tokens (of one actor, or all): id, actor, status, dates and label."""
    from node.api.tokens import list_tokens  # lazy: start-up
    from node.db import session_scope  # lazy: start-up

    with session_scope(ctx.engine) as session:
        try:
            tokens = list_tokens(session, args.slug)
        except LookupError as exc:
            raise CliError(str(exc)) from exc
    if not tokens:
        print("No API tokens.")
        return 0
    print("ID\tACTOR\tSTATUS\tCREATED\tLAST USED\tEXPIRES\tLABEL")
    for t in tokens:
        when = (_when(t.created_at), _when(t.last_used_at), _when(t.expires_at))
        print(f"{t.id}\t{t.slug}\t{t.status}\t" + "\t".join(when) + f"\t{t.label}")
    return 0


def cmd_token_revoke(ctx: CliContext, args: argparse.Namespace) -> int:
    """Revoke a token by its id (from ``solnode token list``); it is refused from then on."""
    from node.api.tokens import revoke_token  # lazy: start-up
    from node.db import session_scope  # lazy: start-up

    with session_scope(ctx.engine) as session:
        if not revoke_token(session, args.id):
            raise CliError(f"no API token with id {args.id}")
    print(f"Token {args.id} revoked.")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        return getpass.getpass("Password (empty: generate one): ")
    return ""


def cmd_user_create(ctx: CliContext, args: argparse.Namespace) -> int:
    """Create a person who administers the node (a password is generated if none is given)."""
    from node.db import session_scope  # lazy: start-up
    from node.features.workspace.accounts import UserError, create_user  # lazy: start-up

    engine = ctx.engine
    password = _password(args)
    with session_scope(engine) as session:
        try:
            user, generated = create_user(session, args.email, password=password, admin=args.admin)
        except UserError as exc:
            raise CliError(str(exc)) from exc
    role = "node admin" if user.is_admin else "user"
    print(f"User {user.email} created ({role}); sign in at {ctx.settings.base_url}/workspace")
    if generated:
        print(f"Generated password (shown once): {generated}")
    return 0


def cmd_user_grant(ctx: CliContext, args: argparse.Namespace) -> int:
    """Give a person a role for an organization or network (replacing the one they had)."""
    from node.db import session_scope  # lazy: start-up
    from node.features.workspace.accounts import UserError, grant_by_email  # lazy: start-up

    with session_scope(ctx.engine) as session:
        try:
            grant_by_email(session, args.email, args.slug, args.role)
        except UserError as exc:
            raise CliError(str(exc)) from exc
    print(f"{args.email.strip().lower()} is now {args.role} of @{args.slug}.")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode token create`` and ``solnode user create``."""
    actions = add_group(sub, "token", "manage API tokens")
    p = add_command(
        actions, "create", cmd_token_create, "create a bearer token for an actor's API (shown once)"
    )
    p.add_argument("slug", metavar="SLUG", help="the organization or network")
    p.add_argument("--label", help="what the token is for")
    p.add_argument(
        "--expires-in",
        type=int,
        metavar="DAYS",
        help="refuse the token after this many days (default: it never expires)",
    )
    p = add_command(
        actions, "list", cmd_token_list, "list API tokens (never the tokens themselves)"
    )
    p.add_argument("slug", metavar="SLUG", nargs="?", help="only this organization or network")
    p = add_command(actions, "revoke", cmd_token_revoke, "revoke an API token by its id")
    p.add_argument("id", metavar="ID", type=int, help="the id shown by `solnode token list`")

    actions = add_group(sub, "user", "manage the people who sign in to the workspace")
    p = add_command(
        actions,
        "create",
        cmd_user_create,
        "create a user (password from a prompt or --password-stdin)",
    )
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--admin", action="store_true", help="node administrator")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p = add_command(
        actions,
        "grant",
        cmd_user_grant,
        "give a person a role for an organization or network",
    )
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("slug", metavar="SLUG", help="the organization or network")
    p.add_argument("--role", choices=("admin", "editor"), required=True, help="admin or editor")
