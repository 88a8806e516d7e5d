"""Seed a network with N members and M filed items, written directly into a node's database.

Filing a million items through the inbox would take hours; the reads benchmark needs the rows,
not the journey. So this script writes what filing would have written, computed by filing's own
functions (``stored_document``, ``item_facts``, the region fallback to the author's profile,
``decide`` with the network's rules), in big transactions of bulk inserts. tests/db/
test_seed_network.py files a small seeded network through the real code path
(``filing.file_item``) on SQLite and PostgreSQL and compares every column.

What is seeded, deterministically from ``--seed``:

* the network (created like ``solnode network create`` does, if it does not exist);
* N member organizations on 50 hosts, cached as remote actors (fresh, so nothing is fetched)
  with a region, a country and ESSGlobal sectors; each admitted;
* M items by those members, published over the last three years (one item every
  ``3y / M`` on average, in order): half events (start from a day to a year after publication,
  one to eight hours long, some multi-day, about a fifth online, most with a place), a quarter
  calls (FEP-0837 offers and requests), a quarter news (Articles).

    SOLNODE_DATA_DIR=… [SOLNODE_DATABASE_URL=…] python bench/seed_network.py \
        --network ussen --members 2000 --items 1000000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import Session, col, update  # noqa: E402

from node.activitypub import activities  # noqa: E402
from node.db import make_engine, session_scope  # noqa: E402
from node.features.networks import clean  # noqa: E402
from node.features.networks.facts import item_facts  # noqa: E402
from node.features.networks.filing import published_of, stored_document  # noqa: E402
from node.features.networks.rules import RELAYED, decide, load_rules  # noqa: E402
from node.federation.actors.local import create_actor, get_actor  # noqa: E402
from node.models import (  # noqa: E402
    Follower,
    LocalActor,
    Membership,
    NetworkItem,
    OutboxActivity,
    RemoteActor,
)
from node.settings import load_settings  # noqa: E402
from node.urls import Urls  # noqa: E402

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
HOSTS = 50
BATCH = 5000
SPAN = timedelta(days=3 * 365)
PLACES = [
    ("Massachusetts", "US"), ("Québec", "CA"), ("Catalunya", "ES"), ("Bretagne", "FR"),
    ("Lombardia", "IT"), ("Kerala", "IN"), ("Gauteng", "ZA"), ("São Paulo", "BR"),
    ("Jalisco", "MX"), ("Cusco", "PE"), ("Bayern", "DE"), ("Wales", "GB"),
]  # fmt: skip
SECTORS = [
    "http://purl.org/essglobal/standard/sectors-of-activity/A",
    "http://purl.org/essglobal/standard/sectors-of-activity/C",
    "http://purl.org/essglobal/standard/sectors-of-activity/F",
    "http://purl.org/essglobal/standard/sectors-of-activity/I",
    "http://purl.org/essglobal/standard/sectors-of-activity/P",
]
TAGS = ["coops", "food", "housing", "energy", "credit", "care", "commons", "repair", "seeds"]
CATEGORIES = ["MEETING", "WORKSHOP", "MARKET", "PARTY", "AUCTION", "CAUSES"]


@dataclass(frozen=True)
class Seeded:
    """One generated arrival: the object as its author serves it, and when it arrived."""

    author: str
    document: dict[str, Any]
    received_at: datetime


def member_id(i: int) -> str:
    """The actor id of member ``i``."""
    return f"https://coop{i % HOSTS}.example/actors/member-{i}"


def member_place(i: int) -> tuple[str, str]:
    """(region, country) of member ``i``."""
    return PLACES[i % len(PLACES)]


def member_actor(i: int, now: datetime) -> RemoteActor:
    """Member ``i`` as a cached remote actor document."""
    ap_id, (region, country) = member_id(i), member_place(i)
    host = ap_id.split("/")[2]
    return RemoteActor(
        ap_id=ap_id,
        type="Organization",
        preferred_username=f"member-{i}",
        domain=host,
        name=f"Cooperative {i}",
        inbox=f"{ap_id}/inbox",
        shared_inbox=f"https://{host}/inbox",
        url=ap_id,
        followers_url=f"{ap_id}/followers",
        document={
            "id": ap_id,
            "type": "Organization",
            "name": f"Cooperative {i}",
            "location": {
                "type": "Place",
                "address": {
                    "type": "PostalAddress",
                    "addressRegion": region,
                    "addressCountry": country,
                },
            },
            "economicSector": [SECTORS[i % len(SECTORS)]],
        },
        fetched_at=now,
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(rng: random.Random, doc: dict[str, Any], published: datetime, place: Any) -> None:
    start = published + timedelta(days=rng.randint(1, 365), hours=rng.randint(0, 12))
    start = start.replace(minute=0, second=0)
    long = rng.random() < 0.05
    end = start + (
        timedelta(days=rng.randint(1, 4)) if long else timedelta(hours=rng.randint(1, 8))
    )
    online = rng.random() < 0.2
    location: list[dict[str, Any]] = []
    if not online or rng.random() < 0.3:  # in person, or hybrid
        region, country = place
        location.append(
            {
                "type": "Place",
                "name": "Community hall",
                "address": {
                    "type": "PostalAddress",
                    "addressRegion": region,
                    "addressCountry": country,
                },
            }
        )
    if online:
        location.append({"type": "VirtualLocation", "url": "https://meet.example/room"})
    doc.update(
        type="Event",
        startTime=_stamp(start),
        endTime=_stamp(end),
        timezone="UTC",
        category=rng.choice(CATEGORIES),
        location=location[0] if len(location) == 1 else location,
    )


def generate(members: int, items: int, *, seed: int = 1, now: datetime) -> Iterator[Seeded]:
    """The ``items`` arrivals, oldest first, published over the three years before ``now``."""
    rng = random.Random(seed)
    step = SPAN / max(items, 1)
    first = now - SPAN
    for n in range(items):
        i = rng.randrange(members)
        author = member_id(i)
        published = (first + step * n + timedelta(seconds=rng.random())).replace(microsecond=0)
        host = author.split("/")[2]
        tags = rng.sample(TAGS, rng.randint(0, 3))
        doc: dict[str, Any] = {
            "@context": AS,
            "id": f"https://{host}/items/{seed}-{n}",
            "attributedTo": author,
            "name": f"Item {n} by cooperative {i}",
            "content": f"<p>Item {n}: what cooperative {i} wants the network to know.</p>",
            "published": _stamp(published),
            "url": f"https://{host}/items/{seed}-{n}",
            "tag": [
                {"type": "Hashtag", "name": f"#{t}", "href": f"https://{host}/tags/{t}"}
                for t in tags
            ],
            "to": [PUBLIC],
            "cc": [f"{author}/followers"],
        }
        roll = rng.random()
        if roll < 0.5:
            _event(rng, doc, published, member_place(i))
        elif roll < 0.75:
            doc.update(type="Note", purpose=rng.choice(("offer", "request")))
        else:
            doc.update(type="Article")
        received = published + timedelta(seconds=rng.randint(1, 30))
        yield Seeded(author, doc, received)


def filed_row(
    network: LocalActor, urls: Urls, arrival: Seeded, rules: Any, places: dict[str, Any]
) -> dict[str, Any]:
    """The ``network_item`` row filing writes for ``arrival`` (see filing.file_item)."""
    facts = item_facts(arrival.document)
    region, country = facts.region, facts.country
    if not (region or country):  # filing: the author's region, for the region filters
        region, country = places[arrival.author]
    state, reason = decide(rules, facts, author=arrival.author, via="", source="member")
    announce = urls.activity(uuid.uuid4().hex) if state == RELAYED else ""
    document = stored_document(arrival.document)
    return {
        "network_id": network.id,
        "object_id": str(arrival.document["id"]),
        "author": arrival.author,
        "via": "",
        "source": "member",
        "state": state,
        "reason": reason[:500],
        "document": document,
        "clean_rules": clean.RULES,
        "announce_id": announce,
        "kind": facts.kind,
        "start_time": facts.start_time,
        "end_time": facts.end_time,
        "ends_at": facts.ends_at,
        "span_class": facts.span_class,
        "region": region,
        "country": country,
        "tags": facts.tag_text[:2000],
        "category": facts.category,
        "online": facts.online,
        "received_at": arrival.received_at,
        "published": published_of(document, arrival.received_at),
        "updated_at": arrival.received_at,
    }


def announce_row(network: LocalActor, urls: Urls, row: dict[str, Any]) -> dict[str, Any]:
    """The ``outbox_activity`` row send() stores for a relayed row's Announce (its fan-out and
    delivery jobs are not seeded: they would be long done)."""
    me = urls.actor(network.slug)
    doc = activities.announce(
        row["announce_id"],
        me,
        row["object_id"],
        followers=f"{me}/followers",
        published=row["received_at"],
    )
    return {
        "ap_id": row["announce_id"],
        "actor_id": network.id,
        "type": "Announce",
        "object_id": row["object_id"],
        "document": doc,
        "raw": "",
        "public": True,
        "published": row["received_at"],
    }


def _network(engine: Engine, slug: str) -> LocalActor:
    with session_scope(engine) as session:
        found = get_actor(session, slug)
        if found is None:
            found = create_actor(session, slug, kind="network", name=slug.title())
        session.flush()
        session.expunge(found)
        return found


def seed(
    engine: Engine,
    urls: Urls,
    slug: str,
    members: int,
    items: int,
    *,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> LocalActor:
    """Create (or reuse) network ``slug`` and give it ``members`` admitted members and
    ``items`` filed items. Returns the network."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    network = _network(engine, slug)
    assert network.id is not None
    with session_scope(engine) as session:
        for i in range(members):
            session.add(member_actor(i, now))
        session.flush()
        admitted_at = now - SPAN - timedelta(days=1)
        session.add_all(
            Membership(
                network_id=network.id,
                member=member_id(i),
                kind="organization",
                state="admitted",
                join_id=f"{member_id(i)}/join/{network.id}",
                requested_at=admitted_at,
                decided_at=admitted_at,
                updated_at=admitted_at,
            )
            for i in range(members)
        )
    progress(f"{members} members admitted")
    with Session(engine) as session:
        rules = load_rules(session, network.id)
    places = {member_id(i): member_place(i) for i in range(members)}
    started, batch, done = time.monotonic(), [], 0
    for arrival in generate(members, items, seed=seed, now=now):
        batch.append(filed_row(network, urls, arrival, rules, places))
        if len(batch) == BATCH:
            done += _insert(engine, network, urls, batch)
            batch = []
            if done % (BATCH * 20) == 0:
                rate = done / (time.monotonic() - started)
                progress(f"{done:,} items filed ({rate:,.0f}/s)")
    done += _insert(engine, network, urls, batch)
    progress(f"{done:,} items filed in {time.monotonic() - started:.0f} s")
    _analyze(engine)
    return network


