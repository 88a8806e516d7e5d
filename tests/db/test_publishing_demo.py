"""`solnode demo` loads the demo's events, calls and news, once, and its pages render."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node.cli.demo import load_demo
from node.models import Item, Series
from node.settings import Settings
from tests.db.publishing_support import Page


def test_the_demo_publishes_the_conference_the_forum_series_a_call_and_news(
    settings: Settings, engine: Engine, client: TestClient
) -> None:
    lines = list(load_demo(settings, engine))
    assert any(line.startswith("Series") for line in lines)
    workspace = (
        "Workspace  http://127.0.0.1:8000/workspace  e-mail demo@example.org  password "
        "solidarity-demo"
    )
    assert workspace in lines
    # a second run loads nothing and says again how to sign in
    assert list(load_demo(settings, engine)) == ["Demo data is already loaded.", workspace]
    with Session(engine) as session:
        items = session.exec(select(Item)).all()
        assert session.exec(select(Series)).one().published_count == 3
    kinds = Counter((i.kind, i.parent_id is not None, i.series_id is not None) for i in items)
    assert kinds == {
        ("event", False, False): 1,  # the conference
        ("event", True, False): 4,  # its sessions
        ("event", False, True): 3,  # the forum's next three dates
        ("call", False, False): 1,
        ("news", False, False): 1,
    }
    conference = next(i for i in items if i.kind == "event" and not i.parent_id and not i.series_id)
    tracks = {i.source["track"] for i in items if i.parent_id == conference.id}
    assert tracks == {
        "Innovation in Action",
        "Policy and Advocacy",
        "Building Inclusive Communities",
        "Sustainable Futures",
    }
    page = Page(client.get("/@nec").text)
    assert "Strengthening the Solidarity Economy Together" in page.text
    programme = Page(client.get(conference.ap_id).text)
    assert [h for h in programme.headings if h[0] == 4] and programme.jsonld()
