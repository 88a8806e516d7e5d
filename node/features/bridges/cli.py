"""``solnode murmurations register SLUG``: tell a Murmurations index where an organization's
profile is (``SOLNODE_MURMURATIONS_INDEX``; opt-in, nothing is sent otherwise)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from node.cli import CliError, _engine, _local_actor, _run_with_node, _settings
from node.context import NodeContext
from node.federation.http import FetchError

Add = Callable[..., argparse.ArgumentParser]


def cmd_murmurations_register(args: argparse.Namespace) -> int:
    from node.features.bridges import murmurations

    settings = _settings(args)
    if not settings.murmurations_index:
        raise CliError(
            "no Murmurations index configured; set SOLNODE_MURMURATIONS_INDEX "
            "(e.g. https://index.murmurations.network)"
        )
    engine = _engine(settings)
    actor = _local_actor(engine, args.slug)
    if actor.kind == "application":
        raise CliError(f"{args.slug} is not an organization or network")
    profile_url = settings.url(f"/@{actor.slug}/murmurations.json")

    async def work(node: NodeContext) -> Any:
        assert node.http is not None
        return await murmurations.register(node.http, settings.murmurations_index, profile_url)

    try:
        answer = _run_with_node(settings, engine, work)
    except FetchError as exc:
        raise CliError(f"cannot reach the Murmurations index: {exc}") from exc
    if not 200 <= answer.status < 300:
        text = answer.body[:300].decode("utf-8", "replace")
        raise CliError(f"the index answered {answer.status}: {text}")
    print(f"Registered {profile_url} with {murmurations.nodes_url(settings.murmurations_index)}.")
    try:
        node_id = (answer.json().get("data") or {}).get("node_id")
    except (FetchError, AttributeError):
        node_id = None
    if node_id:
        print(f"Node id: {node_id}")
    return 0


def add_commands(sub: Any, add: Add) -> None:
    """Add ``murmurations register`` to the ``solnode`` parser."""
    group = add("murmurations", lambda a: 0, "publish profiles to a Murmurations index")
    gsub = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = add(
        "register",
        cmd_murmurations_register,
        "register an organization's Murmurations profile with SOLNODE_MURMURATIONS_INDEX",
        parent=gsub,
    )
    p.add_argument("slug", metavar="SLUG", help="the organization or network")
