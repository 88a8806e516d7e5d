"""Events as Mastodon, Mobilizon and Gancio read them, field by field (docs/interop.md, and the
peers' code where it says more: Mobilizon 5.1.3 lib/federation/activity_stream/converter/*.ex,
Gancio 1.21 server/federation/helpers.js), on the demo conference, its sessions and the monthly
forum series; time zones across daylight-saving changes; and JSON-LD that signatures cover."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from node.activitypub import jsonld
from node.activitypub.vocab import AS_CONTEXT, PUBLIC
from node.content.envelope import Publication
from node.content.events import ParentRef, event_object, status_note
from node.content.fields import EventInput, Recurrence, validate_event
from node.content.series import expand_series, occurrences, rrule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "content"
BASE = "https://nec.example.org"
ACTOR = f"{BASE}/actors/nec"
FOLLOWERS = f"{ACTOR}/followers"
PUBLISHED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
UPDATED = datetime(2026, 9, 2, 8, 30, tzinfo=UTC)
RFC3339_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def tag_href(tag: str) -> str:
    return f"{BASE}/tags/{tag.lower()}"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def build(inp: EventInput, uid: str = "sset-2026", **kw: Any) -> dict[str, Any]:
    return event_object(
        inp,
        Publication(
            ident=f"{BASE}/items/{uid}",
            url=f"{BASE}/items/{uid}",
            actor_id=ACTOR,
            followers=FOLLOWERS,
            published=PUBLISHED,
            updated=UPDATED,
            tag_href=tag_href,
        ),
        **kw,
    )


def conference(**changes: Any) -> EventInput:
    return validate_event(fixture("conference.json")["conference"] | changes)


def sessions(**changes: Any) -> list[EventInput]:
    return [validate_event(s | changes) for s in fixture("conference.json")["sessions"]]


def forum() -> EventInput:
    return validate_event(fixture("forum_series.json"))


def simple(**changes: Any) -> EventInput:
    data: dict[str, Any] = {
        "name": "Monthly peer support forum",
        "content": "Peer support for partners and policy makers. Bring a project.",
        "startTime": "2026-12-17T18:00:00",
        "endTime": "2026-12-17T20:00:00",
        "timezone": "America/New_York",
        "location": {"name": "Community Hall", "address": {"addressLocality": "Springfield"}},
    }
    data.update(changes)
    return validate_event({k: v for k, v in data.items() if v is not None})


CONFERENCE_PARENT = ParentRef(
    id=f"{BASE}/items/sset-2026",
    name="Strengthening the Solidarity Economy Together",
    url=f"{BASE}/items/sset-2026",
)


# --------------------------------------------------------------------------- Mastodon


def test_mastodon_context_is_activitystreams_plus_inline_terms_only() -> None:
    # Mastodon fetches any other context URL and drops the signed activity when that fails.
    for doc in (
        build(conference()),
        build(forum()),
        build(sessions()[0], parent=CONFERENCE_PARENT),
    ):
        context = doc["@context"]
        assert context[0] == AS_CONTEXT
        assert all(isinstance(entry, dict) for entry in context[1:])
        assert not [
            v
            for entry in context[1:]
            for v in entry.values()
            if isinstance(v, str) and v.endswith(".jsonld")
        ]


def test_mastodon_summary_says_when_where_what_and_how_for_the_conference() -> None:
    summary = build(conference())["summary"]
    assert summary.split("</p>") == [
        "<p>Tue 3 Nov 2026, 10:00 \u2013 Thu 5 Nov 2026, 17:00 EST (America/New_York)",
        # Approval-only: the online link is for approved participants; the post links the page.
        f'<p>Online: <a href="{BASE}/items/sset-2026" rel="nofollow noopener">{BASE}/items/sset-2026</a>',
        # The first sentence, cut at a word to at most 200 characters.
        "<p>A three-day virtual conference of the NEC network and the broader solidarity economy movement, to share knowledge, foster collaboration and drive collective action towards a more equitable and\u2026",
        f'<p>Registration required: <a href="{BASE}/items/sset-2026" rel="nofollow noopener">{BASE}/items/sset-2026</a>',
        "<p>Accessibility: live captioning; interpretation into Spanish and French; Captions in every session; ask for other languages when you register.",
        "",
    ]


def test_mastodon_summary_for_a_single_evening_matches_the_house_format() -> None:
    summary = build(simple())["summary"]
    assert summary.startswith("<p>Thu 17 Dec 2026, 18:00\u201320:00 EST (America/New_York)</p>")
    assert "<p>Where: Community Hall, Springfield</p>" in summary
    assert "<p>Peer support for partners and policy makers.</p>" in summary
    assert "<p>Open to all — RSVP on the event page: " in summary


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"joinMode": "free"}, f'Open to all — RSVP on the event page: <a href="{BASE}/items/x"'),
        ({"joinMode": "restricted"}, f'Registration required: <a href="{BASE}/items/x"'),
        (
            {
                "joinMode": "external",
                "externalParticipationUrl": "https://tickets.example.org/forum",
            },
            'Register at: <a href="https://tickets.example.org/forum"',
        ),
        ({"joinMode": "none"}, "<p>No registration needed</p>"),
        ({"joinMode": "invite"}, f'By invitation only: <a href="{BASE}/items/x"'),
    ],
)
def test_mastodon_summary_says_how_to_take_part(changes: dict[str, Any], line: str) -> None:
    assert line in build(simple(**changes), uid="x")["summary"]


def test_mastodon_summary_for_a_hybrid_event_gives_place_and_link() -> None:
    summary = build(forum())["summary"]
    assert "<p>Thu 15 Jan 2026, 18:30\u201320:00 GMT (Europe/London)</p>" in summary
    assert "<p>Repeats monthly on the third Thursday, 12 times</p>" in summary
    assert "<p>Where: Community Arts Centre, Manchester</p>" in summary
    assert '<p>Online: <a href="https://forum.example.org/live" rel="nofollow noopener">' in summary
    assert "<p>No registration needed</p>" in summary


def test_mastodon_summary_uses_only_tags_mastodon_keeps() -> None:
    for inp in (conference(), forum(), *sessions()):
        summary = build(inp, parent=CONFERENCE_PARENT)["summary"]
        assert set(re.findall(r"<(\w+)", summary)) <= {"p", "br", "a"}


def test_names_with_markup_are_escaped_in_every_text_we_write() -> None:
    inp = simple(name="Co-ops <script>alert(1)</script> & friends", summary=None)
    workshop = sessions()[1]
    doc = build(
        workshop, parent=ParentRef(f"{BASE}/items/p", "Tools & <b>tips</b>", f"{BASE}/items/p")
    )
    assert "With: Dev Patel &amp; the &lt;Policy&gt; Circle" in doc["summary"]
    assert (
        "Part of: <a" in doc["summary"]
        and "Tools &amp; &lt;b&gt;tips&lt;/b&gt;</a>" in doc["summary"]
    )
    # name is plain text in JSON (AS2, FEP-8a8e: no markup in name); it is never HTML.
    assert build(inp)["name"] == "Co-ops <script>alert(1)</script> & friends"
    cancelled = status_note(
        simple(name="Co-ops <script>alert(1)</script>", status="cancelled"),
        ident=f"{BASE}/items/n1",
        url=f"{BASE}/items/n1",
        event_id=f"{BASE}/items/x",
        event_url=f"{BASE}/items/x",
        actor_id=ACTOR,
        followers=FOLLOWERS,
        published=UPDATED,
    )
    assert "<script" not in cancelled["content"]
    assert "Co-ops &lt;script&gt;alert(1)&lt;/script&gt;" in cancelled["content"]


def test_an_author_summary_replaces_the_generated_one_but_not_the_status() -> None:
    written = build(simple(summary="Our December forum: bring a friend! https://forum.example.org"))
    assert written["summary"] == (
        '<p>Our December forum: bring a friend! <a href="https://forum.example.org" rel="nofollow noopener">'
        "https://forum.example.org</a></p>"
    )
    cancelled = build(simple(summary="Our <December> forum.", status="cancelled"))
    assert cancelled["summary"] == (
        "<p>Cancelled: this event will not take place.</p><p>Our &lt;December&gt; forum.</p>"
    )


def test_mastodon_media_the_image_comes_first_with_type_and_alt_text() -> None:
    doc = build(conference())
    media = [a for a in doc["attachment"] if "url" in a]
    assert len(media) <= 4  # Mastodon shows at most four
    first = doc["attachment"][0]
    assert first == {
        "type": "Document",
        "url": "https://nec.example.org/media/sset-2026-banner.png",
        "mediaType": "image/png",
        "name": "Poster: many hands holding a paper globe, with the words Strengthening the Solidarity Economy Together, 3 to 5 November 2026",
    }
    assert doc["image"] == first | {"type": "Image"}


def test_mastodon_hashtags() -> None:
    assert build(conference())["tag"] == [
        {"type": "Hashtag", "name": "#SolidarityEconomy", "href": f"{BASE}/tags/solidarityeconomy"},
        {"type": "Hashtag", "name": "#SSE2026", "href": f"{BASE}/tags/sse2026"},
        {"type": "Hashtag", "name": "#NEC", "href": f"{BASE}/tags/nec"},
    ]


def test_mastodon_public_addressing_and_timestamps() -> None:
    doc = build(conference())
    assert doc["to"] == [PUBLIC] and doc["cc"] == [FOLLOWERS]
    assert doc["attributedTo"] == ACTOR
    # Mastodon applies an Update of a converted type only when updated is newer.
    assert (doc["published"], doc["updated"]) == ("2026-09-01T12:00:00Z", "2026-09-02T08:30:00Z")
    assert doc["url"] == doc["id"] == f"{BASE}/items/sset-2026"


def test_mastodon_refuses_objects_on_another_host_so_we_never_build_them() -> None:
    with pytest.raises(ValueError, match="not on the host"):
        event_object(
            conference(),
            Publication(
                ident="https://elsewhere.example/items/1",
                url="https://elsewhere.example/items/1",
                actor_id=ACTOR,
                followers=FOLLOWERS,
                published=PUBLISHED,
                updated=UPDATED,
                tag_href=tag_href,
            ),
        )


def test_mastodon_reads_the_language_from_the_first_map_key() -> None:
    doc = build(conference())
    assert list(doc["nameMap"]) == ["en", "es"]
    assert doc["nameMap"]["en"] == doc["name"]
    assert list(doc["contentMap"]) == ["en"]
    assert doc["inLanguage"] == "en"
    assert "summaryMap" not in doc  # the generated summary is English only
    assert "nameMap" not in build(simple())  # no languages given: nothing to claim


# --------------------------------------------------------------------------- Mobilizon / FEP-8a8e


def test_mobilizon_key_names_on_the_conference() -> None:
    doc = build(conference(), participant_count=120)
    assert {
        "name", "content", "summary", "startTime", "endTime", "timezone", "location",
        "eventStatus", "status", "joinMode", "maximumAttendeeCapacity", "remainingAttendeeCapacity",
        "participantCount", "category", "isOnline", "tag", "image", "attachment", "inLanguage",
    } <= set(doc)  # fmt: skip
    assert doc["type"] == "Event"
    assert doc["joinMode"] == "restricted"
    assert (
        doc["maximumAttendeeCapacity"],
        doc["participantCount"],
        doc["remainingAttendeeCapacity"],
    ) == (800, 120, 680)
    assert doc["category"] == "NETWORKING"
    assert doc["timezone"] == "America/New_York"
    assert (doc["eventStatus"], doc["status"]) == ("EventScheduled", "CONFIRMED")


def test_mobilizon_times_are_rfc3339_with_the_zones_offset() -> None:
    doc = build(conference())
    assert doc["startTime"] == "2026-11-03T10:00:00-05:00"
    assert doc["endTime"] == "2026-11-05T17:00:00-05:00"
    assert RFC3339_OFFSET.match(doc["startTime"]) and RFC3339_OFFSET.match(doc["endTime"])
    assert datetime.fromisoformat(doc["startTime"]) == conference().start_time


def test_mobilizon_place_with_postal_address_and_float_coordinates() -> None:
    location = build(forum(), hybrid_location_list=False)["location"]
    assert location == {
        "type": "Place",
        "name": "Community Arts Centre",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "12 High Street",
            "postalCode": "M1 1AA",
            "addressLocality": "Manchester",
            "addressCountry": "GB",
        },
        "latitude": 53.4808,
        "longitude": -2.2426,
    }
    # Mobilizon keeps coordinates only when both are floats (is_float/1 in converter/address.ex).
    whole = build(simple(location={"name": "Hall", "latitude": 40, "longitude": -73}))["location"]
    assert isinstance(whole["latitude"], float) and json.dumps(whole["latitude"]) == "40.0"


def test_mobilizon_hybrid_location_is_one_place_and_the_link_is_the_website_attachment() -> None:
    doc = build(forum())
    # Mobilizon 5.1.3's get_address/1 has no clause for a list: a list would lose the event.
    assert isinstance(doc["location"], dict) and doc["location"]["type"] == "Place"
    assert {
        "type": "Link",
        "name": "Website",
        "href": "https://forum.example.org/live",
        "mediaType": "text/html",
    } in doc["attachment"]
    assert doc["isOnline"] is False  # Mobilizon's isOnline means "fully online"
    fep = build(forum(), hybrid_location_list=True)["location"]
    assert [entry["type"] for entry in fep] == ["Place", "VirtualLocation"]


def test_online_only_events_have_a_named_virtual_location() -> None:
    doc = build(conference(joinMode="free"))
    assert doc["location"] == {
        "type": "VirtualLocation",
        "name": "NEC virtual venue",
        "url": "https://venue.example.org/sset-2026",
    }
    assert doc["isOnline"] is True
    # Gancio treats a place named "online" as its online place, and refuses a nameless one.
    unnamed = build(simple(location={"url": "https://meet.example.org/forum"}))["location"]
    assert unnamed["name"] == "Online"


def test_every_place_has_a_name_for_gancio() -> None:
    doc = build(
        simple(
            location={"address": {"streetAddress": "12 High Street", "addressLocality": "Leeds"}}
        )
    )
    assert doc["location"]["name"] == "12 High Street"


@pytest.mark.parametrize(
    ("join_mode", "extra", "published_mode", "participation_url"),
    [
        ("free", {}, "free", None),
        ("restricted", {}, "restricted", None),
        ("invite", {}, "invite", None),
        ("external", {"externalParticipationUrl": "https://tickets.example.org/f"}, "external", "https://tickets.example.org/f"),
        # Mobilizon's enum refuses "none" (the whole event would be rejected): our page says
        # "no registration needed" and FEP-8a8e allows external for joins handled elsewhere.
        ("none", {}, "external", f"{BASE}/items/x"),
    ],
)  # fmt: skip
def test_mobilizon_join_modes(
    join_mode: str, extra: dict[str, Any], published_mode: str, participation_url: str | None
) -> None:
    doc = build(simple(joinMode=join_mode, **extra), uid="x")
    assert doc["joinMode"] == published_mode
    assert doc.get("externalParticipationUrl") == participation_url
    assert doc["joinMode"] in {"free", "restricted", "invite", "external"}


@pytest.mark.parametrize(
    ("status", "event_status", "ical", "first_line"),
    [
        ("scheduled", "EventScheduled", "CONFIRMED", "<p>Thu 17 Dec"),
        ("tentative", "EventTentative", "TENTATIVE", "<p>To be confirmed: the date may still change.</p>"),
        ("cancelled", "EventCancelled", "CANCELLED", "<p>Cancelled: this event will not take place.</p>"),
        ("postponed", "EventPostponed", "TENTATIVE", "<p>Postponed: it will not take place on the date below"),
        ("rescheduled", "EventRescheduled", "CONFIRMED", "<p>Rescheduled: note the new date.</p>"),
    ],
)  # fmt: skip
def test_status_in_both_vocabularies_and_first_in_the_summary(
    status: str, event_status: str, ical: str, first_line: str
) -> None:
    doc = build(simple(status=status))
    assert (doc["eventStatus"], doc["status"]) == (event_status, ical)
    assert doc["summary"].startswith(first_line)
    if status in ("cancelled", "postponed"):
        assert "RSVP" not in doc["summary"]  # no point asking people to come
    if status == "postponed":
        assert (
            "<p>Was planned for: Thu 17 Dec 2026, 18:00\u201320:00 EST (America/New_York)</p>"
            in doc["summary"]
        )


def test_an_event_moved_online_drops_the_place() -> None:
    doc = build(
        simple(status="movedOnline", location={"name": "Hall", "url": "https://meet.example.org/f"})
    )
    assert (doc["eventStatus"], doc["status"], doc["isOnline"]) == (
        "EventMovedOnline",
        "CONFIRMED",
        True,
    )
    assert doc["location"]["type"] == "VirtualLocation"
    assert "Where:" not in doc["summary"] and "Online: <a" in doc["summary"]


def test_mobilizon_accessibility_metadata_and_gancio_safe_attachments() -> None:
    doc = build(sessions()[0])
    values = {
        a["propertyID"]: a["value"] for a in doc["attachment"] if a["type"] == "PropertyValue"
    }
    # Mobilizon's keys (src/services/EventMetadata.ts); as_to_metadata needs propertyID and value.
    assert values == {
        "mz:accessibility:live:subtitle": True,
        "mz:accessibility:live:sign_language": True,
    }
    # Gancio 1.21 evaluates a.mediaType.includes('image') on every attachment.
    assert all("mediaType" in a for a in doc["attachment"])
    wheel = build(simple(accessibility={"wheelchair": "fully"}))
    assert {
        "type": "PropertyValue",
        "propertyID": "mz:accessibility:wheelchairAccessible",
        "value": "fully",
        "mediaType": "text/plain",
    } in wheel["attachment"]
    assert "<p>Accessibility: wheelchair accessible</p>" in wheel["summary"]


def test_attachment_is_always_a_list() -> None:
    # Gancio's Update handler reads attachment.length without checking.
    assert build(simple())["attachment"] == []


def test_no_content_key_without_a_description() -> None:
    doc = build(simple(content=None))
    assert "content" not in doc and "contentMap" not in doc


# --------------------------------------------------------------------------- sessions


def test_sessions_point_at_the_conference_and_name_track_speakers_room() -> None:
    keynote = build(sessions(joinMode="free")[0], uid="keynote", parent=CONFERENCE_PARENT)
    assert keynote["superEvent"] == CONFERENCE_PARENT.id
    assert "context" not in keynote and "partOf" not in keynote
    assert keynote["track"] == "Innovation in Action"
    assert keynote["speakers"] == [
        {"type": "Person", "name": "Aisha Thompson", "url": "https://coop.example.net/@aisha"},
        {"type": "Person", "name": "Marisol Vega"},
    ]
    assert keynote["room"] == {
        "type": "Link",
        "href": "https://venue.example.org/sset-2026/plenary",
        "name": "Plenary hall",
    }
    summary = keynote["summary"]
    assert "<p>Tue 3 Nov 2026, 10:30\u201311:30 EST (America/New_York)</p>" in summary
    assert (
        f'<p>Part of: <a href="{BASE}/items/sset-2026" rel="nofollow noopener">Strengthening the Solidarity Economy Together</a> · Track: Innovation in Action</p>'
        in summary
    )
    assert (
        '<p>With: <a href="https://coop.example.net/@aisha" rel="nofollow noopener">Aisha Thompson</a>, Marisol Vega</p>'
        in summary
    )
    assert (
        '<p>Room: <a href="https://venue.example.org/sset-2026/plenary" rel="nofollow noopener">Plenary hall</a></p>'
        in summary
    )
    assert "<p>Accessibility: live captioning; sign language interpretation</p>" in summary


def test_an_approval_only_event_keeps_its_online_link_and_rooms_out_of_the_object() -> None:
    """The link is for approved participants (their registration page, the Accept's follow-up):
    the public object, its summary and a status note point at the event's page instead."""
    conf = build(conference())
    keynote = build(sessions()[0], uid="keynote", parent=CONFERENCE_PARENT)
    moved = status_note(
        conference(status="movedOnline"),
        ident=f"{BASE}/items/note-1",
        url=f"{BASE}/items/note-1",
        event_id=f"{BASE}/items/sset-2026",
        event_url=f"{BASE}/items/sset-2026",
        actor_id=ACTOR,
        followers=FOLLOWERS,
        published=PUBLISHED,
    )
    for doc in (conf, keynote, moved):
        assert "venue.example.org" not in json.dumps(doc)
    assert conf["location"]["url"] == f"{BASE}/items/sset-2026"
    assert conf["isOnline"] is True
    assert keynote["room"] == {
        "type": "Link",
        "href": f"{BASE}/items/keynote",
        "name": "Plenary hall",
    }
    # A free event's link stays public: everyone may come.
    assert "venue.example.org" in json.dumps(build(conference(joinMode="free")))


def test_a_session_without_a_room_name_shows_its_link() -> None:
    coffee = build(sessions()[2], uid="coffee", parent=CONFERENCE_PARENT)
    assert coffee["room"]["name"] == "https://venue.example.org/sset-2026/coffee"
    assert coffee["joinMode"] == "external" and "<p>No registration needed</p>" in coffee["summary"]


# --------------------------------------------------------------------------- series and DST


def local_times(inp: EventInput) -> list[str]:
    return [build(o)["startTime"] for o in expand_series(inp)]


def test_forum_series_third_thursdays_across_the_british_summer_time_changes() -> None:
    starts = local_times(forum())
    assert starts == [
        "2026-01-15T18:30:00+00:00",
        "2026-02-19T18:30:00+00:00",
        "2026-03-19T18:30:00+00:00",  # before the change on 29 March
        "2026-04-16T18:30:00+01:00",
        "2026-05-21T18:30:00+01:00",
        "2026-06-18T18:30:00+01:00",
        "2026-07-16T18:30:00+01:00",
        "2026-08-20T18:30:00+01:00",
        "2026-09-17T18:30:00+01:00",
        "2026-10-15T18:30:00+01:00",
        "2026-11-19T18:30:00+00:00",  # after the change on 25 October
        "2026-12-17T18:30:00+00:00",
    ]


def test_a_new_york_series_keeps_six_pm_across_march_and_november() -> None:
    inp = simple(
        startTime="2026-02-19T18:00:00",
        endTime="2026-02-19T20:00:00",
        recurrence={"frequency": "monthly", "byDay": "3TH", "until": "2026-12-31"},
    )
    series = expand_series(inp)
    assert len(series) == 11
    utc_hours = {o.start_time.date().isoformat(): o.start_time.hour for o in series}
    assert utc_hours["2026-02-19"] == 23  # EST
    assert utc_hours["2026-03-19"] == 22  # EDT since 8 March
    assert utc_hours["2026-10-15"] == 22
    assert utc_hours["2026-11-19"] == 23  # EST since 1 November
    assert all(o.end_time - o.start_time == timedelta(hours=2) for o in series)
    summaries = [build(o)["summary"] for o in series]
    assert "<p>Thu 19 Mar 2026, 18:00\u201320:00 EDT (America/New_York)</p>" in summaries[1]
    assert "<p>Thu 19 Nov 2026, 18:00\u201320:00 EST (America/New_York)</p>" in summaries[9]
    assert "<p>Repeats monthly on the third Thursday, until Thu 31 Dec 2026</p>" in summaries[0]


def test_a_wall_time_skipped_by_the_march_change_moves_forward_as_rfc_5545_says() -> None:
    rule = Recurrence("weekly", count=3)
    start = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)  # Sunday 02:30 EST
    got = occurrences(rule, start, start + timedelta(hours=1), "America/New_York")
    local = [
        o.start.astimezone(ZoneInfo("America/New_York")).strftime("%m-%d %H:%M %Z") for o in got
    ]
    assert local == ["03-01 02:30 EST", "03-08 03:30 EDT", "03-15 02:30 EDT"]


