"""``solnode murmurations register SLUG``: tell a Murmurations index where an organization's
profile is (``SOLNODE_MURMURATIONS_INDEX``; opt-in, nothing is sent otherwise)."""

from __future__ import annotations

import argparse

from node.cli_kit import CliContext, CliError, Subcommands, add_command, add_group


def cmd_murmurations_register(ctx: CliContext, args: argparse.Namespace) -> int:
    """Register an organization's Murmurations profile with the configured index."""
    from node.features.bridges import murmurations  # lazy: start-up
    from node.federation.context import NodeContext  # lazy: start-up
    from node.federation.http import (  # lazy: start-up
        FetchError,
        HttpResponse,
    )

    settings = ctx.settings
    index = settings.murmurations_index
    if not index:
        raise CliError(
            "no Murmurations index configured; set SOLNODE_MURMURATIONS_INDEX "
            "(e.g. https://index.murmurations.network)"
        )
    actor = ctx.local_actor(args.slug)
    if actor.kind == "application":
        raise CliError(f"{args.slug} is not an organization or network")
    profile_url = settings.url(f"/@{actor.slug}/murmurations.json")

    async def work(node: NodeContext) -> HttpResponse:
        assert node.http is not None
        return await murmurations.register(node.http, index, profile_url)

    try:
        answer = ctx.run(work)
    except FetchError as exc:
        raise CliError(f"cannot reach the Murmurations index: {exc}") from exc
    if not 200 <= answer.status < 300:
        text = answer.body[:300].decode("utf-8", "replace")
        raise CliError(f"the index answered {answer.status}: {text}")
    print(f"Registered {profile_url} with {murmurations.nodes_url(index)}.")
    try:
        node_id = (answer.json().get("data") or {}).get("node_id")
    except (FetchError, AttributeError):
        node_id = None
    if node_id:
        print(f"Node id: {node_id}")
    return 0


def add_commands(sub: Subcommands[argparse.ArgumentParser]) -> None:
    """Add ``murmurations register`` to the ``solnode`` parser."""
    actions = add_group(sub, "murmurations", "publish profiles to a Murmurations index")
    p = add_command(
        actions,
        "register",
        cmd_murmurations_register,
        "register an organization's Murmurations profile with SOLNODE_MURMURATIONS_INDEX",
    )
    p.add_argument("slug", metavar="SLUG", help="the organization or network")
