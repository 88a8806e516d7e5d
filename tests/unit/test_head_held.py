"""`solnode serve` holds a response's head back until its body is written (one send for a small
answer, node/cli/http_server.py): over a real socket, what arrives is still every byte, in order,
whether the body follows at once, later, or never (a close)."""

from __future__ import annotations

import asyncio
import socket

from node.cli.http_server import HeadHeld

HEAD = b"HTTP/1.1 202 Accepted\r\ncontent-length: 23\r\n\r\n"
BODY = b'{"status":"accepted"}\r\n'


async def _exchange(steps: list[bytes | None], *, pause_after_head: bool) -> bytes:
    """Write ``steps`` through a HeadHeld over a socket pair (None: close); what the peer read."""
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    reader, writer = await asyncio.open_connection(sock=theirs)
    held = HeadHeld(transport, loop)
    for i, step in enumerate(steps):
        if step is None:
            held.close()
            break
        held.write(step)
        if i == 0 and pause_after_head:
            # a streaming answer: the head alone goes out at the end of this turn of the loop
            seen = await asyncio.wait_for(reader.readexactly(len(step)), timeout=5)
            assert seen == step
    else:
        transport.close()
    rest = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    return (steps[0] or b"") + rest if pause_after_head else rest


def test_a_small_answer_arrives_whole_and_in_order() -> None:
    assert asyncio.run(_exchange([HEAD, BODY], pause_after_head=False)) == HEAD + BODY


def test_a_head_whose_body_comes_later_is_not_held_past_the_turn() -> None:
    assert asyncio.run(_exchange([HEAD, BODY], pause_after_head=True)) == HEAD + BODY


def test_a_close_after_the_head_still_sends_it() -> None:
    assert asyncio.run(_exchange([HEAD, None], pause_after_head=False)) == HEAD


def test_a_large_body_follows_its_head() -> None:
    big = b"x" * 100_000
    assert asyncio.run(_exchange([HEAD, big, BODY], pause_after_head=False)) == HEAD + big + BODY
