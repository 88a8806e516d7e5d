"""A tiny SMTP server on 127.0.0.1 for the mail tests: asyncio, in a thread of its own, enough
of RFC 5321 for one client (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT). It keeps
what it received; ``refuse`` makes it answer MAIL FROM with that reply instead."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    auth: str | None


@dataclass
class SmtpServer:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: str | None = None  # e.g. "550 5.1.1 no such user"

    @property
    def url(self) -> str:
        return f"smtp://node%40example.org:s3cret@127.0.0.1:{self.port}"

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        say("220 127.0.0.1 test SMTP")
        sender, auth = "", None
        recipients: list[str] = []
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250-127.0.0.1")
                say("250-AUTH PLAIN LOGIN")
                say("250 8BITMIME")
            elif verb == "AUTH":
                auth = await self._auth(line, reader, say)
                say("235 2.7.0 ok")
            elif verb == "MAIL":
                if self.refuse:
                    say(self.refuse)
                    continue
                sender, recipients = line.split(":", 1)[1].strip().split()[0].strip("<>"), []
                say("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                parsed = message_from_bytes(data[:-5], policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                self.received.append(Received(sender, recipients, parsed, auth))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("250 ok")
            await writer.drain()
        writer.close()

    @staticmethod
    async def _auth(line: str, reader: asyncio.StreamReader, say: object) -> str:
        parts = line.split()
        if parts[1].upper() == "PLAIN" and len(parts) == 3:
            return base64.b64decode(parts[2]).decode()
        assert callable(say)
        answers = []
        for prompt in ("VXNlcm5hbWU6", "UGFzc3dvcmQ6"):  # "Username:", "Password:"
            say(f"334 {prompt}")
            answers.append(base64.b64decode((await reader.readline()).strip()).decode())
        return "\0" + "\0".join(answers)


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Serve on a free loopback port for the duration of the block."""
    server = SmtpServer()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.Server] = {}

    async def start() -> None:
        srv = await asyncio.start_server(server._session, "127.0.0.1", 0)
        server.port = srv.sockets[0].getsockname()[1]
        holder["srv"] = srv
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result()
    ready.wait()
    try:
        yield server
    finally:

        async def stop() -> None:
            holder["srv"].close()
            await holder["srv"].wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
