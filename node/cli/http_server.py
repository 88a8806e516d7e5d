"""The HTTP protocol `solnode serve` runs: uvicorn's httptools protocol with a head deadline.

uvicorn closes idle keep-alive connections, but a connection that sends its request line and
headers one byte at a time is kept forever (slow-loris). Here the head must be complete within
``header_timeout`` seconds of the connection, or of the first byte of a later request on it,
and may not exceed ``MAX_HEAD_BYTES``; otherwise the client gets 408 (or 400) and is closed.
The body has its own deadline in node.web.edge.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeadTooLarge(ValueError):
    """Raised inside the parser's callback: httptools turns it into a parser error, and uvicorn
    answers 400 and closes the connection."""


class DeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol plus a deadline and a size cap on each request head."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = HeadHeld(self.transport, self.loop)

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._disarm_head_timer()
            raise HeadTooLarge(f"request head larger than {MAX_HEAD_BYTES} bytes")

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        # Only answer when no earlier (pipelined) answer is still being written.
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(TIMED_OUT)
        self.transport.close()


SMALL_BODY = 16 * 1024


class HeadHeld(asyncio.Transport):
    """A request cycle's view of the connection: uvicorn writes a response's head and its body
    separately, two sends for every small answer (an inbox's 202: the send was a seventh of
    the request's CPU, py-spy). The cycle's first write (the head) is held until its next
    write, which carries it, or until the end of this turn of the loop."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._first = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if len(data) <= SMALL_BODY:
                self._transport.write(held + bytes(data))
                return
            self._transport.write(held)
        elif self._first:
            self._first = False
            self._held = bytes(data)
            self._loop.call_soon(self._flush)
            return
        self._transport.write(data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)


def deadline_protocol(header_timeout: float) -> type[DeadlineProtocol]:
    """The protocol class for uvicorn, with this node's head deadline."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"header_timeout": header_timeout})