def test_a_multi_day_event_over_the_november_change_names_both_abbreviations() -> None:
    inp = simple(startTime="2026-10-31T09:00:00", endTime="2026-11-02T17:00:00")
    assert build(inp)["summary"].startswith(
        "<p>Sat 31 Oct 2026, 09:00 EDT \u2013 Mon 2 Nov 2026, 17:00 EST (America/New_York)</p>"
    )
    assert (build(inp)["startTime"], build(inp)["endTime"]) == (
        "2026-10-31T09:00:00-04:00",
        "2026-11-02T17:00:00-05:00",
    )


def test_fixed_offset_zones_are_spelled_out() -> None:
    inp = validate_event(
        {
            "name": "Evening call",
            "startTime": "2026-12-17T18:00:00-05:00",
            "endTime": "2026-12-17T19:00:00-05:00",
        }
    )
    doc = build(inp)
    assert doc["timezone"] == "Etc/GMT+5"
    assert doc["summary"].startswith("<p>Thu 17 Dec 2026, 18:00\u201319:00 UTC-05:00</p>")


def test_monthly_on_the_31st_skips_short_months_and_weekly_by_days() -> None:
    rule = Recurrence("monthly", count=4)
    start = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
    got = [
        o.start.date().isoformat()
        for o in occurrences(rule, start, start + timedelta(hours=1), "UTC")
    ]
    assert got == ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31"]
    weekly = validate_event(
        {
            "name": "Co-op clinic",
            "startTime": "2026-12-01T12:00:00",
            "endTime": "2026-12-01T13:00:00",
            "timezone": "America/Chicago",
            "recurrence": {"frequency": "weekly", "interval": 2, "byDay": "TU,TH", "count": 5},
        }
    )
    dates = [
        o.start_time.astimezone(ZoneInfo("America/Chicago")).date().isoformat()
        for o in expand_series(weekly)
    ]
    assert dates == ["2026-12-01", "2026-12-03", "2026-12-15", "2026-12-17", "2026-12-29"]


