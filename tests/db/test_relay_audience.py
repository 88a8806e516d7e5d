"""An organization's public post also goes to the relays the node subscribed to."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import Session

from node.db import session_scope
from node.features.publishing.notes import publish_note
from node.federation.actors.local import create_actor
from node.federation.context import NodeContext
from node.models.networks import Relay
from node.settings import Settings


def _fanout_inboxes(engine: Engine) -> list[list[str]]:
    with Session(engine) as session:
        rows = session.connection().execute(text("SELECT payload FROM job WHERE kind = 'fanout'"))
        payloads = [
            r[0] if isinstance(r[0], dict) else __import__("json").loads(r[0]) for r in rows
        ]
    return [p["audience"]["inboxes"] for p in payloads]


def test_public_note_reaches_accepted_relays_only(settings: Settings, engine: Engine) -> None:
    node = NodeContext.build(settings, engine)
    with session_scope(engine) as session:
        coop = create_actor(session, "coop", kind="organization", name="Co-op")
        session.add(
            Relay(
                url="https://relay.example/inbox",
                style="mastodon",
                inbox="https://relay.example/inbox",
                follow_id="f1",
                state="accepted",
            )
        )
        session.add(
            Relay(
                url="https://slow.example/inbox",
                style="mastodon",
                inbox="https://slow.example/inbox",
                follow_id="f2",
                state="pending",
            )
        )
    with session_scope(engine) as session:
        publish_note(session, node, coop, "<p>Tool library opens Monday</p>")
    assert _fanout_inboxes(engine) == [["https://relay.example/inbox"]]
