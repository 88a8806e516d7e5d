"""An organizer publishes through the workspace's forms: events with a place and an online link,
a conference's programme, a monthly series, a call, news; then edits, postpones, cancels and
deletes — each through the publishing service the API uses, so the same activities go out."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.models import Item, Series
from tests.db.forms_support import (
    BASE,
    GATHERING,
    items,
    signed_in_editor,
    submit,
    uid_of,
)
from tests.db.publishing_support import fanout_jobs, outbox


def test_organizer_publishes_an_event_with_a_place_and_an_online_link(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    form = client.get(f"{BASE}/publish/new/event")
    assert form.status_code == 200
    assert '<option value="America/Chicago"' in form.text
    assert 'for="f-location-url"' in form.text

    answer = submit(client, f"{BASE}/publish/new/event", GATHERING)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("?done=published")
    [event] = items(engine, "event")
    assert uid_of(answer.headers["location"]) in event.ap_id
    doc = event.document
    assert doc["type"] == "Event"
    assert doc["startTime"] == "2027-05-14T09:00:00-05:00"
    assert doc["timezone"] == "America/Chicago"
    where = doc["location"] if isinstance(doc["location"], list) else [doc["location"]]
    assert any(place.get("name") == "Union Hall" for place in where)
    assert "https://meet.example.org/gathering" in str(doc)
    [create] = outbox(engine, "Create")
    assert create["object"]["id"] == event.ap_id
    assert len(fanout_jobs(engine)) == 1
    page = client.get(answer.headers["location"])
    assert "Published: it is on your public page" in page.text


def test_a_conference_gets_a_programme_of_two_sessions(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    conference = submit(client, f"{BASE}/publish/new/event", GATHERING)
    [parent] = items(engine, "event")
    manage = client.get(conference.headers["location"].split("?")[0])
    assert "Add a session" in manage.text

    sessions = [
        ("Housing co-ops", "Housing", "Mia Chen | https://coops.example/mia\nLeo Park"),
        ("Worker ownership", "Work", "Sam Diaz"),
    ]
    for hour, (name, track, speakers) in enumerate(sessions, start=10):
        add = f"{BASE}/publish/new/event?parent={parent.ap_id}"
        form = client.get(add)
        assert f'name="parent" value="{parent.ap_id}"' in form.text
        answer = submit(
            client,
            f"{BASE}/publish/new/event",
            {"name": name, "parent": parent.ap_id, "track": track, "speakers": speakers,
             "room.url": f"https://meet.example.org/{track.lower()}", "room.name": f"{track} room",
             "startTime": f"2027-05-14T{hour}:00", "endTime": f"2027-05-14T{hour}:45",
             "timezone": "America/Chicago", "location.url": "https://meet.example.org/gathering",
             "action": "publish"},
            form=add,
        )  # fmt: skip
        assert answer.status_code == 303, answer.text

    children = [i for i in items(engine, "event") if i.parent_id == parent.id]
    assert [c.source["track"] for c in children] == ["Housing", "Work"]
    assert children[0].source["speakers"] == [
        {"name": "Mia Chen", "url": "https://coops.example/mia"},
        {"name": "Leo Park"},
    ]
    assert children[1].source["room"] == {
        "url": "https://meet.example.org/work",
        "name": "Work room",
    }
    programme = client.get(conference.headers["location"].split("?")[0])
    assert "Housing co-ops" in programme.text and "Worker ownership" in programme.text


def test_a_monthly_forum_is_published_as_a_series(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    answer = submit(
        client,
        f"{BASE}/publish/new/series",
        {"name": "Monthly peer support forum", "startTime": "2027-01-21T18:30",
         "endTime": "2027-01-21T20:00", "timezone": "Europe/London",
         "location.url": "https://meet.example.org/forum", "recurrence.rule": "monthly-nth",
         "recurrence.count": "12", "action": "publish"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    with Session(engine) as session:
        [series] = session.exec(select(Series)).all()
    assert series.source["recurrence"] == {"frequency": "monthly", "byDay": ["3TH"], "count": 12}
    dates = [i.document["startTime"] for i in items(engine, "event")]
    assert dates == [
        "2027-01-21T18:30:00+00:00",
        "2027-02-18T18:30:00+00:00",
        "2027-03-18T18:30:00+00:00",
    ]


def test_a_call_for_collaboration_and_a_news_item(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    call = submit(
        client,
        f"{BASE}/publish/new/call",
        {"name": "Volunteers for the harvest", "purpose": "request",
         "resource": "Volunteers", "quantity.value": "12", "quantity.unit": "one",
         "content": "Help us bring in the apples.", "location.name": "Orchard Co-op",
         "region": "Wisconsin", "action": "publish"},
    )  # fmt: skip
    assert call.status_code == 303, call.text
    news = submit(
        client,
        f"{BASE}/publish/new/news",
        {"name": "Our bakery became a co-op", "kind": "story",
         "content": "After two years, the *workers* own it.", "action": "publish"},
    )  # fmt: skip
    assert news.status_code == 303, news.text
    [call_item] = items(engine, "call")
    [news_item] = items(engine, "news")
    assert call_item.source["purpose"] == "request"
    assert call_item.source["quantity"] == {"value": 12, "unit": "one"}
    assert news_item.document["type"] == "Article"
    assert [c["object"]["id"] for c in outbox(engine, "Create")] == [
        call_item.ap_id,
        news_item.ap_id,
    ]


def test_editing_shows_what_followers_will_see_then_sends_an_update(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    uid = uid_of(submit(client, f"{BASE}/publish/new/event", GATHERING).headers["location"])
    edit = f"{BASE}/publish/items/{uid}/edit"
    form = client.get(edit)
    assert 'value="2027-05-14T09:00"' in form.text
    assert 'value="Union Hall"' in form.text
    assert "Publish changes" not in form.text  # the change is seen before it is sent

    changed = GATHERING | {"name": "Solidarity Economy Gathering 2027", "location.name": "",
                           "location.address.streetAddress": "", "location.address.addressLocality": "",
                           "location.address.addressCountry": ""}  # fmt: skip
    shown = submit(client, edit, changed | {"action": "preview"})
    assert shown.status_code == 200
    assert "What your followers will see" in shown.text
    assert "<strong>Solidarity Economy Gathering 2027</strong>" in shown.text
    assert 'value="save">Publish changes</button>' in shown.text
    assert outbox(engine, "Update") == []

    saved = submit(client, edit, changed | {"action": "save"})
    assert saved.status_code == 303, saved.text
    [event] = items(engine, "event")
    assert event.document["name"] == "Solidarity Economy Gathering 2027"
    assert "location" not in event.source or "address" not in event.source["location"]
    assert event.source["location"] == {"url": "https://meet.example.org/gathering"}
    [update] = outbox(engine, "Update")
    assert update["object"]["id"] == event.ap_id


def test_postponing_shows_the_reply_first_then_tells_followers(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    uid = uid_of(submit(client, f"{BASE}/publish/new/event", GATHERING).headers["location"])
    page = f"{BASE}/publish/items/{uid}"
    status = f"{page}/status"

    confirm = submit(client, status, {"status": "postponed"}, form=page)
    assert confirm.status_code == 200
    assert "Postponed" in confirm.text  # the reply Mastodon shows
    assert "People already registered" in confirm.text
    assert outbox(engine, "Update") == []

    done = submit(client, status, {"status": "postponed", "confirm": "yes"}, form=page)
    assert done.status_code == 303
    [event] = items(engine, "event")
    assert event.source["status"] == "postponed"
    assert len(outbox(engine, "Update")) == 1
    notes = [c for c in outbox(engine, "Create") if c["object"]["type"] == "Note"]
    assert notes and notes[0]["object"]["inReplyTo"] == event.ap_id


def test_cancelling_one_session_sends_an_update_of_that_session(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    submit(client, f"{BASE}/publish/new/event", GATHERING)
    [parent] = items(engine, "event")
    add = f"{BASE}/publish/new/event?parent={parent.ap_id}"
    answer = submit(
        client,
        f"{BASE}/publish/new/event",
        {"name": "Housing co-ops", "parent": parent.ap_id, "track": "Housing",
         "startTime": "2027-05-14T10:00", "endTime": "2027-05-14T10:45",
         "timezone": "America/Chicago", "location.url": "https://meet.example.org/housing",
         "action": "publish"},
        form=add,
    )  # fmt: skip
    session_uid = uid_of(answer.headers["location"])
    jobs_before = len(fanout_jobs(engine))
    page = f"{BASE}/publish/items/{session_uid}"

    done = submit(client, f"{page}/status", {"status": "cancelled", "confirm": "yes"}, form=page)

    assert done.status_code == 303
    cancelled = next(i for i in items(engine, "event") if i.parent_id == parent.id)
    assert cancelled.source["status"] == "cancelled"
    [update] = outbox(engine, "Update")
    assert update["object"]["id"] == cancelled.ap_id
    assert len(fanout_jobs(engine)) > jobs_before
    with Session(engine) as session:
        untouched = session.get(Item, parent.id)
        assert untouched is not None and "status" not in untouched.source


def test_deleting_asks_first_then_sends_a_delete(client: TestClient, engine: Engine) -> None:
    signed_in_editor(client, engine)
    uid = uid_of(submit(client, f"{BASE}/publish/new/event", GATHERING).headers["location"])
    ask = client.get(f"{BASE}/publish/items/{uid}/delete")
    assert "cancel</strong> it instead" in ask.text
    assert items(engine, "event")[0].deleted_at is None

    done = submit(client, f"{BASE}/publish/items/{uid}/delete", {})

    assert done.status_code == 303
    assert done.headers["location"] == f"{BASE}/publish?done=deleted"
    assert items(engine, "event")[0].deleted_at is not None
    [delete] = outbox(engine, "Delete")
    assert delete["object"]["id"] == items(engine, "event")[0].ap_id
    assert client.get(f"{BASE}/publish/items/{uid}").status_code == 404


def test_a_weekly_series_publishes_as_far_ahead_as_asked(
    client: TestClient, engine: Engine
) -> None:
    signed_in_editor(client, engine)
    answer = submit(
        client,
        f"{BASE}/publish/new/series",
        {"name": "Weekly repair cafe", "startTime": "2027-01-20T17:00",
         "endTime": "2027-01-20T19:00", "timezone": "Europe/Berlin",
         "location.name": "Tool Library", "recurrence.rule": "weekly",
         "recurrence.until": "2027-06-30", "recurrence.ahead": "2", "action": "publish"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    with Session(engine) as session:
        [series] = session.exec(select(Series)).all()
    assert series.ahead == 2
    assert series.source["recurrence"] == {
        "frequency": "weekly",
        "byDay": ["WE"],
        "until": "2027-06-30",
    }
    assert [i.document["startTime"] for i in items(engine, "event")] == [
        "2027-01-20T17:00:00+01:00",
        "2027-01-27T17:00:00+01:00",
    ]
