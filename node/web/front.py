"""The node's ASGI application: Starlette, with POSTs to an inbox answered in front of it.

The inbox takes most of a node's traffic, and Starlette's router and middleware stack (error
middleware, EdgeGuard, metrics, authorized fetch, exception middleware, routing, request and
response objects) cost as much CPU as verifying the signature (py-spy under
bench/bench_inbox.py). So a POST whose path is one of the inbox routes goes straight to the
inbox endpoint, and what the stack does for it is done here, in one place:

* EdgeGuard's body deadline (``body_timeout`` from the request's start; 408 and closed after
  it), its quiet 400 for a client that goes away mid-body, and ``nosniff`` (the endpoint's
  answers carry it);
* RequestMetrics' count and time under the route template, and the request log line;
* the error middleware: an exception is logged and answered by the app's 500 handler, then
  raised on to the server, as Starlette does.

Authorized fetch concerns GETs only; rate limits, size caps and everything else of the inbox
are the endpoint's own. Any other request, and an inbox POST under a ``root_path``, goes through
the whole stack, where the same endpoint is the routes' endpoint.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from node.web.edge import cut_off

# Told each answered request: its scope, route template, status and seconds taken.
Observe = Callable[[Scope, str, int, float], None]


class Inbox(Protocol):
    """The inbox endpoint (node/federation/inbox/routes.py, given by node/wiring.py)."""

    async def answer(self, scope: Scope, receive: Receive) -> tuple[int, Message, Message]:
        """One POST's status and the two ASGI messages of its answer."""


class NodeApp(Starlette):
    """Starlette with the inbox in front; see the module docstring."""

    def __init__(
        self, *, inbox: Inbox, body_timeout: float, observe: Observe, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.inbox = inbox
        self.body_timeout = body_timeout
        self.observe = observe
        # matched exactly as the router matches them: the routes' own patterns
        self.inbox_routes = [
            (route.path_regex, route.path)
            for route in self.router.routes
            if isinstance(route, Route) and getattr(route, "endpoint", None) is inbox
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/inbox")
            and not scope.get("root_path")
        ):
            path = scope["path"]
            for pattern, template in self.inbox_routes:
                found = pattern.match(path)
                if found is not None:
                    scope["app"] = self
                    scope["path_params"] = found.groupdict()
                    await self._inbox(scope, receive, send, template)
                    return
        await super().__call__(scope, receive, send)

    async def _inbox(self, scope: Scope, receive: Receive, send: Send, template: str) -> None:
        start = time.perf_counter()
        loop = asyncio.get_running_loop()
        # [reading the body now, the body has arrived, its deadline has passed]: one timer a
        # request, not an asyncio.timeout per read (a tenth of this path's own CPU, py-spy)
        state = [False, False, False]
        task = asyncio.current_task()
        timer = loop.call_at(loop.time() + self.body_timeout, _body_late, state, task)

        async def guarded_receive() -> Message:
            if state[1]:
                return await receive()  # waiting for a disconnect while answering: no deadline
            if state[2]:
                return {"type": "http.disconnect"}
            state[0] = True
            try:
                message = await receive()
            except asyncio.CancelledError:
                if not state[2] or task is None or task.uncancel():
                    raise  # cancelled by someone else
                return {"type": "http.disconnect"}
            finally:
                state[0] = False
            if message["type"] == "http.request" and not message.get("more_body", False):
                state[1] = True
                timer.cancel()
            return message

        status = 500
        try:
            try:
                answer, head, body = await self.inbox.answer(scope, guarded_receive)
            except ClientDisconnect:
                status = await cut_off(
                    scope, send, timed_out=state[2], body_timeout=self.body_timeout
                )
                return
            except Exception as exc:
                await self._server_error(scope, receive, send, exc)
                raise
            status = answer
            await send(head)
            await send(body)
        finally:
            timer.cancel()
            self.observe(scope, template, status, time.perf_counter() - start)

    async def _server_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        """The answer Starlette's error middleware gives: the app's 500 handler's."""
        handler = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
        if handler is None:
            return
        response = handler(Request(scope), exc)
        if inspect.isawaitable(response):
            response = await response
        if response is not None:
            await response(scope, receive, send)


def _body_late(state: list[bool], task: asyncio.Task[Any] | None) -> None:
    """The body deadline: a read under way is cancelled (and answered 408), a later one
    refused at once; nothing happens once the body has arrived."""
    if state[1]:
        return
    state[2] = True
    if state[0] and task is not None:
        task.cancel()
