"""The network commands of ``solnode``: membership, curation and relays.

    solnode join MEMBER_SLUG NETWORK        ask to join (NETWORK: handle or actor URL)
    solnode leave MEMBER_SLUG NETWORK       leave (or withdraw the request)
    solnode admit NETWORK_SLUG MEMBER       admit a pending request (MEMBER: handle or URL)
    solnode remove NETWORK_SLUG MEMBER      remove a member (or refuse a pending request)
    solnode members NETWORK_SLUG            members and requests, with their state
    solnode memberships SLUG                the networks an actor belongs to
    solnode network rules SLUG [--kinds event,news] [--tags ...] [--regions ...]
    solnode network hide SLUG OBJECT_URL    hide an item (and take back its Announce)
    solnode network block SLUG DOMAIN       a network's own domain block (and unblock)
    solnode network log SLUG [--items]      the network's decisions (and what it filed)
    solnode relay add URL | list | remove URL

Decisions are logged as ``cli:<os user>``. Messages go out through the worker (``solnode
serve`` or ``solnode worker``).
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from typing import Any

from node.cli import CliError, _engine, _local_actor, _run_with_node, _settings

Add = Callable[..., argparse.ArgumentParser]


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli:unknown"


def _errors() -> tuple[type[Exception], ...]:
    from node.features.networks.membership import MembershipError
    from node.features.networks.rules import RulesError
    from node.federation.policy import DomainError
    from node.federation.relays import RelayError
    from node.federation.remote.actors import RemoteActorError

    return (MembershipError, RemoteActorError, RulesError, RelayError, DomainError)


def _run(args: argparse.Namespace, slug: str | None, work: Callable[[Any, Any], Any]) -> Any:
    """Run ``work(node, actor)`` with the node context; user errors become one line."""
    settings = _settings(args)
    engine = _engine(settings)
    actor = _local_actor(engine, slug) if slug else None
    try:
        return _run_with_node(settings, engine, lambda node: work(node, actor))
    except _errors() as exc:
        raise CliError(str(exc)) from exc


def _network(args: argparse.Namespace) -> Any:
    actor = _local_actor(_engine(_settings(args)), args.slug)
    if actor.kind != "network":
        raise CliError(f"@{actor.slug} is an organization, not a network")
    return actor


def cmd_join(args: argparse.Namespace) -> int:
    from node.features.networks.membership import join

    row = _run(args, args.slug, lambda node, actor: join(node, actor, args.network))
    print(f"@{args.slug} asked to join {row.network} (state: {row.state}).")
    return 0


def cmd_leave(args: argparse.Namespace) -> int:
    from node.features.networks.membership import leave

    row = _run(args, args.slug, lambda node, actor: leave(node, actor, args.network))
    print(f"@{args.slug} left {row.network}.")
    return 0


def cmd_admit(args: argparse.Namespace) -> int:
    from node.features.networks.membership import admit

    _network(args)
    row = _run(args, args.slug, lambda node, net: admit(node, net, args.member, _who()))
    print(f"{row.member} admitted to @{args.slug}; the network now follows it.")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from node.features.networks.membership import remove

    _network(args)
    row = _run(
        args,
        args.slug,
        lambda node, net: remove(node, net, args.member, _who(), args.reason or ""),
    )
    what = "request refused" if row.state == "rejected" else "removed"
    print(f"{row.member}: {what} (@{args.slug}).")
    return 0


def cmd_members(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from node.features.networks.membership import members

    network = _network(args)
    state = None if args.state == "all" else args.state
    with Session(_engine(_settings(args))) as session:
        rows = members(session, network, state)
    for row in rows:
        print(f"{row.state:<10} {row.kind:<13} {row.member}")
    if not rows:
        print(f"(no {'members or requests' if state is None else state} for @{args.slug})")
    return 0


def cmd_memberships(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from node.features.networks.membership import memberships

    actor = _local_actor(_engine(_settings(args)), args.slug)
    with Session(_engine(_settings(args))) as session:
        rows = memberships(session, actor, all_states=True)
    for row in rows:
        print(f"{row.state:<10} {row.network}")
    if not rows:
        print(f"(@{args.slug} has not asked to join any network)")
    return 0


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v for v in value.split(",") if v.strip()]


def cmd_rules(args: argparse.Namespace) -> int:
    from node.db import session_scope
    from node.features.networks.rules import RulesError, load_rules, set_rules

    network = _network(args)
    parts = {"kinds": args.kinds, "tags": args.tags, "regions": args.regions}
    with session_scope(_engine(_settings(args))) as session:
        try:
            if any(v is not None for v in parts.values()):
                rules = set_rules(
                    session, network, _who(), **{k: _split(v) for k, v in parts.items()}
                )
            else:
                rules = load_rules(session, network.id)
        except RulesError as exc:
            raise CliError(str(exc)) from exc
    for key, values in rules.as_dict().items():
        empty = "(none)" if key == "blockedDomains" else "(all)"
        print(f"{key}: {', '.join(values) or empty}")
    return 0


def cmd_hide(args: argparse.Namespace) -> int:
    from node.db import session_scope
    from node.features.networks.rules import hide_item

    network = _network(args)

    async def work(node: Any, _actor: Any) -> None:
        def write() -> None:
            with session_scope(node.engine) as session:
                hide_item(session, node, network, args.object, _who(), args.reason or "")

        from anyio import to_thread

        await to_thread.run_sync(write)
        node.notify_work()

    _run(args, None, work)
    print(f"{args.object} hidden from @{args.slug} (its Announce is taken back).")
    return 0


def cmd_block(args: argparse.Namespace) -> int:
    from node.db import session_scope
    from node.features.networks.rules import block_domain, unblock_domain
    from node.federation.policy import normalize_domain

    network = _network(args)
    settings = _settings(args)
    engine = _engine(settings)
    if args.undo:
        with session_scope(engine) as session:
            if not unblock_domain(session, network, args.domain, _who()):
                raise CliError(f"@{args.slug} does not block {args.domain}")
        print(f"@{args.slug} no longer blocks {args.domain}.")
        return 0

    async def work(node: Any, _actor: Any) -> int:
        from anyio import to_thread

        def write() -> int:
            with session_scope(node.engine) as session:
                return block_domain(session, node, network, args.domain, _who(), args.reason or "")

        return await to_thread.run_sync(write)

    hidden = _run(args, None, work)
    print(f"@{args.slug} blocks {normalize_domain(args.domain)}; {hidden} item(s) hidden.")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from sqlmodel import Session, col, select

    from node.features.networks.rules import log_entries
    from node.models.networks import NetworkItem

    network = _network(args)
    with Session(_engine(_settings(args))) as session:
        for entry in log_entries(session, network, args.limit):
            when = entry.created_at.strftime("%Y-%m-%d %H:%M")
            print(f"{when}  {entry.who}  {entry.action}  {entry.target}  {entry.reason}".rstrip())
        if args.items:
            rows = session.exec(
                select(NetworkItem)
                .where(NetworkItem.network_id == network.id)
                .order_by(col(NetworkItem.id).desc())
                .limit(args.limit)
            ).all()
            for row in rows:
                print(f"{row.state:<8} {row.kind:<6} {row.object_id}  {row.reason}".rstrip())
    return 0


def cmd_relay_add(args: argparse.Namespace) -> int:
    from node.cli import _ensure_instance
    from node.federation.relays import add_relay

    settings = _settings(args)
    _ensure_instance(settings, _engine(settings))  # the instance actor is who subscribes
    row = _run(args, None, lambda node, _a: add_relay(node, args.url, args.style))
    print(f"Relay {row.url} ({row.style}): {row.state}.")
    return 0


def cmd_relay_list(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from node.federation.relays import list_relays

    with Session(_engine(_settings(args))) as session:
        rows = list_relays(session)
    for row in rows:
        print(f"{row.state:<9} {row.style:<9} {row.url}  (inbox {row.inbox})")
    if not rows:
        print("(no relays)")
    return 0


def cmd_relay_remove(args: argparse.Namespace) -> int:
    from node.federation.relays import remove_relay

    _run(args, None, lambda node, _a: remove_relay(node, args.url))
    print(f"Unsubscribed from {args.url}.")
    return 0


def add_commands(sub: Any, add: Add, network_actions: Any) -> None:
    """Add the network commands to the ``solnode`` parser (``network_actions``: the
    subcommands of ``solnode network``)."""
    p = add("join", cmd_join, "ask for an organization (or network) to join a network")
    p.add_argument("slug", metavar="MEMBER_SLUG", help="our organization or network")
    p.add_argument("network", metavar="NETWORK", help="the network: user@host handle or URL")
    p = add("leave", cmd_leave, "leave a network (or withdraw a request to join)")
    p.add_argument("slug", metavar="MEMBER_SLUG")
    p.add_argument("network", metavar="NETWORK", help="user@host handle or actor URL")
    p = add("admit", cmd_admit, "admit a pending request to join one of our networks")
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument("member", metavar="MEMBER", help="user@host handle or actor URL")
    p = add("remove", cmd_remove, "remove a member from a network (or refuse its request)")
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument("member", metavar="MEMBER", help="user@host handle or actor URL")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p = add("members", cmd_members, "list a network's members and requests")
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument(
        "--state",
        choices=("all", "requested", "admitted", "rejected", "ended"),
        default="all",
        help="only this state (default all)",
    )
    p = add(
        "memberships", cmd_memberships, "list the networks an actor belongs to or asked to join"
    )
    p.add_argument("slug", metavar="SLUG")

    p = add("rules", cmd_rules, "show or set what a network relays", parent=network_actions)
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--kinds", help="comma-separated: event,news,call,note,other ('' = all)")
    p.add_argument("--tags", help="comma-separated hashtags; items need one of them ('' = all)")
    p.add_argument("--regions", help="comma-separated regions or country codes ('' = all)")
    p = add(
        "hide",
        cmd_hide,
        "hide an item from a network (its Announce is taken back)",
        parent=network_actions,
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("object", metavar="OBJECT_URL")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p = add(
        "block",
        cmd_block,
        "a network refuses items and members from a domain",
        parent=network_actions,
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p.add_argument("--undo", action="store_true", help="lift the block")
    p = add("log", cmd_log, "a network's curation decisions, newest first", parent=network_actions)
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--limit", type=int, default=50, help="entries shown (default 50)")
    p.add_argument("--items", action="store_true", help="also what it filed, and why")

    group = add("relay", lambda a: 0, "subscribe this node to ActivityPub relays")
    gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add(
        "add",
        cmd_relay_add,
        "subscribe to a relay (inbox URL: Mastodon style; actor URL: LitePub)",
        parent=gsub,
    )
    p.add_argument("url", metavar="URL")
    p.add_argument("--style", choices=("mastodon", "litepub"), help="default: guessed from the URL")
    add("list", cmd_relay_list, "list relay subscriptions", parent=gsub)
    p = add("remove", cmd_relay_remove, "unsubscribe from a relay", parent=gsub)
    p.add_argument("url", metavar="URL")
