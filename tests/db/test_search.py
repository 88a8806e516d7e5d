"""A visitor searches the node: the demo's own items and what a network filed from a remote
member are found by the same query on SQLite (FTS5) and PostgreSQL (tsvector); the index
follows every update, delete and hide; hostile queries never break the page or the API."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy import event as db_events
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node import migrations
from node.cli.demo import load_demo
from node.db import session_scope
from node.features.networks import rules
from node.features.publishing import service
from node.features.search import index as search_index
from node.features.search import query as search_query
from node.federation.context import NodeContext
from node.models import Item, LocalActor
from node.settings import Settings
from tests.db.network_support import PUBLIC, activity, admitted, deliver, event, local, remote
from tests.db.publishing_support import Page, fixture, future
from tests.db.schema_support import todays_columns

ORG = "https://coop.example/actors/riverside"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


@pytest.fixture
def demo(settings: Settings, engine: Engine) -> None:
    list(load_demo(settings, engine))


def found(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def titles(client: TestClient, **params: str) -> list[str]:
    return [hit["title"] for hit in found(client, **params)]


def test_the_demo_conference_is_found_by_its_words_and_prefixes(
    demo: None, client: TestClient
) -> None:
    assert titles(client, q="strengthening solidarity") == [
        "Strengthening the Solidarity Economy Together"
    ]
    # a word's beginning finds it too, in any case; words of the text are searched as well
    assert "Strengthening the Solidarity Economy Together" in titles(client, q="STRENGTH")
    assert "Strengthening the Solidarity Economy Together" in titles(client, q="keynotes")
    # every word must match
    assert titles(client, q="strengthening nonexistentword") == []
    # organizations are found by name, with their kind
    orgs = [h for h in found(client, q="coalition") if h["kind"] == "organization"]
    assert [h["title"] for h in orgs] == ["New Economy Coalition"]
    assert orgs[0]["url"].endswith("/@nec")
    assert found(client, q="coalition", kind="organization") == orgs
    # networks are organizations too; they say which they are
    networks = found(client, q="continent", kind="organization")
    assert [(h["kind"], h["title"]) for h in networks] == [("network", "RIPESS North America")]
    assert found(client, q="continent", kind="event") == []


def test_the_page_is_a_plain_form_with_the_same_results(demo: None, client: TestClient) -> None:
    response = client.get("/search", params={"q": "peer support forum"})
    assert response.status_code == 200
    page = Page(response.text)
    forum = "Monthly peer support forum: building social justice together"
    # the organization whose summary has the words, then the forum's next three dates
    assert [h[1] for h in page.headings if h[0] == 2] == ["Social Justice Network"] + [forum] * 3
    forms = [attrs for tag, attrs in page.elements if tag == "form"]
    assert all(f.get("method") == "get" and f.get("action") == "/search" for f in forms)
    assert len(forms) == 2  # the header's and the page's
    api = found(client, q="peer support forum")
    assert [h["kind"] for h in api] == ["organization", "event", "event", "event"]
    starts = [h["startTime"] for h in api[1:]]
    assert starts == sorted(starts)  # the soonest first


def test_date_and_kind_filters(demo: None, client: TestClient) -> None:
    events = found(client, q="forum", kind="event")
    assert events and all(h["kind"] == "event" for h in events)
    first = events[0]["startTime"][:10]
    on_that_day = found(client, q="forum", **{"from": first, "to": first})
    assert [h["startTime"][:10] for h in on_that_day] == [first]
    assert found(client, q="forum", **{"from": "2001-01-01", "to": "2001-01-02"}) == []
    # the ends of the calendar are dates like any other
    everything = found(client, q="forum", **{"from": "0001-01-01", "to": "9999-12-31"})
    assert everything == [h for h in found(client, q="forum") if h["kind"] != "organization"]
    assert found(client, q="purchasing", kind="call")[0]["kind"] == "call"


async def test_a_network_items_are_searchable_until_hidden_and_filters_apply(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    ev = event(ORG, name="Riverside cooperative assembly", summary="<p>Annual meeting</p>")
    create = activity("Create", ORG, ev, to=[PUBLIC], cc=[f"{ORG}/followers"])
    assert (await deliver(node, create)).startswith("network: @ussen: relayed")
    [hit] = found(client, q="riverside assembly")
    assert (hit["id"], hit["kind"], hit["place"], hit["category"]) == (
        ev["id"],
        "event",
        "Massachusetts, US",
        "MEETING",
    )
    assert hit["author"]["url"] == ORG and hit["summary"] == "Annual meeting"
    assert found(client, q="assembly", region="massachusetts")
    assert found(client, q="assembly", region="us")
    assert found(client, q="assembly", region="Oregon") == []
    assert found(client, q="assembly", online="yes") == []
    assert found(client, q="assembly", online="no")
    assert found(client, q="assembly", category="meeting")
    assert found(client, q="assembly", category="WORKSHOP") == []
    # an Update of the object changes what is indexed
    renamed = ev | {"name": "Riverside cooperative congress"}
    update = activity("Update", ORG, renamed, to=[PUBLIC])
    await deliver(node, update)
    assert titles(client, q="congress") == ["Riverside cooperative congress"]
    assert titles(client, q="assembly") == []
    with session_scope(engine) as session:
        hiding = session.exec(select(LocalActor).where(LocalActor.slug == "ussen")).one()
        rules.hide_item(session, node, hiding, ev["id"], "admin")
    assert titles(client, q="congress") == []


def test_updates_and_deletes_of_our_own_items_follow(
    demo: None, node: NodeContext, engine: Engine, client: TestClient
) -> None:
    with session_scope(engine) as session:
        call = session.exec(select(Item).where(Item.kind == "call")).one()
        actor = session.get(LocalActor, call.actor_id)
        assert actor is not None
        service.update_item(session, node, actor, call, {"name": "Bulk buying of insurance"})
    assert titles(client, q="bulk insurance") == ["Bulk buying of insurance"]
    with session_scope(engine) as session:
        call = session.exec(select(Item).where(Item.kind == "call")).one()
        actor = session.get(LocalActor, call.actor_id)
        assert actor is not None
        service.delete_item(session, node, actor, call)
    assert titles(client, q="bulk insurance") == []


HOSTILE = [
    '"',
    '"unbalanced',
    "AND",
    "OR NOT",
    "NEAR(a b",
    "*",
    "col:value",
    "title:solidarity",
    "a & b | !c",
    "'; DROP TABLE item; --",
    "':*",
    "\\",
    "^solidarity",
    "(((",
    "x" * 5000,
    "economía solidaria",
    "🙂 emoji",
    "\x00null",
    " ".join(["solidarity"] * 100),
]


def test_hostile_queries_never_break_the_page_or_the_api(demo: None, client: TestClient) -> None:
    for q in HOSTILE:
        assert client.get("/search", params={"q": q}).status_code == 200, q
        response = client.get("/api/v1/search", params={"q": q})
        assert response.status_code == 200, q
        assert len(response.json()["items"]) <= 50
    for name in ("region", "category"):
        assert (
            client.get("/api/v1/search", params={"q": "forum", name: "a\x00b"}).status_code == 200
        )
    assert client.get("/regions/a%00b").status_code == 200
    assert client.get("/categories/a%00b").status_code == 200
    # query syntax is not interpreted: the words are searched as words
    assert titles(client, q='title:"strengthening') == []
    assert "Strengthening the Solidarity Economy Together" in titles(client, q='"strengthening')


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "tomorrow"}, "from must be a date (YYYY-MM-DD)"),
        ({"to": "2026-13-45"}, "to must be a date (YYYY-MM-DD)"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to is before from"),
        ({"online": "maybe"}, "online must be yes or no"),
        ({"kind": "people"}, "kind must be event, call, news or organization"),
    ],
)
def test_unreadable_parameters_are_a_400_with_a_reason(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/v1/search", params=params)
    assert (response.status_code, response.json()) == (400, {"error": message})
    page = client.get("/search", params=params)
    assert page.status_code == 400 and message in page.text


def test_the_api_is_described_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    operation = doc["paths"]["/api/v1/search"]["get"]
    assert operation["security"] == []
    names = [p["name"] for p in operation["parameters"]]
    assert names == ["q", "from", "to", "region", "category", "online", "kind"]
    assert "SearchResults" in doc["components"]["schemas"]


def test_the_index_is_there_after_migrating(engine: Engine) -> None:
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            names = {
                row[0]
                for row in session.connection().exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'search_fts_%'"
                )
            }
            assert {"search_fts_item", "search_fts_network_item", "search_fts_terms"} <= names
        else:
            rows = session.connection().exec_driver_sql(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'search_vector' AND table_schema = current_schema()"
            )
            assert {row[0] for row in rows} == {"item", "network_item"}


def test_the_migration_goes_down_and_up_again_and_indexes_what_is_there(
    demo: None, engine: Engine, client: TestClient
) -> None:
    config = migrations.alembic_config(engine)
    command.downgrade(config, "0006")
    with Session(engine) as session:
        names = {
            row[0]
            for row in session.connection().exec_driver_sql(
                "SELECT name FROM sqlite_master"
                if engine.dialect.name == "sqlite"
                else "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        }
    assert not {n for n in names if n.startswith("search_fts") or n == "search_vector"}
    command.upgrade(config, "head")
    # rows written before the index existed are found
    assert titles(client, q="strengthening solidarity") == [
        "Strengthening the Solidarity Economy Together"
    ]


def test_a_common_word_is_walked_newest_first_until_the_filters_are_met(
    node: NodeContext, engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Harvest" is in every item of the co-op's season; the one event among them is the oldest.
    The full-text index is read newest first a few ids at a time (two here, a thousand in
    production) and the walk goes on past chunks where nothing passes the kind filter."""
    monkeypatch.setattr(search_query, "FTS_CHUNK", 2)
    news = fixture("news_share_stories.json")
    coop = local(engine, "riverside-coop", "organization")
    with session_scope(engine) as session:
        actor = session.get(LocalActor, coop.id)
        assert actor is not None
        fair = future(fixture("forum_series.json")) | {"recurrence": None,
                                                        "name": "Harvest fair"}  # fmt: skip
        service.create_item(session, node, actor, "event", fair)
        for n in range(7):
            service.create_item(session, node, actor, "news", news | {"name": f"Harvest news {n}"})
    assert titles(client, q="harvest", kind="event") == ["Harvest fair"]
    monkeypatch.setattr(search_query, "CANDIDATES", 3)  # only the three newest are read
    assert titles(client, q="harvest") == ["Harvest news 6", "Harvest news 5", "Harvest news 4"]


