"""The demo's events, calls and news, drawn from the documents of the people this serves (see
tests/fixtures/content/README.md): the New Economy Coalition's three-day virtual conference
"Strengthening the Solidarity Economy Together" with its four tracks, the Social Justice
Network's monthly peer-support forum, the U.S. Solidarity Economy Network's call for group
purchasing, and the request for stories, case studies and tools.

Dates are set relative to the day the demo is loaded, so its events are always ahead. Every
URL is invented (``*.example.org``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from node.content.fields import nth_weekday
from node.db import now_utc
from node.features.publishing import service
from node.federation.context import NodeContext
from node.models import LocalActor

VENUE = "https://venue.example.org/sset"
TRACKS = (
    "Innovation in Action",
    "Policy and Advocacy",
    "Building Inclusive Communities",
    "Sustainable Futures",
)


def _conference(first: date) -> dict[str, Any]:
    last = first + timedelta(days=2)
    return {
        "name": "Strengthening the Solidarity Economy Together",
        "nameMap": {"es": "Fortaleciendo juntos la economía solidaria"},
        "languages": ["en", "es"],
        "content": (
            "A three-day virtual conference of the NEC network and the broader solidarity "
            "economy movement, to share knowledge, foster collaboration and drive collective "
            "action towards a more equitable and sustainable economic system.\n\nFour tracks:\n\n"
            "- **Innovation in Action**: successful models and practices from within the "
            "solidarity economy\n"
            "- **Policy and Advocacy**: strategies for policy change at local, regional and "
            "national levels\n"
            "- **Building Inclusive Communities**: intersectionality within the solidarity "
            "economy\n"
            "- **Sustainable Futures**: climate change and environmental justice through "
            "solidarity economy principles\n\n"
            "Keynotes, panel discussions, interactive workshops, structured networking sessions "
            "and virtual coffee breaks."
        ),
        "startTime": f"{first.isoformat()}T10:00:00",
        "endTime": f"{last.isoformat()}T17:00:00",
        "timezone": "America/New_York",
        "location": {"name": "NEC virtual venue", "url": VENUE},
        "joinMode": "restricted",
        "maximumAttendeeCapacity": 800,
        "category": "NETWORKING",
        "tags": ["SolidarityEconomy", "NEC"],
        "accessibility": {
            "captioning": True,
            "interpretation": ["es", "fr"],
            "notes": "Live captions in every session; ask for other languages when you register.",
        },
    }


def _sessions(first: date) -> list[dict[str, Any]]:
    plan = [
        (0, "10:30", "11:30", TRACKS[0], "Opening keynote: from fragments to a movement",
         "Why connect a diverse array of individuals, organizations, businesses and projects? "
         "The opening keynote sets the scene for three days of work together.", "plenary"),
        (0, "13:00", "14:30", TRACKS[3], "Panel: climate justice through solidarity economy principles",
         "Practitioners on community energy, land trusts and just transition.", "room-1"),
        (1, "13:00", "14:30", TRACKS[1], "Workshop: winning local policy for worker co-ops",
         "A skill-building workshop on strategies for policy change at the local level. "
         "Bring a policy you are working on.", "room-2"),
        (2, "12:00", "12:45", TRACKS[2], "Networking: virtual coffee break by track",
         "Structured networking in topic-based discussion rooms.", "coffee"),
    ]  # fmt: skip
    sessions = []
    for offset, start, end, track, name, content, room in plan:
        day = (first + timedelta(days=offset)).isoformat()
        sessions.append(
            {
                "name": name,
                "content": content,
                "startTime": f"{day}T{start}:00",
                "endTime": f"{day}T{end}:00",
                "timezone": "America/New_York",
                "location": {"url": f"{VENUE}/{room}"},
                "joinMode": "restricted",
                "category": "WORKSHOPS_SKILL_SHARING" if "Workshop" in name else "LEARNING",
                "track": track,
                "room": {"name": room.replace("-", " ").capitalize(), "url": f"{VENUE}/{room}"},
                "accessibility": {"captioning": True},
            }
        )
    return sessions


def _forum(first: date) -> dict[str, Any]:
    return {
        "name": "Monthly peer support forum: building social justice together",
        "content": (
            "A monthly peer support forum for partners and policy makers. Each forum explores a "
            "creative challenge based on a key question related to social justice, with plenty "
            "of time for networking and peer support, so that people can get feedback on their "
            "projects and find people to work with.\n\nThere is no joining form or registration "
            "fee: just come along."
        ),
        "startTime": f"{first.isoformat()}T18:30:00",
        "endTime": f"{first.isoformat()}T20:00:00",
        "timezone": "Europe/London",
        "location": {
            "name": "Community Arts Centre",
            "address": {
                "streetAddress": "12 High Street",
                "postalCode": "M1 1AA",
                "addressLocality": "Manchester",
                "addressCountry": "GB",
            },
            "latitude": 53.4808,
            "longitude": -2.2426,
            "url": "https://forum.example.org/live",
        },
        "joinMode": "none",
        "category": "MEETING",
        "tags": ["SocialJustice", "PeerSupport"],
        "languages": ["en"],
        "recurrence": {"frequency": "monthly", "byDay": "3TH", "count": 12},
    }


def _call(deadline: date) -> dict[str, Any]:
    return {
        "name": "Group purchasing of insurance, energy and supplies for worker co-ops",
        "content": (
            "Insurance and energy costs weigh hardest on small cooperatives. Together we can "
            "negotiate fair prices: the network coordinates a group purchase of **liability "
            "insurance**, **community renewable energy** and shared supplies for its members."
            "\n\nTell us your current contracts and renewal dates; we share the results with "
            "every participant."
        ),
        "purpose": "request",
        "action": "transfer",
        "resource": "Cooperatives to join a group purchase of insurance, energy and supplies",
        "quantity": {"value": 25, "unit": "one"},
        "region": "United States",
        "deadline": deadline.isoformat(),
        "timezone": "America/New_York",
        "tags": ["GroupPurchasing", "SolidarityEconomy"],
        "languages": ["en"],
    }


NEWS = {
    "name": "Share your stories, case studies and tools",
    "kind": "announcement",
    "summary": (
        "We are looking for stories, case studies and tools: anything that works for you and "
        "may work for others."
    ),
    "content": (
        "The forums and people's responses to them are shared online, so that people can use "
        "them to inspire their own work, wherever they live.\n\nWe are particularly looking for "
        "**stories, case studies and tools**: anything that works for you and may work for "
        "others. Some of the questions we are exploring:\n\n"
        "- How can we develop creative solutions to social problems?\n"
        "- How can we build more capable communities?\n"
        "- How can public spaces build social justice?\n"
        "- How can we enable others to learn from our experience?"
    ),
    "tags": ["SocialJustice", "CaseStudies"],
    "languages": ["en"],
}


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _third_thursday_after(day: date) -> date:
    year, month = day.year, day.month
    while True:
        found = nth_weekday(year, month, 3, 3)
        if found is not None and found > day:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def publish_demo_items(
    session: Session, node: NodeContext, actors: dict[str, LocalActor]
) -> Iterator[str]:
    """Publish the demo items as ``nec``, ``sjn`` and ``ussen``; yields progress lines."""
    today = now_utc().date()
    first_day = _next_weekday(today + timedelta(days=42), 1)  # a Tuesday six weeks ahead
    nec, sjn, network = actors["nec"], actors["sjn"], actors["ussen"]
    conference = service.create_item(session, node, nec, "event", _conference(first_day))
    yield f"Event     {conference.item.ap_id}  (virtual conference, 4 tracks)"
    for source in _sessions(first_day):
        service.create_item(session, node, nec, "event", source | {"parent": conference.item.ap_id})
    yield f"          with {len(_sessions(first_day))} sessions"
    forum = service.create_series(session, node, sjn, _forum(_third_thursday_after(today)))
    yield f"Series    {forum.published[0].item.ap_id}  (monthly forum, {service.AHEAD} dates ahead)"
    call = service.create_item(session, node, network, "call", _call(today + timedelta(days=60)))
    yield f"Call      {call.item.ap_id}  (group purchasing)"
    news = service.create_item(session, node, sjn, "news", NEWS)
    yield f"News      {news.item.ap_id}  (stories, case studies and tools)"
