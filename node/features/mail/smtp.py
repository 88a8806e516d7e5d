"""Where mail goes (``SOLNODE_SMTP_URL``: ``smtp://user:pass@host:587`` or ``smtps://…``) and
the one send, with aiosmtplib: ``smtps`` is TLS from the first byte (port 465 by default),
``smtp`` upgrades with STARTTLS when the server offers it (port 587 by default).

aiosmtplib is imported at the first send (most nodes send no mail, and its ~40 modules were
an idle node's memory); its errors leave this module as :class:`SmtpRefused` and
:class:`SmtpUnreachable`."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

__all__ = ["SmtpRefused", "SmtpTarget", "SmtpUnreachable", "parse_smtp_url", "send"]

TIMEOUT = 30.0


class SmtpRefused(Exception):
    """The server answered the message with an error ``code`` (4xx: try later; 5xx: never)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"SMTP {code}: {message}")
        self.code = code
        self.message = message


class SmtpUnreachable(Exception):
    """No SMTP conversation: the server could not be reached, or the conversation broke."""


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
    """Send one message; raises SmtpRefused or SmtpUnreachable when it cannot."""
    import aiosmtplib  # lazy: see the module docstring

    target = parse_smtp_url(url)
    try:
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
    except aiosmtplib.SMTPResponseException as exc:
        raise SmtpRefused(exc.code, exc.message) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SmtpUnreachable(str(exc)) from exc
