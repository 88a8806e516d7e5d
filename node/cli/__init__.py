"""The ``solnode`` command: set up, run and administer a node."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine

from node import __version__
from node.settings import ConfigError, Settings, ensure_secret, is_loopback_host, load_settings


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "base_url", None):
        overrides["base_url"] = args.base_url
    return load_settings(**overrides)


def _engine(settings: Settings) -> Engine:
    from node import migrations
    from node.db import make_engine

    engine = make_engine(settings)
    if migrations.upgrade(engine):
        print(f"Database migrated to {migrations.head_revision(engine)}.", file=sys.stderr)
    return engine


def _ensure_instance(settings: Settings, engine: Engine) -> None:
    from node.db import session_scope
    from node.federation.actors.local import ensure_instance_actor

    with session_scope(engine) as session:
        ensure_instance_actor(session, settings.instance_name)


def cmd_init(args: argparse.Namespace) -> int:
    settings = ensure_secret(_settings(args))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = _engine(settings)
    _ensure_instance(settings, engine)
    db = (
        settings.database_url.split("@")[-1]
        if "postgresql" in settings.database_url
        else (settings.database_url)
    )
    print(f"Node ready at {settings.base_url} (database: {db}).")
    print("Next: solnode org create SLUG --name 'Your organization', then solnode serve.")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from node import migrations

    engine = _engine(_settings(args))
    print(f"Database at revision {migrations.current_revision(engine)}.")
    return 0


def _serve_settings(args: argparse.Namespace) -> Settings:
    settings = _settings(args)
    # Without an explicit base URL, a loopback node is reachable at the address it listens on,
    # so `solnode serve --port 8001` just works for local development.
    import os

    if not args.base_url and "SOLNODE_BASE_URL" not in os.environ and is_loopback_host(args.host):
        settings = replace(settings, base_url=f"http://{args.host}:{args.port}")
    return ensure_secret(settings)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from node.app import create_app

    settings = _serve_settings(args)
    engine = _engine(settings)
    _ensure_instance(settings, engine)
    app = create_app(settings, engine=engine, run_worker=not args.no_worker)
    print(
        f"Serving {settings.base_url} on http://{args.host}:{args.port}"
        f" ({'web only' if args.no_worker else 'web + worker'}); Ctrl-C to stop.",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        access_log=args.access_log,
        loop="uvloop",
        http="httptools",
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from node.context import NodeContext
    from node.federation import jobs
    from node.federation.worker import Worker, install_signal_handlers
    from node.wiring import job_registry  # lazy: the job kinds import every feature

    lease = jobs.DEFAULT_LEASE if args.lease is None else args.lease
    if not lease > 0:
        raise CliError(f"--lease must be a positive number of seconds, got {args.lease}")
    settings = ensure_secret(_settings(args))
    engine = _engine(settings)
    _ensure_instance(settings, engine)
    node = NodeContext.build(settings, engine)

    async def main() -> None:
        node.open_http()
        worker = Worker(node, job_registry(), concurrency=args.concurrency, lease=lease)
        try:
            if args.drain:
                ran = await worker.drain()
                print(f"Ran {ran} job(s).")
            else:
                install_signal_handlers(worker)
                print(f"Worker {worker.name} running; Ctrl-C to stop.", file=sys.stderr)
                await worker.run()
        finally:
            await node.close_http()

    asyncio.run(main())
    return 0


def _create_actor(args: argparse.Namespace, kind: str) -> int:
    from node.db import session_scope
    from node.federation.actors.local import ActorError, create_actor

    settings = _settings(args)
    engine = _engine(settings)
    _ensure_instance(settings, engine)
    try:
        with session_scope(engine) as session:
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
    print(
        f"{label} created: @{actor.slug}@{settings.host}  ({settings.base_url}/actors/{actor.slug})"
    )
    return 0


def cmd_org_create(args: argparse.Namespace) -> int:
    return _create_actor(args, "organization")


def cmd_network_create(args: argparse.Namespace) -> int:
    return _create_actor(args, "network")


def cmd_token_create(args: argparse.Namespace) -> int:
    from node.api.tokens import create_token
    from node.db import session_scope

    settings = _settings(args)
    engine = _engine(settings)
    with session_scope(engine) as session:
        try:
            token = create_token(session, args.slug, label=args.label or "")
        except LookupError as exc:
            raise CliError(str(exc)) from exc
    print(token)
    print(
        f"(API token for @{args.slug}; it is shown only once — store it now. "
        "Use it as: Authorization: Bearer TOKEN)",
        file=sys.stderr,
    )
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from node.api.tokens import UserError, create_user
    from node.db import session_scope

    settings = _settings(args)
    engine = _engine(settings)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password (empty: generate one): ")
    else:
        password = ""
    with session_scope(engine) as session:
        try:
            user, generated = create_user(session, args.email, password=password, admin=args.admin)
        except UserError as exc:
            raise CliError(str(exc)) from exc
    role = "admin" if user.is_admin else "user"
    print(f"User {user.email} created ({role}).")
    if generated:
        print(f"Generated password (shown once): {generated}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from node.cli.demo import load_demo

    settings = ensure_secret(_settings(args))
    engine = _engine(settings)
    _ensure_instance(settings, engine)
    for line in load_demo(settings, engine):
        print(line)
    return 0


def _run_with_node(settings: Settings, engine: Engine, coro_factory: Any) -> Any:
    from node.context import NodeContext

    return NodeContext.build(settings, engine).run(coro_factory)


def _local_actor(engine: Engine, slug: str) -> Any:
    from sqlmodel import Session

    from node.federation.actors.local import get_actor

    with Session(engine) as session:
        actor = get_actor(session, slug)
    if actor is None:
        raise CliError(f"no organization or network with slug {slug!r} on this node")
    return actor


def cmd_follow(args: argparse.Namespace) -> int:
    from node.features.follows.following import FollowError, follow
    from node.federation.remote.actors import RemoteActorError

    settings = _settings(args)
    engine = _engine(settings)
    actor = _local_actor(engine, args.slug)
    try:
        row = _run_with_node(settings, engine, lambda node: follow(node, actor, args.target))
    except (FollowError, RemoteActorError) as exc:
        raise CliError(f"cannot follow {args.target}: {exc}") from exc
    print(f"@{actor.slug} asked to follow {row.target_id} (state: {row.state}).")
    print(
        "The Follow is delivered by the worker (solnode serve or solnode worker).", file=sys.stderr
    )
    return 0


def cmd_unfollow(args: argparse.Namespace) -> int:
    from node.features.follows.following import FollowError, unfollow
    from node.federation.remote.actors import RemoteActorError

    settings = _settings(args)
    engine = _engine(settings)
    actor = _local_actor(engine, args.slug)
    try:
        _run_with_node(settings, engine, lambda node: unfollow(node, actor, args.target))
    except (FollowError, RemoteActorError) as exc:
        raise CliError(str(exc)) from exc
    print(f"@{actor.slug} no longer follows {args.target}.")
    return 0


def cmd_followers(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from node.features.follows.approval import list_followers

    engine = _engine(_settings(args))
    actor = _local_actor(engine, args.slug)
    with Session(engine) as session:
        rows = list_followers(session, actor, "pending" if args.pending else None)
    for row in rows:
        print(f"{row.state:9} {row.remote_id}")
    if not rows:
        print("No pending followers." if args.pending else "No followers yet.")
    return 0


def _decide_follower(args: argparse.Namespace, approve: bool) -> int:
    from node.context import NodeContext
    from node.db import session_scope
    from node.features.follows.approval import FollowerError, decide

    settings = _settings(args)
    engine = _engine(settings)
    actor = _local_actor(engine, args.slug)
    node = NodeContext.build(settings, engine)
    try:
        with session_scope(engine) as session:
            decide(session, node, actor, args.actor, approve=approve)
    except FollowerError as exc:
        raise CliError(str(exc)) from exc
    verb = "now follows" if approve else "was refused by"
    print(f"{args.actor} {verb} @{actor.slug}.")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    return _decide_follower(args, True)


def cmd_reject(args: argparse.Namespace) -> int:
    return _decide_follower(args, False)


def cmd_note(args: argparse.Namespace) -> int:
    import html as html_lib

    from node.context import NodeContext
    from node.db import session_scope
    from node.features.publishing.notes import publish_note

    settings = _settings(args)
    engine = _engine(settings)
    actor = _local_actor(engine, args.slug)
    node = NodeContext.build(settings, engine)
    paragraphs = "".join(f"<p>{html_lib.escape(p)}</p>" for p in args.text.split("\n\n") if p)
    with session_scope(engine) as session:
        item = publish_note(session, node, actor, paragraphs)
    print(item.ap_id)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from node import migrations
    from node.federation import jobs

    settings = _settings(args)
    engine = _engine(settings)
    print(f"Solidarity Node {__version__} at {settings.base_url}")
    print(f"Database revision: {migrations.current_revision(engine)}")
    counts = jobs.counts(engine)
    print("Jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    return 0


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

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("init", cmd_init, "create the data directory, secret key, database and instance actor")
    add("migrate", cmd_migrate, "bring the database schema up to date (also done at start)")
    p = add("serve", cmd_serve, "run the web server (and the job worker, unless --no-worker)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="serve web requests only; run `solnode worker` processes separately",
    )
    p.add_argument("--access-log", action="store_true", help="log every request")
    p = add("worker", cmd_worker, "run a job worker process (delivery, inbox processing)")
    p.add_argument("--concurrency", type=int, default=32, help="jobs run at once (default 32)")
    p.add_argument("--drain", action="store_true", help="run the jobs that are due, then exit")
    p.add_argument(
        "--lease",
        type=float,
        metavar="SECONDS",
        help="how long a claimed job is held before another worker may take it over if this "
        "one dies (default 120)",
    )

    for noun, func, kind_help in (
        ("org", cmd_org_create, "an organization"),
        ("network", cmd_network_create, "a network of organizations and networks"),
    ):
        group = add(
            noun, lambda a: 0, f"manage {kind_help}s" if noun == "org" else "manage networks"
        )
        gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
        p = add("create", func, f"create {kind_help}", parent=gsub)
        p.add_argument("slug", metavar="SLUG", help="short name: the handle becomes @SLUG@host")
        p.add_argument("--name", required=True, help="display name")
        p.add_argument("--summary", help="short description (HTML allowed)")
        p.add_argument(
            "--manual-approval",
            action="store_true",
            help="approve followers by hand instead of accepting them at once",
        )
        if noun == "network":
            p.add_argument(
                "--auto-admit",
                action="store_true",
                help="admit organizations that ask to join without an admin's approval",
            )
            network_actions = gsub  # rules, hide, block, log: node/features/networks/cli.py

    group = add("token", lambda a: 0, "manage API tokens")
    gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add(
        "create",
        cmd_token_create,
        "create a bearer token for an actor's API (shown once)",
        parent=gsub,
    )
    p.add_argument("slug", metavar="SLUG", help="the organization or network")
    p.add_argument("--label", help="what the token is for")

    group = add("user", lambda a: 0, "manage people who administer the node")
    gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add(
        "create",
        cmd_user_create,
        "create a user (password from a prompt or --password-stdin)",
        parent=gsub,
    )
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--admin", action="store_true", help="node administrator")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    p = add("follow", cmd_follow, "make an organization or network follow a remote actor")
    p.add_argument("slug", metavar="SLUG", help="the local organization or network")
    p.add_argument("target", metavar="HANDLE", help="user@host handle or actor URL")
    p = add("unfollow", cmd_unfollow, "stop following a remote actor (sends Undo(Follow))")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("target", metavar="HANDLE", help="user@host handle or actor URL")
    p = add("followers", cmd_followers, "list an actor's followers (--pending: awaiting approval)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--pending", action="store_true", help="only those waiting for approval")
    p = add("approve", cmd_approve, "accept a pending follower (for actors with --manual-approval)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("actor", metavar="ACTOR_URL", help="the follower's actor URL")
    p = add("reject", cmd_reject, "refuse a pending follower (sends Reject)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("actor", metavar="ACTOR_URL", help="the follower's actor URL")
    p = add("note", cmd_note, "publish a short public note (paragraphs separated by blank lines)")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("text", metavar="TEXT")

    add("demo", cmd_demo, "load demo data: two organizations, one network and a few items")
    add("status", cmd_status, "show the node's configuration and job queue")
    from node.features.networks import cli as network_cli

    network_cli.add_commands(sub, add, network_actions)
    from node.features.moderation import cli as cli_moderation

    cli_moderation.add_commands(sub, add)
    from node.features.bridges import cli as bridges_cli

    bridges_cli.add_commands(sub, add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``solnode`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it loads; the one line we print after migrating is enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        result: int = args.func(args)
        return result
    except (CliError, ConfigError) as exc:
        print(f"solnode: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            print(f"solnode: error: cannot use the database: {exc.orig}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
