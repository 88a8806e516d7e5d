"""SQLite keeps the words of its full-text index in ``search_fts_terms`` (0021), each with the
number of rows that hold it (0024): a word leaves with its last row, deleted or rewritten, so
the words of what is gone never push a term past the few words it is asked as
(node/features/search/index.py) into FTS5's slow prefix query."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from node import migrations
from node.db import session_scope
from node.features.publishing import service
from node.features.search import index as search_index
from node.federation.context import NodeContext
from node.models import Item, LocalActor, NetworkItem
from node.settings import Settings
from tests.db.network_support import PUBLIC, activity, admitted, deliver, event, local, remote
from tests.db.publishing_support import fixture
from tests.db.schema_support import todays_columns

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ORG = "https://coop.example/actors/riverside"


@pytest.fixture
def node(settings: Settings, engine: Engine) -> NodeContext:
    return NodeContext.build(settings, engine)


def counted(engine: Engine) -> dict[str, int]:
    """Each kept word and its count."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT term, uses FROM search_fts_terms")
        return {str(term): int(uses) for term, uses in rows}


def indexed(engine: Engine) -> dict[str, int]:
    """Each word of both indexes and the rows that hold it, read from the indexes themselves."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for source in ("item", "network_item"):
            fts = f"search_fts_{source}"
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE temp.{fts}_v USING fts5vocab(main, {fts}, 'row')"
            )
            for term, rows in conn.exec_driver_sql(f"SELECT term, doc FROM temp.{fts}_v"):
                found[term] = found.get(term, 0) + rows
            conn.exec_driver_sql(f"DROP TABLE temp.{fts}_v")
    return found


def titles(client: TestClient, q: str) -> list[str]:
    items: list[dict[str, Any]] = client.get("/api/v1/search", params={"q": q}).json()["items"]
    return [hit["title"] for hit in items]


async def test_a_word_leaves_with_its_last_row_deleted_or_rewritten(
    node: NodeContext, engine: Engine, client: TestClient
) -> None:
    """A co-op's own news and a member's event filed by the network share "harvest"; the event
    deleted takes "quinoa" with it, not "harvest"; the news renamed takes "harvest"."""
    coop = local(engine, "valley", "organization")
    news = fixture("news_share_stories.json") | {"summary": "Valley news.", "content": "-"}
    with session_scope(engine) as session:
        actor = session.get(LocalActor, coop.id)
        assert actor is not None
        service.create_item(session, node, actor, "news", news | {"name": "Harvest report"})
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    quinoa = event(ORG, name="Quinoa harvest")
    await deliver(node, activity("Create", ORG, quinoa, to=[PUBLIC]))
    words = counted(engine)
    assert (words["harvest"], words["quinoa"], words["report"]) == (2, 1, 1)
    assert words == indexed(engine)

    await deliver(node, activity("Delete", ORG, quinoa["id"], to=[PUBLIC]))
    with Session(engine) as session:
        assert session.exec(select(NetworkItem)).all() == []
    words = counted(engine)
    assert "quinoa" not in words and words["harvest"] == 1
    assert words == indexed(engine)

    with session_scope(engine) as session:
        item = session.exec(select(Item).where(Item.kind == "news")).one()
        actor = session.get(LocalActor, item.actor_id)
        assert actor is not None
        service.update_item(session, node, actor, item, {"name": "Autumn report"})
    words = counted(engine)
    assert "harvest" not in words and (words["autumn"], words["report"]) == (1, 1)
    assert words == indexed(engine)
    assert titles(client, "autumn") == ["Autumn report"]
    assert titles(client, "harvest") == []


async def test_a_term_is_asked_as_whole_words_again_once_dead_words_are_gone(
    node: NodeContext, engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "seed" begins three words, more than a term is asked as (two here, 64 in production):
    it is a prefix query. One of the three items deleted, its word goes, and "seed" is asked
    as the two words left: the same hits, without FTS5's merge."""
    monkeypatch.setattr(search_index, "MAX_WORDS", 2)
    network = local(engine, "ussen", "network")
    remote(engine, ORG)
    admitted(engine, network, ORG)
    names = ["Seedbank opening", "Seedling swap", "Seedtime talk"]
    events = [event(ORG, n, name=name) for n, name in enumerate(names)]
    for doc in events:
        await deliver(node, activity("Create", ORG, doc, to=[PUBLIC]))
    with Session(engine) as session:
        assert search_index.words_beginning(session, ["seed"]) == [None]
        assert search_index.words_for(session, ["seed"]).prefix
    await deliver(node, activity("Delete", ORG, events[2]["id"], to=[PUBLIC]))
    with Session(engine) as session:
        assert search_index.words_beginning(session, ["seed"]) == [["seedbank", "seedling"]]
        assert not search_index.words_for(session, ["seed"]).prefix
    assert sorted(titles(client, "seed")) == names[:2]


def test_the_counts_start_from_the_index_and_drop_the_words_left_behind(
    node: NodeContext, engine: Engine
) -> None:
    """Under 0021 a deleted row's words stayed; up to 0024 the words are counted from the index
    itself, and those no row holds are dropped. Down again, 0021's triggers keep every word."""
    coop = local(engine, "valley", "organization")
    news = fixture("news_share_stories.json") | {"summary": "Valley news.", "content": "-"}
    config = migrations.alembic_config(engine)
    command.downgrade(config, "0021")
    with todays_columns(engine):
        with session_scope(engine) as session:
            actor = session.get(LocalActor, coop.id)
            assert actor is not None
            for name in ("Compost workshop", "Compost and worms"):
                service.create_item(session, node, actor, "news", news | {"name": name})
        with session_scope(engine) as session:  # a purge (local items are only marked deleted)
            [gone] = [
                i for i in session.exec(select(Item)) if i.document["name"] == "Compost and worms"
            ]
            session.delete(gone)
    with engine.connect() as conn:
        kept = {t for (t,) in conn.exec_driver_sql("SELECT term FROM search_fts_terms")}
    assert {"compost", "workshop", "worms"} <= kept  # 0021: the dead word stays
    command.upgrade(config, "head")
    words = counted(engine)
    assert "worms" not in words and (words["compost"], words["workshop"]) == (1, 1)
    assert words == indexed(engine)
    command.downgrade(config, "0021")
    with todays_columns(engine), session_scope(engine) as session:
        actor = session.get(LocalActor, coop.id)
        assert actor is not None
        service.create_item(session, node, actor, "news", news | {"name": "Worms again"})
    with engine.connect() as conn:
        kept = {t for (t,) in conn.exec_driver_sql("SELECT term FROM search_fts_terms")}
    assert {"compost", "workshop", "worms", "again"} <= kept
    command.upgrade(config, "head")
    assert counted(engine) == indexed(engine)
