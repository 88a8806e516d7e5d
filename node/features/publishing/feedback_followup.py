"""The follow-up after an event: when it ends, each participant from the fediverse (a Join we
accepted) gets a direct Note from the organizer inviting feedback, with a link to the form on
the event's page that says who they are (so each gives it once); each registrant who gave an
e-mail address gets the same invitation by e-mail when the node sends e-mail
(``SOLNODE_SMTP_URL``).

Publishing an event with an end (and every edit) enqueues one ``feedback-followup`` job due at
the end, keyed by the event and its end: moving the end later queues another, and a job whose
end is no longer the event's does nothing. Each Note's activity id is derived from the event,
the participant and the end, so a job run twice sends nothing twice (outbox.send keeps the
first); the e-mails are ``mail`` jobs with a dedupe key of the event, the person and the end,
queued in the same transaction, so they too go out once.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from html import escape
from typing import Any

from anyio import to_thread
from sqlmodel import Session, select

from node.activitypub import activities
from node.db import as_utc, epoch, now_utc, session_scope
from node.features.mail import jobs as mail_jobs
from node.features.publishing.feedback import has_ended, participant_key
from node.federation import jobs
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.federation.jobs import ClaimedJob, RetryPolicy
from node.federation.worker import Done, Outcome, Registry
from node.models import Item, LocalActor, Participant

log = logging.getLogger("solnode.feedback")

FOLLOWUP_JOB = "feedback-followup"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def _end_stamp(item: Item) -> int:
    assert item.end_time is not None
    return int(as_utc(item.end_time).timestamp())


def schedule_followup(session: Session, item: Item) -> bool:
    """Enqueue the follow-up of an event with an end (in the caller's transaction)."""
    if item.kind != "event" or item.end_time is None or item.id is None:
        return False
    end = _end_stamp(item)
    return jobs.enqueue(
        session.connection(),
        FOLLOWUP_JOB,
        {"item_id": item.id, "end": end},
        dedupe_key=f"{FOLLOWUP_JOB}:{item.id}:{end}",
        delay=max(0.0, end - epoch()),
    )


def invitation(node: NodeContext, actor: LocalActor, item: Item, person: str, key: str,
               now: datetime) -> dict[str, Any]:  # fmt: skip
    """The Create of the direct Note inviting ``person`` to give feedback on ``item``."""
    page = str(item.document.get("url", item.ap_id))
    link = f"{page}?invite={key}#feedback"
    title = str(item.document.get("name") or "the event")
    seed = f"{item.ap_id}|{person}|{key}|{_end_stamp(item)}".encode()
    uid = hashlib.sha256(seed).hexdigest()[:32]
    author = actor_id(node.urls, actor)
    content = (
        f'<p><span class="h-card"><a href="{escape(person)}" class="u-url mention">@'
        f"{escape(person.rstrip('/').rsplit('/', 1)[-1])}</a></span> "
        f'Thank you for taking part in <a href="{escape(page)}">{escape(title)}</a>. '
        f"How was it? {escape(actor.name)} would like your rating and a comment: "
        f'<a href="{escape(link)}">{escape(link)}</a></p>'
    )
    note = {
        "@context": AS_CONTEXT,
        "id": node.urls.activity(f"{uid}-note"),
        "type": "Note",
        "attributedTo": author,
        "to": [person],
        "cc": [],
        "content": content,
        "tag": [{"type": "Mention", "href": person}],
        "published": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return activities.create(node.urls.activity(uid), author, note, now)


def send_followup(session: Session, node: NodeContext, item_id: int, end: int) -> int:
    """Send the invitations of one ended event; returns how many went out."""
    item = session.get(Item, item_id)
    if item is None or item.deleted_at is not None or item.end_time is None:
        return 0
    if _end_stamp(item) != end or not has_ended(item):
        return 0  # the end moved: the job of the new end does it
    if item.source.get("status") == "cancelled":
        return 0
    actor = session.get(LocalActor, item.actor_id)
    assert actor is not None
    joined = session.exec(
        select(Participant).where(
            Participant.item_id == item_id, Participant.state == "accepted",
            Participant.actor != "",
        )
    ).all()  # fmt: skip
    now = now_utc().replace(microsecond=0)
    for person in joined:
        assert person.id is not None
        key = participant_key(node.settings.secret_key, item, person.id)
        create = invitation(node, actor, item, person.actor, key, now)
        delivery.send(session, actor, create, delivery.Audience(actors=(person.actor,)),
                      public=False)  # fmt: skip
    return len(joined) + _mail_registrants(session, node, actor, item)


def _mail_registrants(session: Session, node: NodeContext, actor: LocalActor, item: Item) -> int:
    """The same invitation by e-mail to the accepted registrants who gave an address."""
    if not node.settings.smtp_url:
        return 0
    registered = session.exec(
        select(Participant).where(
            Participant.item_id == item.id, Participant.state == "accepted",
            Participant.actor == "", Participant.email != "",
        )
    ).all()  # fmt: skip
    page = str(item.document.get("url", item.ap_id))
    title = str(item.document.get("name") or "the event")
    for person in registered:
        assert person.id is not None
        key = participant_key(node.settings.secret_key, item, person.id)
        text = (
            f"Hello {person.name},\n\nThank you for taking part in {title}. How was it? "
            f"{actor.name} would like your rating and a comment:\n\n"
            f"{page}?invite={key}#feedback\n\n-- {node.settings.instance_name}\n"
        )
        mail_jobs.enqueue(session, to=person.email, subject=f"How was {title}?", text=text,
                          dedupe_key=f"feedback-mail:{item.id}:{person.id}:{_end_stamp(item)}")  # fmt: skip
    return len(registered)


async def run_followup_job(node: NodeContext, job: ClaimedJob) -> Outcome:
    """The ``feedback-followup`` job: invite an ended event's participants."""
    item_id, end = int(job.payload["item_id"]), int(job.payload["end"])

    def work() -> int:
        with session_scope(node.engine) as session:
            return send_followup(session, node, item_id, end)

    sent = await to_thread.run_sync(work)
    if sent:
        log.info("event %s: feedback invitations to %d participant(s)", item_id, sent)
        node.notify_work()
    return Done()


def register(registry: Registry) -> None:
    """Register the ``feedback-followup`` job kind."""
    registry.register(FOLLOWUP_JOB, run_followup_job, RetryPolicy(base=60, cap=3600))
