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
    solnode network reclean                 file old rows again under the current cleaning rules
    solnode relay add URL | list | remove URL

Decisions are logged as ``cli:<os user>``. Messages go out through the worker (``solnode
serve`` or ``solnode worker``).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from node.cli_kit import CliContext, CliError, Subcommands, add_command, add_group, operator

if TYPE_CHECKING:
    from node.federation.context import NodeContext
    from node.models import LocalActor

T = TypeVar("T")


def user_errors() -> tuple[type[Exception], ...]:
    """What the network services raise for a request they refuse; shown as one line."""
    from node.features.networks.membership import MembershipError  # lazy: start-up
    from node.features.networks.rules import RulesError  # lazy: start-up
    from node.federation.policy import DomainError  # lazy: start-up
    from node.federation.relays import RelayError  # lazy: start-up
    from node.federation.remote.actors import RemoteActorError  # lazy: start-up

    return (MembershipError, RemoteActorError, RulesError, RelayError, DomainError)


def _run(ctx: CliContext, work: Callable[[NodeContext], Awaitable[T]]) -> T:
    """Run ``work(node)`` with the node context; user errors become one line."""
    try:
        return ctx.run(work)
    except user_errors() as exc:
        raise CliError(str(exc)) from exc


def _network(ctx: CliContext, slug: str) -> LocalActor:
    actor = ctx.local_actor(slug)
    if actor.kind != "network":
        raise CliError(f"@{actor.slug} is an organization, not a network")
    return actor


def cmd_join(ctx: CliContext, args: argparse.Namespace) -> int:
    """Ask for one of our actors to join a network."""
    from node.features.networks.membership import join  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    row = _run(ctx, lambda node: join(node, actor, args.network))
    print(f"@{args.slug} asked to join {row.network} (state: {row.state}).")
    return 0


def cmd_leave(ctx: CliContext, args: argparse.Namespace) -> int:
    """Leave a network (or withdraw the request)."""
    from node.features.networks.membership import leave  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    row = _run(ctx, lambda node: leave(node, actor, args.network))
    print(f"@{args.slug} left {row.network}.")
    return 0


def cmd_admit(ctx: CliContext, args: argparse.Namespace) -> int:
    """Admit a pending request to join one of our networks."""
    from node.features.networks.membership import admit  # lazy: start-up

    net = _network(ctx, args.slug)
    row = _run(ctx, lambda node: admit(node, net, args.member, operator()))
    print(f"{row.member} admitted to @{args.slug}; the network now follows it.")
    return 0


def cmd_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    """Remove a member (or refuse a pending request)."""
    from node.features.networks.membership import remove  # lazy: start-up

    net = _network(ctx, args.slug)
    row = _run(ctx, lambda node: remove(node, net, args.member, operator(), args.reason or ""))
    what = "request refused" if row.state == "rejected" else "removed"
    print(f"{row.member}: {what} (@{args.slug}).")
    return 0


def cmd_members(ctx: CliContext, args: argparse.Namespace) -> int:
    """A network's members and requests, with their state."""
    from sqlmodel import Session  # lazy: start-up

    from node.features.networks.membership import members  # lazy: start-up

    network = _network(ctx, args.slug)
    state = None if args.state == "all" else args.state
    with Session(ctx.engine) as session:
        rows = members(session, network, state)
    for row in rows:
        print(f"{row.state:<10} {row.kind:<13} {row.member}")
    if not rows:
        print(f"(no {'members or requests' if state is None else state} for @{args.slug})")
    return 0


def cmd_memberships(ctx: CliContext, args: argparse.Namespace) -> int:
    """The networks an actor belongs to or asked to join."""
    from sqlmodel import Session  # lazy: start-up

    from node.features.networks.membership import memberships  # lazy: start-up

    actor = ctx.local_actor(args.slug)
    with Session(ctx.engine) as session:
        rows = memberships(session, actor, all_states=True)
    for row in rows:
        print(f"{row.state:<10} {row.network}")
    if not rows:
        print(f"(@{args.slug} has not asked to join any network)")
    return 0


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v for v in value.split(",") if v.strip()]


