"""The dashboard reads what the node recorded: what waits for the organization, its upcoming
events, and each recent item's deliveries, replies, likes and boosts."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.federation.jobs import enqueue
from node.federation.outbox.fanout import DELIVER, deliver_key
from node.models import Follower, Interaction, Item, Job, LocalActor, OutboxActivity, Participant
from tests.db.publishing_support import Api, Page, add_follower, fixture, future, make_org
from tests.db.workspace_support import make_person, sign_in

CONFERENCE = fixture("conference.json")["conference"]
MASTODON = "https://mastodon.example/users/"


def _record_what_the_fediverse_did(engine: Engine, event_id: str) -> None:
    """What the inbox and the delivery worker would have recorded: deliveries in each state,
    a pending follower, a waiting registration, interactions (one reply awaiting moderation)."""
    with session_scope(engine) as session:
        actor = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        item = session.exec(select(Item).where(Item.ap_id == event_id)).one()
        create = session.exec(
            select(OutboxActivity).where(OutboxActivity.object_id == event_id)
        ).first()
        assert create is not None and actor.id is not None and item.id is not None
        conn = session.connection()
        for n in range(5):
            inbox = f"https://server{n}.example/inbox"
            enqueue(conn, DELIVER, {"inbox": inbox}, dedupe_key=deliver_key(create.ap_id, inbox))
        states = {"server0": ("done", 1), "server1": ("done", 1), "server2": ("dead", 8),
                  "server3": ("ready", 2), "server4": ("ready", 0)}  # fmt: skip
        for host, (state, attempts) in states.items():
            key = deliver_key(create.ap_id, f"https://{host}.example/inbox")
            session.exec(
                update(Job).where(col(Job.dedupe_key) == key).values(state=state, attempts=attempts)
            )
        session.add(Follower(actor_id=actor.id, remote_id=MASTODON + "bo", state="pending"))
        session.add(Participant(item_id=item.id, join_id="urn:uuid:1", name="Lu", state="pending"))
        for n, (kind, state) in enumerate(
            [("like", "approved"), ("like", "approved"), ("announce", "approved"),
             ("reply", "approved"), ("reply", "pending"), ("like", "hidden")]
        ):  # fmt: skip
            session.add(Interaction(activity_id=f"{MASTODON}x/{n}", kind=kind, actor=MASTODON + "x",
                                    object_id=event_id, state=state))  # fmt: skip


def test_the_dashboard_shows_what_waits_upcoming_events_and_each_items_figures(
    client: TestClient, engine: Engine
) -> None:
    api = Api(client, make_org(engine))
    add_follower(engine, "nec")
    event = api.post("/api/v1/events", future(CONFERENCE)).json()
    _record_what_the_fediverse_did(engine, event["id"])
    make_person(engine, "ana@nec.example", ("nec", "editor"))
    sign_in(client, "ana@nec.example")

    answer = client.get("/workspace/nec")
    assert answer.status_code == 200
    page = Page(answer.text)
    text = " ".join(answer.text.split())
    assert "1</span> follower waiting for approval" in text
    assert "1</span> registration or join waiting" in text
    assert "1</span> reply waiting for moderation" in text
    assert "Upcoming events" in [h for _, h in page.headings]
    # in the upcoming events and in the recent items
    assert text.count("Strengthening the Solidarity Economy Together") == 2
    # delivered 2, failed 1, retrying 1 (the fresh one is neither); replies 1 approved + 1
    # pending shown; likes 2 (the hidden one not counted); boosts 1
    row = text.split('<th scope="row">', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["2", "1", "1", "2", "2", "1"], cells


def test_a_new_organization_has_a_quiet_dashboard(client: TestClient, engine: Engine) -> None:
    make_org(engine, "fresh", "Fresh Co-op")
    make_person(engine, "new@fresh.example", ("fresh", "admin"))
    sign_in(client, "new@fresh.example")
    text = client.get("/workspace/fresh").text
    assert "Nothing is waiting for you." in text
    assert "No upcoming events." in text and "Nothing published yet." in text
    with Session(engine) as session:
        assert session.exec(select(Item)).first() is None
