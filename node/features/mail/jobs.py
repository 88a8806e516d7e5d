"""The ``mail`` job: one message, queued in the transaction of what it tells about, sent to
``SOLNODE_SMTP_URL`` by the worker; retried when the server is away or says "try later" (4xx),
given up on a permanent refusal (5xx)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from sqlmodel import Session

from node.features.mail import smtp
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import RetryPolicy
from node.federation.worker import Done, Fail, Outcome, Registry, Retry

__all__ = ["KIND", "POLICY", "enqueue", "message_of", "register", "run"]

KIND = "mail"
# A few tries over about a day: a confirmation that comes days late is worth little.
POLICY = RetryPolicy(max_attempts=8)


def enqueue(
    session: Session, *, to: str, subject: str, text: str, dedupe_key: str | None = None
) -> None:
    """Queue one plain-text message to ``to`` in the caller's transaction (``dedupe_key``: a
    message queued twice with it goes out once)."""
    jobs.enqueue(
        session.connection(),
        KIND,
        {"to": to, "subject": subject, "text": text},
        dedupe_key=dedupe_key,
    )


def message_of(node: NodeContext, payload: dict[str, Any]) -> EmailMessage:
    """The message of a job, from the node (its name, no-reply at its host)."""
    message = EmailMessage()
    sender = Address(node.settings.instance_name, "no-reply", node.settings.hostname)
    message["From"] = str(sender)
    message["To"] = str(payload["to"])
    message["Subject"] = str(payload["subject"])
    message.set_content(str(payload["text"]))
    return message


async def run(node: NodeContext, job: jobs.ClaimedJob) -> Outcome:
    url = node.settings.smtp_url
    if not url:
        return Fail("SOLNODE_SMTP_URL is not set: this node sends no e-mail")
    try:
        await smtp.send(url, message_of(node, job.payload))
    except smtp.SmtpRefused as exc:
        if 400 <= exc.code < 500:
            return Retry(str(exc))
        return Fail(str(exc))
    except smtp.SmtpUnreachable as exc:
        return Retry(f"SMTP server unreachable: {exc}")
    return Done()


def register(registry: Registry) -> None:
    registry.register(KIND, run, POLICY)
