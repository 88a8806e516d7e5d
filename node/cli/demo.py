"""Demo data drawn from the people this serves: a national network, a coalition that runs a
virtual conference, and a peer-support network with monthly forums (their items: demo_items.py),
and the continental network the national one belongs to, so the demo shows nesting: the
coalition's conference is on RIPESS North America's pages, two network levels up."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from node.cli_kit import CliContext, Subcommands, add_command
from node.settings import Settings, ensure_secret

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from node.federation.context import NodeContext
    from node.models import LocalActor

NETWORK = {
    "slug": "ussen",
    "name": "U.S. Solidarity Economy Network",
    "summary": (
        "<p>We connect a diverse array of individuals, organizations, businesses and projects in "
        "the shared work of building regional, national and international movements for a "
        "solidarity economy. Member of RIPESS.</p>"
    ),
}
# RIPESS-N. America, through which the national network is connected to the global movement.
CONTINENTAL = {
    "slug": "ripess-na",
    "name": "RIPESS North America",
    "summary": (
        "<p>The North American network of RIPESS, the Intercontinental Network for the "
        "Promotion of the Social Solidarity Economy: solidarity economy networks of the "
        "continent, building the global movement together.</p>"
    ),
}
REGIONS = {
    "ussen": {"region": "United States", "country": "US"},
    "ripess-na": {"region": "North America"},
}
ORGANIZATIONS = [
    {
        "slug": "nec",
        "name": "New Economy Coalition",
        "summary": (
            "<p>Convening the solidarity economy movement to share knowledge, foster "
            "collaboration and drive collective action towards a more equitable and sustainable "
            "economic system.</p>"
        ),
    },
    {
        "slug": "sjn",
        "name": "Social Justice Network",
        "summary": (
            "<p>A network of people who support each other to build social justice: monthly "
            "peer support forums, creative challenges, and shared stories, case studies and "
            "tools.</p>"
        ),
    },
]
# The demo's account in the workspace (documented in README's quick start): an admin of the
# demo organizations and network, not of the node. A demo is not a production node.
DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "solidarity-demo"  # noqa: S105  (published on purpose)


def _demo_account(session: Session, actors: list[LocalActor]) -> None:
    from node.features.workspace.accounts import create_user, grant  # lazy: start-up

    user, _ = create_user(session, DEMO_EMAIL, password=DEMO_PASSWORD)
    for actor in actors:
        grant(session, user, actor, "admin")


def sign_in_line(settings: Settings) -> str:
    """Where and how to sign in to the demo's workspace."""
    return (
        f"Workspace  {settings.base_url}/workspace  e-mail {DEMO_EMAIL}  password {DEMO_PASSWORD}"
    )


def load_demo(settings: Settings, engine: Engine) -> Iterator[str]:
    """Create the demo actors and items; safe to run twice. Yields progress lines."""
    from node.cli.demo_items import publish_demo_items  # lazy: start-up
    from node.db import session_scope  # lazy: start-up
    from node.federation.actors.local import (  # lazy: start-up
        create_actor,
        get_actor,
    )
    from node.federation.context import NodeContext  # lazy: start-up

    with session_scope(engine) as session:
        if get_actor(session, NETWORK["slug"]) is not None:
            yield "Demo data is already loaded."
            yield sign_in_line(settings)
            return
        network = create_actor(
            session,
            NETWORK["slug"],
            kind="network",
            name=NETWORK["name"],
            summary=NETWORK["summary"],
            auto_admit=True,
        )
        yield f"Network  @{network.slug}@{settings.host}  {network.name}"
        continental = create_actor(
            session,
            CONTINENTAL["slug"],
            kind="network",
            name=CONTINENTAL["name"],
            summary=CONTINENTAL["summary"],
            auto_admit=True,
        )
        yield f"Network  @{continental.slug}@{settings.host}  {continental.name}"
        for actor in (network, continental):
            actor.profile = {**(actor.profile or {}), **REGIONS[actor.slug]}
            session.add(actor)
        _nest(session, NodeContext.build(settings, engine), network, continental)
        yield f"@{network.slug} is a member of @{continental.slug}"
        actors = {network.slug: network}
        for org in ORGANIZATIONS:
            actor = create_actor(
                session, org["slug"], kind="organization", name=org["name"], summary=org["summary"]
            )
            actors[actor.slug] = actor
            yield f"Organization  @{actor.slug}@{settings.host}  {actor.name}"
        # Their events, calls and news, in the same transaction: loaded once, or not at all.
        yield from publish_demo_items(session, NodeContext.build(settings, engine), actors)
        _demo_account(session, list(actors.values()))
        yield sign_in_line(settings)
    yield from _join_network(settings, engine, [a for a in actors.values() if a is not network])


def _nest(session: Session, node: NodeContext, member: LocalActor, network: LocalActor) -> None:
    """``member`` starts as an admitted member of ``network``, which follows it: the state a
    Join and its Accept, a Follow and its Accept leave. Written at once (the two networks
    agreed before the demo begins) so that everything ``member`` relays once the node serves
    reaches ``network`` too, whatever order the first jobs run in."""
    from node.db import now_utc  # lazy: start-up
    from node.federation.actors.documents import actor_id  # lazy: start-up
    from node.models import Follower, Following  # lazy: start-up
    from node.models.networks import Membership, OutgoingMembership  # lazy: start-up

    session.flush()
    assert member.id is not None and network.id is not None
    member_id, network_id = actor_id(node.urls, member), actor_id(node.urls, network)
    join, follow = node.urls.activity(uuid.uuid4().hex), node.urls.activity(uuid.uuid4().hex)
    session.add(
        Membership(
            network_id=network.id,
            member=member_id,
            kind="network",
            state="admitted",
            join_id=join,
            decided_at=now_utc(),
        )
    )
    session.add(
        OutgoingMembership(actor_id=member.id, network=network_id, join_id=join, state="admitted")
    )
    session.add(
        Following(actor_id=network.id, target_id=member_id, follow_id=follow, state="accepted")
    )
    session.add(
        Follower(
            actor_id=member.id,
            remote_id=network_id,
            follow_id=follow,
            inbox=node.urls.inbox(network.slug),
            shared_inbox=node.urls.shared_inbox,
            state="accepted",
        )
    )


def _join_network(settings: Settings, engine: Engine, members: list[LocalActor]) -> Iterator[str]:
    """Both organizations ask to join the network, through the protocol like any member: the
    Joins go out when the node serves, the network admits them (auto-admit) and files their
    posts."""
    from node.features.networks.membership import join  # lazy: start-up
    from node.federation.context import NodeContext  # lazy: start-up

    node = NodeContext.build(settings, engine)
    network_url = node.urls.actor(NETWORK["slug"])

    async def run(node: NodeContext) -> None:
        for member in members:
            await join(node, member, network_url)

    node.run(run)
    for member in members:
        yield f"@{member.slug} asked to join @{NETWORK['slug']} (admitted once the node serves)"


def cmd_demo(ctx: CliContext, args: argparse.Namespace) -> int:
    """Load the demo data (once; a second run says it is there)."""
    ctx.adopt(ensure_secret(ctx.settings))
    ctx.ensure_instance()
    for line in load_demo(ctx.settings, ctx.engine):
        print(line)
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """``solnode demo``."""
    add_command(
        sub,
        "demo",
        cmd_demo,
        "load demo data: two organizations, a network inside another and a few items",
    )