def test_rrule_for_icalendar() -> None:
    series = forum().recurrence
    assert series is not None
    assert rrule(series) == "FREQ=MONTHLY;BYDAY=3TH;COUNT=12"
    weekly = Recurrence("weekly", 2, (), None, datetime(2027, 1, 1, 4, 59, 59, tzinfo=UTC))
    assert rrule(weekly) == "FREQ=WEEKLY;INTERVAL=2;WKST=MO;UNTIL=20270101T045959Z"


def test_an_event_without_recurrence_expands_to_itself() -> None:
    inp = simple()
    assert expand_series(inp) == [inp]


# --------------------------------------------------------------------------- status note


def test_a_cancellation_is_also_a_note_replying_to_the_event() -> None:
    inp = simple(status="cancelled", languages=["en"])
    note = status_note(
        inp,
        ident=f"{BASE}/items/n1",
        url=f"{BASE}/items/n1",
        event_id=f"{BASE}/items/forum-dec",
        event_url=f"{BASE}/items/forum-dec",
        actor_id=ACTOR,
        followers=FOLLOWERS,
        published=UPDATED,
    )
    assert note["type"] == "Note" and note["inReplyTo"] == f"{BASE}/items/forum-dec"
    assert note["to"] == [PUBLIC] and note["cc"] == [FOLLOWERS]
    assert note["content"] == (
        "<p>Cancelled: Monthly peer support forum (Thu 17 Dec 2026, 18:00\u201320:00 EST (America/New_York)) "
        "will not take place.</p>"
        f'<p>Details: <a href="{BASE}/items/forum-dec" rel="nofollow noopener">{BASE}/items/forum-dec</a></p>'
    )
    assert note["contentMap"] == {"en": note["content"]}
    assert "summary" not in note  # a Note's summary is a content warning


