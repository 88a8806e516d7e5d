"""Drafts and publishing later: what the workspace keeps before it goes out.

A draft is a :class:`~node.models.Draft` row holding the API's JSON; it is not an item, so it
has no id on the web, no page, and nothing is sent for it. Publishing (now, or by the
``publish-draft`` job at the scheduled time) goes through the publishing service the API uses,
so followers, networks and feeds see exactly what an API client's publication gives them.
A scheduled draft is validated when scheduled and again when its job runs; if it no longer
passes (a call's deadline went by), it stays a draft with the reason in ``problem``: the
validation's error as stored JSON, put into the organizer's words in the language of the page
that shows it (:func:`problem_words`).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlmodel import Session

from node.content.fields import FieldError, validate_event
from node.db import as_utc, session_scope
from node.features.publishing import service
from node.features.publishing.moved import ActorMoved
from node.features.workspace.form_errors import organizer_words
from node.federation import jobs
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.worker import Done, Outcome, Registry
from node.models import Draft, Item, LocalActor

log = logging.getLogger("solnode.drafts")

PUBLISH_JOB = "publish-draft"
KINDS = ("event", "series", "call", "news")


def check(kind: str, source: dict[str, Any], *, now: datetime) -> None:
    """Validate ``source`` as the service will when it publishes (FieldError otherwise)."""
    if kind == "series":
        inp = validate_event(source)
        if inp.recurrence is None:
            raise FieldError("recurrence", "is required for a series")
    else:
        service.validate(kind, source, now=now)


def publish(
    session: Session,
    node: NodeContext,
    actor: LocalActor,
    kind: str,
    source: dict[str, Any],
    ahead: int | None = None,
) -> Item:
    """Publish through the service (a series: its first dates, ``ahead`` of them kept
    published); returns the (first) item."""
    if kind == "series":
        result = service.create_series(session, node, actor, source, ahead=ahead)
        return service.published_occurrences(session, result.series)[0]
    published = service.create_item(session, node, actor, kind, source)
    session.flush()
    return published.item


def save(
    session: Session,
    actor: LocalActor,
    kind: str,
    source: dict[str, Any],
    draft: Draft | None,
    ahead: int | None = None,
) -> Draft:
    """Keep ``source`` as a draft (new, or replacing ``draft``'s); only a title is required."""
    if not str(source.get("name", "")).strip():
        raise FieldError("name", "is required")
    assert actor.id is not None
    draft = draft or Draft(actor_id=actor.id, kind=kind)
    draft.source, draft.kind, draft.publish_at, draft.problem = source, kind, None, ""
    draft.ahead = ahead if kind == "series" else None
    draft.updated_at = service.now_seconds()
    session.add(draft)
    session.flush()
    return draft


def schedule(
    session: Session,
    actor: LocalActor,
    kind: str,
    source: dict[str, Any],
    draft: Draft | None,
    publish_at: datetime,
    ahead: int | None = None,
) -> Draft:
    """Keep ``source`` and publish it at ``publish_at`` (validated now; FieldError if not)."""
    now = service.now_seconds()
    check(kind, source, now=now)
    if publish_at <= now:
        raise FieldError("publish_at", "must be in the future")
    draft = save(session, actor, kind, source, draft, ahead)
    draft.publish_at = publish_at.replace(microsecond=0)
    session.add(draft)
    delay = (draft.publish_at - now).total_seconds()
    jobs.enqueue(
        session.connection(),
        PUBLISH_JOB,
        {"draft_id": draft.id},
        dedupe_key=f"{PUBLISH_JOB}:{draft.id}:{int(draft.publish_at.timestamp())}",
        delay=delay,
        now=now.timestamp(),
    )
    return draft


def _due(draft: Draft | None, now: datetime) -> bool:
    # A job of an earlier schedule finds a later (or no) publish_at: its own job publishes it.
    return (
        draft is not None
        and draft.publish_at is not None
        and as_utc(draft.publish_at) <= now + timedelta(seconds=1)
    )


def publish_due(node: NodeContext, draft_id: int, *, now: datetime | None = None) -> str | None:
    """Publish a scheduled draft whose time has come; returns the item's id, if published."""
    now = now or service.now_seconds()
    with session_scope(node.engine) as session:
        draft = session.get(Draft, draft_id)
        if draft is None or not _due(draft, now):
            return None
        actor = session.get(LocalActor, draft.actor_id)
        if actor is None:
            return None
        try:
            with session.begin_nested():
                item = publish(session, node, actor, draft.kind, dict(draft.source), draft.ahead)
        except (FieldError, ActorMoved) as error:
            draft.problem = json.dumps(
                {"moved_to": error.target, "slug": error.slug}
                if isinstance(error, ActorMoved)
                else {"field": error.field, "message": error.message}
            )
            draft.publish_at = None
            session.add(draft)
            return None
        session.delete(draft)
        return item.ap_id


def problem_words(problem: str, lang: str) -> str:
    """Why a scheduled draft was not published, in an organizer's words in ``lang`` (a reason
    stored as plain text, by an older version, is shown as it is)."""
    try:
        error = json.loads(problem)
    except ValueError:
        return problem
    if isinstance(error, dict) and isinstance(error.get("moved_to"), str):
        return ActorMoved(str(error.get("slug", "")), error["moved_to"]).in_language(lang)
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return problem
    stored = FieldError(field=str(error.get("field", "")), message=error["message"])
    return organizer_words(stored, lang=lang)


async def run_publish_job(node: NodeContext, job: ClaimedJob) -> Outcome:
    """The ``publish-draft`` job: publish the draft if it is still scheduled for now."""
    draft_id = int(job.payload["draft_id"])
    published = await to_thread.run_sync(lambda: publish_due(node, draft_id))
    if published:
        log.info("draft %s published as %s", draft_id, published)
        node.notify_work()
    return Done()


def register(registry: Registry) -> None:
    """Register the ``publish-draft`` job kind."""
    registry.register(PUBLISH_JOB, run_publish_job, RetryPolicy(base=60, factor=2, cap=3600))
