"""Where mail goes (``SOLNODE_SMTP_URL``: ``smtp://user:pass@host:587`` or ``smtps://…``) and
the one send, with aiosmtplib: ``smtps`` is TLS from the first byte (port 465 by default),
``smtp`` upgrades with STARTTLS when the server offers it (port 587 by default)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

__all__ = ["SmtpTarget", "parse_smtp_url", "send"]

TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """The server of an ``smtp://`` or ``smtps://`` URL; ValueError says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"must be smtp://user:pass@host:587 or smtps://…, got {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"has a bad port: {url!r}") from None
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


async def send(url: str, message: EmailMessage) -> None:
    """Send one message; raises aiosmtplib's errors (or OSError) when it cannot."""
    target = parse_smtp_url(url)
    await aiosmtplib.send(
        message,
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.implicit_tls,
        start_tls=None if not target.implicit_tls else False,
        timeout=TIMEOUT,
    )
