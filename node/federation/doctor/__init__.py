"""``solnode doctor``: small checks of a node's health, each returning a ``Result``.

``local`` reads the database, the settings and the disk; ``network`` talks HTTP through the
node's one outbound client (``NodeContext.open_http``). ``run_checks`` runs them all.
"""

from __future__ import annotations

from node.federation.context import NodeContext
from node.federation.doctor import local, network
from node.federation.doctor.result import Result

__all__ = ["Result", "run_checks"]


async def run_checks(node: NodeContext, handle: str | None = None) -> list[Result]:
    """Every check, in the order they are printed; a check never raises."""
    settings, engine = node.settings, node.engine
    results = [local.public_url(settings), local.migrations_current(engine)]
    schema_ok = results[-1].status == "OK"
    results.append(await network.webfinger_loops_back(node))
    results.append(await network.nodeinfo_answers(node))
    results.append(await network.clock(node, handle))
    results.append(await network.keys_match(node))
    if schema_ok:
        results += [local.queue(engine), local.dead_jobs(engine), local.open_circuits(engine)]
    results.append(local.disk_space(settings.data_dir))
    if handle:
        results.append(await network.remote_reachable(node, handle))
    return results
