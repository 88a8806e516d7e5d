"""The doctor's clock check against a real HTTP server on loopback whose Date header is two
hours off (the system clock itself cannot be moved in a test), and one that is right."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from email.utils import formatdate

import pytest
from aiohttp import web
from sqlalchemy import Engine

from node.federation.context import NodeContext
from node.federation.doctor import network
from node.settings import Settings


async def serve_date(offset: float) -> tuple[web.AppRunner, int]:
    """A loopback server whose every answer carries a Date ``offset`` seconds from now."""

    async def answer(request: web.Request) -> web.Response:
        date = formatdate(time.time() + offset, usegmt=True)
        return web.json_response({"links": []}, headers={"Date": date})

    app = web.Application()
    app.router.add_get("/.well-known/nodeinfo", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, port


@pytest.fixture
async def node(settings: Settings, engine: Engine) -> AsyncIterator[NodeContext]:
    ctx = NodeContext.build(settings, engine)
    ctx.open_http()
    yield ctx
    await ctx.close_http()


@pytest.mark.parametrize(("offset", "status"), [(7200.0, "WARN"), (-7200.0, "WARN"), (0.0, "OK")])
async def test_the_clock_is_compared_with_the_handles_server(
    node: NodeContext, offset: float, status: str
) -> None:
    runner, port = await serve_date(offset)
    try:
        result = await network.clock(node, f"someone@127.0.0.1:{port}")
    finally:
        await runner.cleanup()
    assert result.status == status, result
    if status == "WARN":
        assert "time sync" in result.hint
