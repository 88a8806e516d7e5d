"""Moderation decisions: block and unblock domains and actors, allow domains, settle reports.

Every decision is written to ``moderation_log`` in the same transaction as the change itself,
so the trail cannot miss one: who (``cli:<os user>``, ``admin:<email>``), what, about whom,
why, when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, delete, select

from node.db import now_utc, session_scope
from node.federation.policy import (
    SEVERITIES,
    covering_entries,
    forget_policy,
    host_of,
    normalize_domain,
)
from node.models import (
    ActorBlock,
    DomainAllow,
    DomainBlock,
    Follower,
    Following,
    ModerationLog,
    Report,
)
from node.web.i18n import N_
from node.web.wording import Worded

__all__ = [
    "ModerationError",
    "SeverResult",
    "allow_domain",
    "block_actor",
    "block_domain",
    "disallow_domain",
    "log",
    "open_reports",
    "resolve_report",
    "unblock_actor",
    "unblock_domain",
]


class ModerationError(Worded):
    """A moderation command cannot be carried out; the message says why (English in
    ``str()``, the reader's language with ``in_language``)."""


def log(session: Session, who: str, action: str, target: str = "", reason: str = "") -> None:
    """Add one entry to the moderation log (committed with the caller's transaction)."""
    session.add(
        ModerationLog(
            who=who[:2048], action=action[:32], target=target[:2048], reason=reason[:2000]
        )
    )


@dataclass(frozen=True)
class SeverResult:
    """Relationships removed by a reject block."""

    followers: int
    following: int


def _like_patterns(domain: str) -> list[str]:
    # Prefilter in SQL, confirm in Python with the same matching as the inbox (_covers).
    patterns = [f"%://{domain}/%", f"%://%.{domain}/%"]
    if domain.rpartition("]")[2].count(":") != 1:  # no port: any port of that host
        patterns += [f"%://{domain}:%", f"%://%.{domain}:%"]
    return patterns


def _covers(domain: str, url: str) -> bool:
    return domain in covering_entries(host_of(url))


def sever(session: Session, domain: str) -> SeverResult:
    """Remove follows to and from actors on ``domain`` (and its subdomains).

    A rejected server would never receive our posts nor be heard; keeping its follows would
    only show numbers that mean nothing (Mastodon severs them on suspension too).
    """
    patterns = _like_patterns(domain)
    followers = [
        row.id
        for row in session.exec(
            select(Follower).where(or_(*(col(Follower.remote_id).like(p) for p in patterns)))
        )
        if _covers(domain, row.remote_id)
    ]
    following = [
        row.id
        for row in session.exec(
            select(Following).where(or_(*(col(Following.target_id).like(p) for p in patterns)))
        )
        if _covers(domain, row.target_id)
    ]
    if followers:
        session.exec(delete(Follower).where(col(Follower.id).in_(followers)))
    if following:
        session.exec(delete(Following).where(col(Following.id).in_(following)))
    return SeverResult(len(followers), len(following))


_Row = TypeVar("_Row", DomainBlock, DomainAllow, ActorBlock)


def _find(session: Session, model: type[_Row], field: str, key: str) -> _Row | None:
    """The ``model`` row whose unique ``field`` (domain or actor) is ``key``, if any."""
    return session.exec(select(model).where(getattr(model, field) == key)).first()


def _record(
    engine: Engine,
    model: type[_Row],
    field: str,
    key: str,
    why: tuple[str, str, str],
    also: Callable[[Session], None] | None = None,
) -> _Row:
    """Create or update the ``model`` row for ``key`` with its reason, run ``also`` in the
    same transaction, and log ``(who, action, reason)``."""
    who, action, reason = why
    fields: dict[str, Any] = {field: key}
    with session_scope(engine) as session:
        row = _find(session, model, field, key) or model(**fields)
        row.reason = reason[:1000]
        session.add(row)
        if also is not None:
            also(session)
        log(session, who, action, key, reason)
    forget_policy(engine)
    return row


def _lift(
    engine: Engine, model: type[_Row], field: str, key: str, why: tuple[str, str, str]
) -> bool:
    """Delete the ``model`` row for ``key`` and log ``(who, action, reason)``; False if none."""
    who, action, reason = why
    with session_scope(engine) as session:
        row = _find(session, model, field, key)
        if row is None:
            return False
        session.delete(row)
        log(session, who, action, key, reason)
    forget_policy(engine)
    return True


def block_domain(
    engine: Engine,
    domain: str,
    severity: str,
    *,
    reason: str = "",
    who: str,
    source: str = "manual",
) -> tuple[DomainBlock, SeverResult]:
    """Block (or change the block of) a domain; a reject block severs its follows."""
    if severity not in SEVERITIES:
        raise ModerationError(
            N_("severity must be reject or limit, got %(severity)r"), severity=severity
        )
    name = normalize_domain(domain)
    with session_scope(engine) as session:
        row = _find(session, DomainBlock, "domain", name)
        if row is None:
            row = DomainBlock(domain=name, severity=severity)
        row.severity, row.reason, row.source = severity, reason[:1000], source[:2048]
        session.add(row)
        severed = sever(session, name) if severity == "reject" else SeverResult(0, 0)
        note = reason
        if severed.followers or severed.following:
            note += f" [severed {severed.followers} follower(s), {severed.following} follow(s)]"
        log(session, who, "block_domain", name, f"{severity}: {note}".strip())
    forget_policy(engine)
    return row, severed


def unblock_domain(engine: Engine, domain: str, *, who: str, reason: str = "") -> bool:
    """Lift a domain block; False if there was none."""
    name = normalize_domain(domain)
    return _lift(engine, DomainBlock, "domain", name, (who, "unblock_domain", reason))


def allow_domain(engine: Engine, domain: str, *, who: str, reason: str = "") -> DomainAllow:
    """Let a domain post to us in allowlist mode (SOLNODE_FEDERATION_MODE=allowlist)."""
    name = normalize_domain(domain)
    return _record(engine, DomainAllow, "domain", name, (who, "allow_domain", reason))


def disallow_domain(engine: Engine, domain: str, *, who: str, reason: str = "") -> bool:
    """Remove a domain from the allow-list; False if it was not on it."""
    name = normalize_domain(domain)
    return _lift(engine, DomainAllow, "domain", name, (who, "disallow_domain", reason))


def _actor_url(actor: str) -> str:
    value = actor.strip()
    if not value.startswith(("http://", "https://")) or not host_of(value) or len(value) > 2048:
        raise ModerationError(
            N_("an actor is blocked by its id, an http(s) URL; got %(actor)r"), actor=actor
        )
    return value


def block_actor(engine: Engine, actor: str, *, who: str, reason: str = "") -> ActorBlock:
    """Refuse everything from one remote actor; it no longer follows or is followed."""
    ident = _actor_url(actor)

    def unrelate(session: Session) -> None:
        session.exec(delete(Follower).where(col(Follower.remote_id) == ident))
        session.exec(delete(Following).where(col(Following.target_id) == ident))

    return _record(engine, ActorBlock, "actor", ident, (who, "block_actor", reason), unrelate)


def unblock_actor(engine: Engine, actor: str, *, who: str, reason: str = "") -> bool:
    """Lift an actor block; False if there was none."""
    ident = _actor_url(actor)
    return _lift(engine, ActorBlock, "actor", ident, (who, "unblock_actor", reason))


def open_reports(engine: Engine) -> list[Report]:
    """Reports waiting for an admin, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(select(Report).where(Report.state == "open").order_by(col(Report.id)))
        )


def resolve_report(engine: Engine, report_id: int, *, who: str, reason: str = "") -> Report:
    """Mark a report resolved (what was done goes in ``reason`` and the log)."""
    with session_scope(engine) as session:
        row = session.get(Report, report_id)
        if row is None:
            raise ModerationError(N_("no report %(report)s"), report=report_id)
        row.state, row.resolved_at = "resolved", now_utc()
        session.add(row)
        log(session, who, "report_resolved", str(report_id), reason)
    return row
