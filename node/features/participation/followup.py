"""The follow-up to an ``Accept`` for a fediverse participant of an approval-only event: a
direct ``Note`` with the online link, which is in no public page, feed or object
(node/content/places.py ``public_view``). Addressed to the participant alone and mentioning
them, so Mastodon shows it as a private mention; sent non-public, never in the outbox
collection."""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

from sqlmodel import Session

from node.content.fields import FieldError, validate_event
from node.content.places import PRIVATE_LINK_MODES
from node.features.mail import jobs as mail_jobs
from node.federation import outbox as delivery
from node.federation.actors.documents import actor_id
from node.federation.context import NodeContext
from node.models import Item, LocalActor, Participant

__all__ = ["mail_decision", "online_link_note", "send_online_link"]


def online_link_note(
    ident: str, organizer: str, participant: str, event: str, name: str, link: str
) -> dict[str, Any]:
    """The private Note that gives an approved participant the event's online link."""
    text = (
        f'<p><span class="h-card"><a href="{escape(participant)}" class="u-url mention">'
        f"@participant</a></span> You are registered for "
        f'<a href="{escape(event)}">{escape(name)}</a>. The online link, for you only: '
        f'<a href="{escape(link)}" rel="nofollow noopener">{escape(link)}</a></p>'
    )
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": ident,
        "type": "Note",
        "attributedTo": organizer,
        "to": [participant],
        "content": text,
        "context": event,
        "tag": [{"type": "Mention", "href": participant}],
    }


def send_online_link(
    session: Session, node: NodeContext, item: Item, organizer: LocalActor, who: Participant
) -> bool:
    """After an Accept: send the online link to a fediverse participant of an approval-only
    event (True if sent). Other events' links are public already."""
    if not who.actor or item.source.get("joinMode") not in PRIVATE_LINK_MODES:
        return False
    try:
        inp = validate_event(item.source)
    except FieldError:
        return False
    link = inp.location.online_url if inp.location is not None else None
    if not link:
        return False
    author = actor_id(node.urls, organizer)
    note = online_link_note(
        node.urls.activity(uuid.uuid4().hex),
        author,
        who.actor,
        str(item.document.get("url", item.ap_id)),
        inp.name,
        link,
    )
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": node.urls.activity(uuid.uuid4().hex),
        "type": "Create",
        "actor": author,
        "to": [who.actor],
        "object": {k: v for k, v in note.items() if k != "@context"},
    }
    audience = delivery.Audience(actors=(who.actor,))
    delivery.send(session, organizer, create, audience, public=False)
    return True


def mail_decision(node: NodeContext, session: Session, item: Item, who: Participant) -> bool:
    """Tell someone who registered on the page with an e-mail address that the organizer
    accepted or declined their registration (when the node sends e-mail); True if queued."""
    if who.actor or not who.email or not node.settings.smtp_url:
        return False
    name = str(item.document.get("name", "")) or item.ap_id
    if who.state == "accepted":
        news = "The organizer confirmed your registration."
        if item.source.get("joinMode") in PRIVATE_LINK_MODES:
            news += " Your registration's page (the link in your first e-mail) now shows the online link."
    else:
        news = "The organizer could not accept your registration."
    text = f"Hello {who.name},\n\n{news}\n\n{name}\n{item.document.get('url', item.ap_id)}\n\n-- {node.settings.instance_name}\n"
    mail_jobs.enqueue(session, to=who.email, subject=f"Your registration: {name}", text=text)
    return True