def cmd_rules(ctx: CliContext, args: argparse.Namespace) -> int:
    """Show a network's rules, or set those given."""
    from node.db import session_scope  # lazy: start-up
    from node.features.networks.rules import (  # lazy: start-up
        RulesError,
        load_rules,
        set_rules,
    )

    network = _network(ctx, args.slug)
    parts = {"kinds": args.kinds, "tags": args.tags, "regions": args.regions}
    with session_scope(ctx.engine) as session:
        try:
            if any(v is not None for v in parts.values()):
                split = {k: _split(v) for k, v in parts.items()}
                rules = set_rules(session, network, operator(), **split)
            else:
                assert network.id is not None  # read from the database, so stored
                rules = load_rules(session, network.id)
        except RulesError as exc:
            raise CliError(str(exc)) from exc
    for key, values in rules.as_dict().items():
        empty = "(none)" if key == "blockedDomains" else "(all)"
        print(f"{key}: {', '.join(values) or empty}")
    return 0


def cmd_hide(ctx: CliContext, args: argparse.Namespace) -> int:
    """Hide an item from a network (and take back its Announce)."""
    from anyio import to_thread  # lazy: start-up

    from node.db import session_scope  # lazy: start-up
    from node.features.networks.rules import hide_item  # lazy: start-up

    network = _network(ctx, args.slug)

    async def work(node: NodeContext) -> None:
        def write() -> None:
            with session_scope(node.engine) as session:
                hide_item(session, node, network, args.object, operator(), args.reason or "")

        await to_thread.run_sync(write)
        node.notify_work()

    _run(ctx, work)
    print(f"{args.object} hidden from @{args.slug} (its Announce is taken back).")
    return 0


def cmd_block(ctx: CliContext, args: argparse.Namespace) -> int:
    """A network's own domain block (``--undo`` lifts it)."""
    from anyio import to_thread  # lazy: start-up

    from node.db import session_scope  # lazy: start-up
    from node.features.networks.rules import (  # lazy: start-up
        block_domain,
        unblock_domain,
    )
    from node.federation.policy import normalize_domain  # lazy: start-up

    network = _network(ctx, args.slug)
    if args.undo:
        with session_scope(ctx.engine) as session:
            if not unblock_domain(session, network, args.domain, operator()):
                raise CliError(f"@{args.slug} does not block {args.domain}")
        print(f"@{args.slug} no longer blocks {args.domain}.")
        return 0

    async def work(node: NodeContext) -> int:
        def write() -> int:
            with session_scope(node.engine) as session:
                reason = args.reason or ""
                return block_domain(session, node, network, args.domain, operator(), reason)

        return await to_thread.run_sync(write)

    hidden = _run(ctx, work)
    print(f"@{args.slug} blocks {normalize_domain(args.domain)}; {hidden} item(s) hidden.")
    return 0


def cmd_log(ctx: CliContext, args: argparse.Namespace) -> int:
    """The network's decisions, newest first (and, with ``--items``, what it filed)."""
    from sqlmodel import (  # lazy: start-up
        Session,
        col,
        select,
    )

    from node.features.networks.rules import log_entries  # lazy: start-up
    from node.models.networks import NetworkItem  # lazy: start-up

    network = _network(ctx, args.slug)
    with Session(ctx.engine) as session:
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


def cmd_relay_add(ctx: CliContext, args: argparse.Namespace) -> int:
    """Subscribe this node to a relay."""
    from node.federation.relays import add_relay  # lazy: start-up

    ctx.ensure_instance()  # the instance actor is who subscribes
    row = _run(ctx, lambda node: add_relay(node, args.url, args.style))
    print(f"Relay {row.url} ({row.style}): {row.state}.")
    return 0


def cmd_relay_list(ctx: CliContext, args: argparse.Namespace) -> int:
    """The relay subscriptions and their state."""
    from sqlmodel import Session  # lazy: start-up

    from node.federation.relays import list_relays  # lazy: start-up

    with Session(ctx.engine) as session:
        rows = list_relays(session)
    for row in rows:
        print(f"{row.state:<9} {row.style:<9} {row.url}  (inbox {row.inbox})")
    if not rows:
        print("(no relays)")
    return 0


def cmd_relay_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    """Unsubscribe from a relay."""
    from node.federation.relays import remove_relay  # lazy: start-up

    _run(ctx, lambda node: remove_relay(node, args.url))
    print(f"Unsubscribed from {args.url}.")
    return 0


