"""Demo data drawn from the people this serves: a national network, a coalition that runs a
virtual conference, and a peer-support network with monthly forums (their items: demo_items.py)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from node.cli_kit import CliContext, Subcommands, add_command
from node.settings import Settings, ensure_secret

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

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
        sub, "demo", cmd_demo, "load demo data: two organizations, one network and a few items"
    )