@pytest.mark.parametrize(
    ("status", "start"),
    [
        ("postponed", "<p>Postponed: Monthly peer support forum, planned for Thu 17 Dec 2026"),
        ("rescheduled", "<p>New date: Monthly peer support forum now takes place Thu 17 Dec 2026"),
        ("tentative", "<p>To be confirmed: Monthly peer support forum"),
        ("scheduled", "<p>Confirmed: Monthly peer support forum takes place Thu 17 Dec 2026"),
    ],
)
def test_status_note_texts(status: str, start: str) -> None:
    note = status_note(
        simple(status=status),
        ident=f"{BASE}/items/n",
        url=f"{BASE}/items/n",
        event_id=f"{BASE}/items/e",
        event_url=f"{BASE}/items/e",
        actor_id=ACTOR,
        followers=FOLLOWERS,
        published=UPDATED,
    )
    assert note["content"].startswith(start)


def test_moved_online_note_gives_the_link() -> None:
    note = status_note(
        simple(status="movedOnline", location={"url": "https://meet.example.org/f"}),
        ident=f"{BASE}/items/n",
        url=f"{BASE}/items/n",
        event_id=f"{BASE}/items/e",
        event_url=f"{BASE}/items/e",
        actor_id=ACTOR,
        followers=FOLLOWERS,
        published=UPDATED,
    )
    assert 'now takes place online: <a href="https://meet.example.org/f"' in note["content"]