async def test_a_word_is_found_by_its_beginning_newest_first_however_the_index_is_asked(
    node: NodeContext, engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every term matches the beginning of a word: "cooperative" finds "Cooperatives" and
    "Cooperativeness", "coop" finds them and "coop". SQLite asks its index for the few words
    that begin with a term ("cooperative" OR "cooperatives" …: read newest first without
    FTS5's merge of a prefix query), and for the prefix itself when a term begins too many
    words or is not ASCII; the results are the same either way, newest first."""
    coop = local(engine, "valley", "organization")
    news = fixture("news_share_stories.json") | {"summary": "News of the valley.", "content": "-"}
    names = [
        "Cooperatives of the valley meet",
        "A cooperative bakery opens",
        "The coop shop is moving",
        "Cooperativeness: a short history",
        "Bread and roses",
    ]
    with session_scope(engine) as session:
        actor = session.get(LocalActor, coop.id)
        assert actor is not None
        for name in names:
            service.create_item(session, node, actor, "news", news | {"name": name})
    # then a member's article, filed by the network: the newest
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    article = {
        "id": f"{ORG}/items/cooperatives-assembly",
        "type": "Article",
        "attributedTo": ORG,
        "name": "Riverside cooperatives assembly",
        "content": "<p>The members meet.</p>",
        "to": [PUBLIC],
        "cc": [f"{ORG}/followers"],
    }
    create = activity("Create", ORG, article, to=[PUBLIC], cc=[f"{ORG}/followers"])
    assert (await deliver(node, create)).startswith("network: @ussen: relayed")
    by_prefix = {
        "cooperative": ["Riverside cooperatives assembly", names[3], names[1], names[0]],
        "coop": ["Riverside cooperatives assembly", names[3], names[2], names[1], names[0]],
        "cooperatives": ["Riverside cooperatives assembly", names[0]],
        "cooperatives riverside": ["Riverside cooperatives assembly"],
        "coo bread": [],
        "cooperativesx": [],
    }
    # the index read two row ids at a time: every search walks past chunks, on either path
    monkeypatch.setattr(search_query, "FTS_CHUNK", 2)
    asked: list[str] = []

    def listen(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if "MATCH" in statement:
            asked.extend(str(p) for p in (params.values() if isinstance(params, dict) else params))

    db_events.listen(engine, "before_cursor_execute", listen)
    try:
        for q, expected in by_prefix.items():
            assert titles(client, q=q) == expected, q
        if engine.dialect.name == "sqlite":  # whole words, never a prefix query
            assert asked and not any("*" in p for p in asked), asked
            assert '"cooperative" OR "cooperativeness" OR "cooperatives"' in " ".join(asked)
        # a term that begins more words than are asked for stays a prefix query
        monkeypatch.setattr(search_index, "MAX_WORDS", 2)
        asked.clear()
        for q, expected in by_prefix.items():
            assert titles(client, q=q) == expected, q
        if engine.dialect.name == "sqlite":
            assert '"coop"*' in asked and '"cooperatives"' in " ".join(asked), asked
    finally:
        db_events.remove(engine, "before_cursor_execute", listen)
    if engine.dialect.name == "sqlite":
        # FTS5 folds diacritics: a term that is not ASCII is asked as a prefix, and finds the same
        assert titles(client, q="coöperative") == by_prefix["cooperative"]


def test_back_before_the_words_table_the_index_still_follows_and_they_are_read_again(
    demo: None, node: NodeContext, engine: Engine, client: TestClient
) -> None:
    """0021 (the index's words, SQLite) goes down to 0012's triggers, which keep indexing; back
    up, the words of what was written meanwhile are read from the index and found by prefix."""
    config = migrations.alembic_config(engine)
    command.downgrade(config, "0020")
    with todays_columns(engine), session_scope(engine) as session:
        call = session.exec(select(Item).where(Item.kind == "call")).one()
        actor = session.get(LocalActor, call.actor_id)
        assert actor is not None
        service.update_item(session, node, actor, call, {"name": "Wholesale cooperativism"})
    command.upgrade(config, "head")
    assert titles(client, q="cooperativ") == ["Wholesale cooperativism"]
    assert titles(client, q="wholesal coop") == ["Wholesale cooperativism"]