def cmd_reclean(ctx: CliContext, args: argparse.Namespace) -> int:
    """File again, under the current cleaning rules, the rows filed under older ones."""
    from node.features.networks import reclean  # lazy: start-up

    if args.batch < 1:
        raise CliError(f"--batch must be at least 1, got {args.batch}")
    waiting = reclean.waiting(ctx.engine)
    if not waiting:
        print("Every filed item is already under the current cleaning rules.")
        return 0
    print(f"{waiting:,} filed item(s) to bring under the current cleaning rules ...")
    done = reclean.reclean_all(
        ctx.engine,
        lambda p: print(f"  {p.done:,} of {p.waiting:,}", flush=True),
        batch=args.batch,
    )
    print(f"Done: {done:,} item(s) filed again; they are no longer cleaned on every read.")
    return 0


def add_commands(
    sub: Subcommands[argparse.ArgumentParser], network_actions: Subcommands[argparse.ArgumentParser]
) -> None:
    """Add the network commands to the ``solnode`` parser (``network_actions``: the
    subcommands of ``solnode network``)."""
    _add_membership(sub)
    _add_curation(network_actions)
    _add_relay(sub)


def _add_membership(sub: Subcommands[argparse.ArgumentParser]) -> None:
    p = add_command(sub, "join", cmd_join, "ask for an organization (or network) to join a network")
    p.add_argument("slug", metavar="MEMBER_SLUG", help="our organization or network")
    p.add_argument("network", metavar="NETWORK", help="the network: user@host handle or URL")
    p = add_command(sub, "leave", cmd_leave, "leave a network (or withdraw a request to join)")
    p.add_argument("slug", metavar="MEMBER_SLUG")
    p.add_argument("network", metavar="NETWORK", help="user@host handle or actor URL")
    p = add_command(sub, "admit", cmd_admit, "admit a pending request to join one of our networks")
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument("member", metavar="MEMBER", help="user@host handle or actor URL")
    p = add_command(
        sub, "remove", cmd_remove, "remove a member from a network (or refuse its request)"
    )
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument("member", metavar="MEMBER", help="user@host handle or actor URL")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p = add_command(sub, "members", cmd_members, "list a network's members and requests")
    p.add_argument("slug", metavar="NETWORK_SLUG")
    p.add_argument(
        "--state",
        choices=("all", "requested", "admitted", "rejected", "ended"),
        default="all",
        help="only this state (default all)",
    )
    p = add_command(
        sub,
        "memberships",
        cmd_memberships,
        "list the networks an actor belongs to or asked to join",
    )
    p.add_argument("slug", metavar="SLUG")


def _add_curation(actions: Subcommands[argparse.ArgumentParser]) -> None:
    p = add_command(actions, "rules", cmd_rules, "show or set what a network relays")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--kinds", help="comma-separated: event,news,call,note,other ('' = all)")
    p.add_argument("--tags", help="comma-separated hashtags; items need one of them ('' = all)")
    p.add_argument("--regions", help="comma-separated regions or country codes ('' = all)")
    p = add_command(
        actions, "hide", cmd_hide, "hide an item from a network (its Announce is taken back)"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("object", metavar="OBJECT_URL")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p = add_command(
        actions, "block", cmd_block, "a network refuses items and members from a domain"
    )
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--reason", help="why (kept in the network's log)")
    p.add_argument("--undo", action="store_true", help="lift the block")
    p = add_command(actions, "log", cmd_log, "a network's curation decisions, newest first")
    p.add_argument("slug", metavar="SLUG")
    p.add_argument("--limit", type=int, default=50, help="entries shown (default 50)")
    p.add_argument("--items", action="store_true", help="also what it filed, and why")
    p = add_command(
        actions,
        "reclean",
        cmd_reclean,
        "file old rows again under the current cleaning rules (once, not on every read)",
    )
    p.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")


def _add_relay(sub: Subcommands[argparse.ArgumentParser]) -> None:
    actions = add_group(sub, "relay", "subscribe this node to ActivityPub relays")
    p = add_command(
        actions,
        "add",
        cmd_relay_add,
        "subscribe to a relay (inbox URL: Mastodon style; actor URL: LitePub)",
    )
    p.add_argument("url", metavar="URL")
    p.add_argument("--style", choices=("mastodon", "litepub"), help="default: guessed from the URL")
    add_command(actions, "list", cmd_relay_list, "list relay subscriptions")
    p = add_command(actions, "remove", cmd_relay_remove, "unsubscribe from a relay")
    p.add_argument("url", metavar="URL")