# --------------------------------------------------------------------------- JSON-LD


def undefined_terms(expanded: Any) -> list[str]:
    """Predicates and types that expanded to blank nodes: terms the context does not define."""
    found: list[str] = []
    stack = [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("_:"):
                    found.append(key)
                if key == "@type":
                    found += [
                        t
                        for t in (item if isinstance(item, list) else [item])
                        if str(t).startswith("_:")
                    ]
                stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)
    return found


def test_every_term_we_emit_is_defined_so_ld_signatures_cover_it() -> None:
    # The AS context maps unknown terms to blank nodes (@vocab "_:"); URDNA2015 drops those, so
    # an undefined term would be outside RsaSignature2017 and free to tamper with.
    docs = [
        build(conference(), participant_count=3),
        build(forum(), hybrid_location_list=True),
        build(sessions()[0], parent=CONFERENCE_PARENT),
        build(sessions()[1], parent=CONFERENCE_PARENT),
        build(
            simple(
                status="movedOnline",
                location={"url": "https://meet.example.org/f"},
                accessibility={"wheelchair": "no"},
            )
        ),
    ]
    for doc in docs:
        assert undefined_terms(jsonld.expand(doc)) == []
        assert jsonld.canonize(doc)
    expanded = json.dumps(jsonld.expand(docs[2]))
    assert "http://schema.org#superEvent" in expanded
    assert "https://w3id.org/fep/8a8e/EventScheduled" in expanded
    assert "https://joinmobilizon.org/ns#joinMode" in expanded
