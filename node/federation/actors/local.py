"""Creating and finding the actors this node hosts."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import bindparam
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from node.activitypub import keys
from node.db import now_utc
from node.models import LocalActor

KINDS = ("organization", "network", "application")
INSTANCE_SLUG = "instance.actor"
# Mastodon's username rule: what it accepts as preferredUsername in a handle.
SLUG_RE = re.compile(r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$")
RESERVED = frozenset(
    {
        "actor",
        "actors",
        "api",
        "admin",
        "inbox",
        "items",
        "activities",
        "static",
        "nodeinfo",
        "well-known",
        "instance",
        "about",
        "login",
        "logout",
        "feeds",
        "calendar",
        "directory",
        # fixed pages beside /workspace/{slug} (tests/unit/test_reserved_slugs.py)
        "sign-in",
        "sign-out",
        "sign-out-everywhere",
        "account",
        "invitations",
        "reset",
    }
)


class ActorError(ValueError):
    """A local actor cannot be created or found; the message says why."""


def validate_slug(slug: str) -> str:
    """Check a slug is usable as a Mastodon-compatible handle; return it in lower case."""
    value = slug.strip().lower()
    if not 1 <= len(value) <= 64:
        raise ActorError("a slug must be 1 to 64 characters long")
    if not SLUG_RE.match(value):
        raise ActorError(
            f"slug {slug!r} may contain only a-z, 0-9 and _, with single dots or dashes "
            "between them (it becomes the handle @slug@host)"
        )
    if value in RESERVED:
        raise ActorError(f"slug {value!r} is reserved; choose another")
    return value


def create_actor(
    session: Session,
    slug: str,
    *,
    kind: str,
    name: str,
    summary: str = "",
    manually_approves_followers: bool = False,
    auto_admit: bool = False,
) -> LocalActor:
    """Create an organization or network with fresh RSA-2048 and Ed25519 keys."""
    if kind not in ("organization", "network"):
        raise ActorError(f"kind must be organization or network, not {kind!r}")
    slug = validate_slug(slug)
    name = name.strip()
    if not name:
        raise ActorError("a name is required")
    if len(name) > 200:
        raise ActorError("the name must be at most 200 characters")
    if session.exec(select(LocalActor).where(LocalActor.slug == slug)).first():
        raise ActorError(f"an actor with slug {slug!r} already exists")
    return _insert(session, slug, kind, name, summary, manually_approves_followers, auto_admit)


def _insert(
    session: Session,
    slug: str,
    kind: str,
    name: str,
    summary: str,
    manually_approves_followers: bool,
    auto_admit: bool,
) -> LocalActor:
    rsa_pair = keys.generate_rsa()
    ed_pair = keys.generate_ed25519()
    actor = LocalActor(
        slug=slug,
        kind=kind,
        name=name,
        summary=summary,
        manually_approves_followers=manually_approves_followers,
        auto_admit=auto_admit,
        rsa_private_pem=rsa_pair.private_pem,
        rsa_public_pem=rsa_pair.public_pem,
        ed_private_pem=ed_pair.private_pem,
        ed_public_pem=ed_pair.public_pem,
    )
    session.add(actor)
    session.flush()
    return actor


def ensure_instance_actor(session: Session, instance_name: str) -> LocalActor:
    """The instance's Application actor, created once with its own keys."""
    actor = session.exec(select(LocalActor).where(LocalActor.kind == "application")).first()
    if actor is None:
        actor = _insert(session, INSTANCE_SLUG, "application", instance_name, "", True, False)
    return actor


# built once, the slug bound at each call: every page of an actor looks it up first
@lru_cache(maxsize=1)
def _by_slug() -> SelectOfScalar[LocalActor]:
    return select(LocalActor).where(LocalActor.slug == bindparam("slug"))


def get_actor(session: Session, slug: str) -> LocalActor | None:
    """An organization or network by slug (never the instance actor)."""
    actor = session.exec(_by_slug(), params={"slug": slug.lower()}).first()
    if actor is None or actor.kind == "application":
        return None
    return actor


def get_instance_actor(session: Session) -> LocalActor | None:
    """The Application actor, if `init` or `serve` has created it."""
    return session.exec(select(LocalActor).where(LocalActor.kind == "application")).first()


def list_actors(session: Session, kind: str | None = None) -> list[LocalActor]:
    """Organizations and networks, oldest first."""
    query = select(LocalActor).where(LocalActor.kind != "application")
    if kind:
        query = query.where(LocalActor.kind == kind)
    return list(session.exec(query.order_by(LocalActor.id)))  # type: ignore[arg-type]


def touch(actor: LocalActor) -> None:
    """Mark an actor as changed (its `updated` goes out with the next actor Update)."""
    actor.updated_at = now_utc()
