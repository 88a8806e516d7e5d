"""The outermost ASGI layer: a body read deadline, quiet client disconnects, ``nosniff`` everywhere.

* A request body must arrive within ``body_timeout`` seconds of the request head; a client that
  trickles it is answered 408 and the connection closed. This is the deadline of every body
  reader (the inbox's ``_read_capped``, the API's ``read_json``, forms): they all read through
  ``receive``, which this layer wraps.
* A client that goes away in the middle of its body is one quiet log line, not a 500 with a
  traceback.
* Every answer (HTML, JSON, feeds, calendars, errors) carries ``X-Content-Type-Options: nosniff``.

The head (request line and headers) has its own deadline in the HTTP server (node.cli.http_server).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

log = logging.getLogger("solnode.edge")
NOSNIFF = (b"x-content-type-options", b"nosniff")


class EdgeGuard:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        state = {"body_done": False, "timed_out": False, "started": False}

        async def guarded_receive() -> Message:
            if state["body_done"]:
                return await receive()  # waiting for a disconnect while answering: no deadline
            try:
                async with asyncio.timeout_at(deadline):  # no task per chunk, unlike wait_for
                    message = await receive()
            except TimeoutError:
                state["timed_out"] = True
                return {"type": "http.disconnect"}
            if message["type"] == "http.request" and not message.get("more_body", False):
                state["body_done"] = True
            return message

        async def marked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = list(message.get("headers", []))
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):
                    headers.append(NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, guarded_receive, marked_send)
        except ClientDisconnect:
            if state["started"]:
                raise
            await cut_off(scope, send, timed_out=state["timed_out"], body_timeout=self.body_timeout)


async def cut_off(
    scope: MutableMapping[str, Any], send: Send, *, timed_out: bool, body_timeout: float
) -> int:
    """Answer a request whose body did not arrive (too slow, or the client went away); the
    status sent."""
    client = scope.get("client") or ("-", 0)
    where = f"{scope.get('method')} {scope.get('path')} from {client[0]}"
    if timed_out:
        log.info("body not received within %gs, answered 408: %s", body_timeout, where)
        status, text = 408, b"the request body did not arrive in time\n"
    else:
        log.info("client went away mid-body: %s", where)
        status, text = 400, b"the request body was cut off\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(text)).encode()),
        (b"connection", b"close"),
        NOSNIFF,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
    return status