def _analyze(engine: Engine) -> None:
    """Planner statistics, as PostgreSQL's autovacuum (or a SQLite ``ANALYZE``) leaves them after
    a bulk load. Without them PostgreSQL guesses one row per network and sorts them all.

    And on PostgreSQL ``calendar_stamp`` rewritten: migration 0016's trigger bumps the network's
    one row for every item filed, and the seed's batches (BATCH items a transaction) left that
    row's million dead versions in a 34 MB table that every read of the node's generation
    scanned (7 ms a region's page). A live node commits each filing on its own, and PostgreSQL
    prunes a row's old versions in place (HOT) as it updates it: its table stays a page."""
    with engine.begin() as conn:
        for table in ("network_item", "outbox_activity", "membership", "remote_actor", "item"):
            conn.execute(text(f"ANALYZE {table}"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM FULL ANALYZE calendar_stamp"))


def _insert(engine: Engine, network: LocalActor, urls: Urls, rows: list[dict[str, Any]]) -> int:
    """One transaction: the rows, their Announces, the outbox count send() keeps."""
    announces = [announce_row(network, urls, row) for row in rows if row["announce_id"]]
    if rows:
        with engine.begin() as conn:
            conn.execute(NetworkItem.__table__.insert(), rows)  # type: ignore[attr-defined]
            if announces:
                conn.execute(OutboxActivity.__table__.insert(), announces)  # type: ignore[attr-defined]
                conn.execute(
                    update(LocalActor)
                    .where(col(LocalActor.id) == network.id)
                    .values(outbox_count=col(LocalActor.outbox_count) + len(announces))
                )
    return len(rows)


def seed_followers(engine: Engine, network: LocalActor, followers: int) -> None:
    """``followers`` accepted followers of the network on 500 hosts (every 100th still
    pending), inserted in bulk: the triggers keep its followers_count as the handlers would."""
    now = datetime.now(UTC)
    rows = [
        {
            "actor_id": network.id,
            "remote_id": f"https://f{i % 500}.example/users/u{i}",
            "inbox": f"https://f{i % 500}.example/users/u{i}/inbox",
            "shared_inbox": f"https://f{i % 500}.example/inbox",
            "follow_id": f"https://f{i % 500}.example/follows/{i}",
            "state": "pending" if i % 100 == 42 else "accepted",
            "created_at": now,
        }
        for i in range(followers)
    ]
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(Follower.__table__.insert(), rows[start : start + BATCH])  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("ANALYZE follower"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", default="ussen")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings)
    try:
        seed(
            engine,
            Urls(settings.base_url),
            args.network,
            args.members,
            args.items,
            seed=args.seed,
            progress=lambda line: print(line, flush=True),
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
