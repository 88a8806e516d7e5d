"""The People page of an organization with many followers: those waiting for approval stay first,
on every page; the followers are shown 50 a page, newest first, and walked to the last page by
"Older followers" and back by "Newer followers", each follower met exactly once each way; the
waiting list pages on its own; the reader's ``?lang=`` goes along; the count in the heading is
the kept one and no page counts or loads every follower."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from node.db import session_scope
from node.models import Follower, LocalActor
from tests.db.publishing_support import Page, make_org
from tests.db.test_reads_explained import captured
from tests.db.workspace_people_support import as_person, staff

PEOPLE = "/workspace/nec/people"


def _many_followers(engine: Engine, accepted: int, pending: int) -> None:
    """``accepted`` followers and ``pending`` requests, interleaved (a request every third)."""
    with session_scope(engine) as session:
        nec = session.exec(select(LocalActor).where(LocalActor.slug == "nec")).one()
        rows = []
        for i in range(accepted + pending):
            state = "pending" if i % 3 == 1 and i // 3 < pending else "accepted"
            who = f"https://s{i % 7}.example/users/u{i}"
            rows.append(Follower(actor_id=nec.id or 0, remote_id=who, state=state, inbox=who))
        session.add_all(rows)


def _expected(engine: Engine, state: str) -> list[str]:
    with Session(engine) as session:
        query = select(Follower.remote_id).where(Follower.state == state)
        return list(session.exec(query.order_by(col(Follower.id).desc())))


def _section(html: str, start: str, end: str) -> list[str]:
    part = html.split(f'id="{start}"', 1)[1].split(f'id="{end}"', 1)[0]
    return re.findall(r'<li><a href="(https://s\d\.example/users/u\d+)">', part)


def _pager(html: str, prefix: str) -> dict[str, str]:
    """The section's page links by rel (``waiting_`` for those waiting, "" for followers)."""
    found = {}
    ours = re.compile(rf"[?&]{prefix}(before|after)=")
    for link in Page(html).find("a"):
        href = link.get("href", "")
        other = not prefix and "waiting_" in href
        if link.get("rel") in ("next", "prev") and ours.search(href) and not other:
            found[link["rel"]] = href
    return found


def _walk(client: TestClient, url: str, rel: str, prefix: str) -> list[list[str]]:
    """The pages of one list from ``url``, following ``rel`` to its end."""
    start, end = (
        ("waiting-title", "followers-title") if prefix else ("followers-title", "events-title")
    )
    pages = []
    while url:
        html = client.get(url).text
        pages.append(_section(html, start, end))
        url = _pager(html, prefix).get(rel, "")
        assert len(pages) < 20
    return pages


def test_the_people_page_walks_many_followers_both_ways_and_keeps_the_waiting_first(
    client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    staff(engine)
    _many_followers(engine, 130, 60)
    as_person(client, "eddie@nec.example", PEOPLE)
    accepted, pending = _expected(engine, "accepted"), _expected(engine, "pending")
    assert (len(accepted), len(pending)) == (130, 60)

    first = client.get(PEOPLE).text
    assert "Followers (130)" in first
    headings = [h for level, h in Page(first).headings if level == 2]
    waits = headings.index("Followers waiting for approval")
    assert headings[waits + 1] == "Followers (130)"
    assert _pager(first, "") == {"next": _pager(first, "")["next"]}  # nothing newer

    forward = _walk(client, PEOPLE, "next", "")
    assert [len(p) for p in forward] == [50, 50, 30]
    assert [who for page in forward for who in page] == accepted
    last = client.get(_pager(client.get(_pager(first, "")["next"]).text, "")["next"]).text
    assert "next" not in _pager(last, "")
    # the waiting stay first on every page of followers, their newest 50 shown
    assert _section(last, "waiting-title", "followers-title") == pending[:50]
    backward = _walk(client, _pager(last, "")["prev"], "prev", "")
    assert [who for page in backward[::-1] for who in page] == accepted[:100]

    waiting = _walk(client, PEOPLE, "next", "waiting_")
    assert [who for page in waiting for who in page] == pending
    older = client.get(_pager(first, "waiting_")["next"]).text
    back = _walk(client, _pager(older, "waiting_")["prev"], "prev", "waiting_")
    assert [who for page in back for who in page] == pending[:50]


def test_page_links_keep_the_language_and_no_page_counts_followers(
    client: TestClient, engine: Engine
) -> None:
    make_org(engine)
    staff(engine)
    _many_followers(engine, 60, 0)
    as_person(client, "eddie@nec.example", PEOPLE)
    with captured(engine) as seen:
        first = client.get(f"{PEOPLE}?lang=es").text
    assert 'lang="es"' in first
    onward = _pager(first, "")["next"]
    assert "lang=es" in onward and onward.endswith("#followers-title")
    assert 'lang="es"' in client.get(onward).text
    follower_reads = [s for s, _ in seen if "FROM follower" in s]
    assert follower_reads and all(" LIMIT " in s.upper() for s in follower_reads)
    assert not any("count(" in s.lower() for s in follower_reads)
    # a cursor that is not a number is the first page
    assert _section(client.get(f"{PEOPLE}?before=x").text, "followers-title", "events-title")
