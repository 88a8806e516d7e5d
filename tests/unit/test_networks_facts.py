"""What a network files about an item and how its rules decide: pure functions, real shapes
(Mobilizon's hybrid events, Gancio's address strings, our calls and news)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from node.features.networks.facts import (
    SPANS,
    addressed_to,
    author_of,
    item_facts,
    kind_of,
    parse_time,
    span_class,
)
from node.features.networks.profiles import MemberProfile, essglobal_of, place_of
from node.features.networks.queries import Entry, month_grid
from node.features.networks.rules import FOLLOWED, HELD, RELAYED, Rules, blocked_by, decide

MOBILIZON_EVENT = {
    "id": "https://mobilizon.example/events/1",
    "type": "Event",
    "attributedTo": ["https://mobilizon.example/@group", "https://mobilizon.example/@ana"],
    "name": "Assemblée",
    "startTime": "2030-03-01T18:00:00+01:00",
    "endTime": "2030-03-02T20:00:00+01:00",
    "location": [
        {"type": "Place", "name": "Salle", "address": {"type": "PostalAddress",
         "addressLocality": "Lyon", "addressRegion": "Auvergne-Rhône-Alpes",
         "addressCountry": "fr"}},
        {"type": "VirtualLocation", "url": "https://meet.example/x"},
    ],
    "category": "meeting",
    "tag": [{"type": "Hashtag", "name": "#ESS"}, {"type": "Mention", "name": "@x"},
            {"type": "Hashtag", "name": "#ess"}],
}  # fmt: skip


def test_a_hybrid_mobilizon_event() -> None:
    facts = item_facts(MOBILIZON_EVENT)
    assert facts.kind == "event"
    assert facts.start_time == datetime(2030, 3, 1, 17, 0, tzinfo=UTC)
    assert facts.end_time == datetime(2030, 3, 2, 19, 0, tzinfo=UTC)
    assert (facts.region, facts.country, facts.online) == ("Auvergne-Rhône-Alpes", "FR", True)
    assert facts.tags == ("ess",) and facts.tag_text == " ess "
    assert facts.category == "MEETING"
    assert author_of(MOBILIZON_EVENT) == "https://mobilizon.example/@group"


def test_kinds_times_and_odd_shapes() -> None:
    assert kind_of({"type": "Article"}) == "news"
    assert kind_of({"type": "Note", "purpose": "offer"}) == "call"
    assert kind_of({"type": ["Note", "Proposal"]}) == "call"
    assert kind_of({"type": "Note"}) == "note"
    assert kind_of({"type": "Video"}) == "other"
    # Gancio: the address is a plain string; a naive time is taken as UTC
    gancio = {"type": "Event", "startTime": "2030-01-01T10:00:00",
              "location": {"type": "Place", "name": "Bar", "address": "Via Roma 1, Torino"}}  # fmt: skip
    facts = item_facts(gancio)
    assert facts.start_time == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert facts.region == "Via Roma 1, Torino" and facts.end_time is None
    assert parse_time("next tuesday") is None and parse_time(12) is None
    assert item_facts({"type": "Note", "startTime": "2030-01-01T10:00:00Z"}).start_time is None
    group = "https://local.example/actors/ussen"
    assert addressed_to({"object": {"audience": group}}, group)
    assert addressed_to({"cc": [group]}, group) and not addressed_to({"to": []}, group)


def test_rules_decide_and_blocks_cover_subdomains() -> None:
    facts = item_facts(MOBILIZON_EVENT)
    author = "https://mobilizon.example/@group"
    assert decide(Rules(), facts, author=author, via="", source="member") == (RELAYED, "")
    assert decide(Rules(), facts, author=author, via="", source=FOLLOWED)[0] == FOLLOWED
    assert decide(Rules(kinds=("news",)), facts, author=author, via="", source="member")[0] == HELD
    assert decide(Rules(tags=("ess",)), facts, author=author, via="", source="member")[0] == RELAYED
    assert decide(Rules(tags=("food",)), facts, author=author, via="", source="member")[0] == HELD
    assert (
        decide(Rules(regions=("FR",)), facts, author=author, via="", source="member")[0] == RELAYED
    )
    assert (
        decide(Rules(regions=("Iowa",)), facts, author=author, via="", source="member")[0] == HELD
    )
    blocked = Rules(blocked_domains=("example",))
    assert blocked_by(blocked, author) is None  # "example" is no suffix match of a host label
    blocked = Rules(blocked_domains=("mobilizon.example",))
    state, reason = decide(blocked, facts, author="https://a.mobilizon.example/@x", via="",
                           source=FOLLOWED)  # fmt: skip
    assert state == HELD and "mobilizon.example" in reason
    # the network it came through counts too
    assert blocked_by(blocked, "https://else.example/a", "https://mobilizon.example/g")


def test_remote_profiles_and_the_month_grid() -> None:
    doc = {
        "economicSector": [{"id": "http://purl.org/essglobal/standard/activities-ica/G"}],
        "essglobal": "not an object",
        "location": {"type": "Place", "address": {"addressRegion": "Iowa", "addressCountry": "us"}},
    }
    assert essglobal_of(doc) == {
        "economicSector": ["http://purl.org/essglobal/standard/activities-ica/G"]
    }
    assert place_of(doc) == ("Iowa", "US")
    author = MemberProfile(actor="a", name="A", handle="", url="a", type="Group")
    entry = Entry(
        object_id="x", document=MOBILIZON_EVENT, kind="event", author=author, start=None,
        end=None, region="", country="", tags=(), category="", online=True, source="member",
        received=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    weeks = month_grid(2030, 3, [entry])
    days = {cell.day.day: cell for week in weeks for cell in week if cell.in_month}
    # shown on each local day it spans: 1 and 2 March
    assert [d for d, cell in days.items() if cell.entries] == [1, 2]
    assert all(len(week) == 7 for week in weeks) and weeks[0][0].day.weekday() == 0


def test_each_event_has_a_class_of_duration_and_each_class_a_longest() -> None:
    """Class k holds what lasts over 4^(k-1) and up to 4^k days (0: a day or less): exactly at
    a class's longest an event is still in it, a microsecond more and it is in the next; the
    last class outlasts anything a datetime can hold, so no event is beyond every class."""
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    tick = timedelta(microseconds=1)
    earliest, latest = (moment.replace(tzinfo=UTC) for moment in (datetime.min, datetime.max))
    assert span_class(start, start) == 0 and span_class(None, None) == 0
    assert span_class(start, start + timedelta(hours=12)) == 0
    for k, longest in enumerate(SPANS):
        assert longest == timedelta(days=4**k)
        if latest - start > longest:
            assert span_class(start, start + longest) == k
            assert span_class(start, start + longest + tick) == k + 1
    assert latest - earliest <= SPANS[-1] and span_class(earliest, latest) == len(SPANS) - 1
    assert SPANS[-2] < latest - earliest  # and no class too many
    # filed: from a document's times, an end-less one lasting NO_END (12 hours)
    fair = {"type": "Event", "startTime": "2026-06-01T09:00:00Z", "endTime": "2026-06-05T09:00:00Z"}
    assert item_facts(fair).span_class == 1
    assert item_facts({**fair, "endTime": "2026-06-05T09:00:01Z"}).span_class == 2
    assert item_facts({"type": "Event", "startTime": "2026-06-01T09:00:00Z"}).span_class == 0
