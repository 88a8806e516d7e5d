"""What the publishing forms share: reading posted values, the time zones to pick from, the
organization's default zone, and the preview of what followers will see."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, col, select

from node.content.fields import FieldError
from node.content.markdown import render
from node.features.publishing import service
from node.features.publishing.service.build import build_document
from node.features.workspace.desk import Desk
from node.features.workspace.form_source import INPUTS
from node.models import Item, LocalActor

# Long enough that the validator, not the form, says a text is too long.
TEXT_LIMIT = 25_000
# Extra inputs of every publishing form: what to do, and when to publish a scheduled one.
CONTROL = ("action", "publish_at", "draft_id", "timezone")


@cache
def zones() -> tuple[str, ...]:
    """The IANA zones a person picks from (the regions' zones, not the legacy aliases)."""
    regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
               "Europe/", "Indian/", "Pacific/")  # fmt: skip
    return ("UTC", *sorted(z for z in available_timezones() if z.startswith(regions)))


def default_zone(session: Session, actor: LocalActor) -> str:
    """The organization's zone: its profile's, else that of its latest event, else UTC."""
    given = (actor.profile or {}).get("timezone")
    if isinstance(given, str) and given in zones():
        return given
    latest = session.exec(
        select(Item.source)
        .where(Item.actor_id == actor.id, Item.kind == "event")
        .order_by(col(Item.id).desc())
        .limit(1)
    ).first()
    zone = latest.get("timezone") if isinstance(latest, dict) else None
    return zone if isinstance(zone, str) and zone in zones() else "UTC"


def posted(desk: Desk, kind: str) -> dict[str, str]:
    """The posted values of a form of ``kind`` (and its controls), trimmed."""
    names = (*INPUTS[kind], *CONTROL)
    return {name: desk.field(name, TEXT_LIMIT) for name in names if desk.field(name, TEXT_LIMIT)}


def publish_time(values: dict[str, str]) -> datetime:
    """When to publish a scheduled item: the wall time in the form's zone, as UTC."""
    text = values.get("publish_at", "")
    try:
        moment = datetime.fromisoformat(text)
        zone = ZoneInfo(values.get("timezone") or "UTC")
    except ValueError:
        raise FieldError("publish_at", "must be a date and time like 2026-12-17T18:00") from None
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)


def followers_view(doc: dict[str, Any]) -> dict[str, str]:
    """What a Mastodon follower sees of a published document: an Event or an Article shows as
    its bold name, its summary and a link; a Note (a call) as its content."""
    if doc.get("type") == "Note":
        return {"title": "", "html": str(doc.get("content", ""))}
    return {"title": str(doc.get("name", "")), "html": str(doc.get("summary", ""))}


def preview(
    desk: Desk, kind: str, source: dict[str, Any], *, parent: Item | None = None
) -> dict[str, Any]:
    """The preview of a form: its Markdown as the page will show it, and what followers will
    see (FieldError when the source does not validate: the errors are shown instead)."""
    now = service.now_seconds()
    inp = service.validate("event" if kind == "series" else kind, source, now=now)
    doc = build_document(
        desk.node, desk.actor, "event" if kind == "series" else kind, inp,
        ident=desk.node.urls.item("preview"), published=now, updated=now, parent=parent,
    )  # fmt: skip
    return {"content_html": render(str(source.get("content", ""))), **followers_view(doc)}
