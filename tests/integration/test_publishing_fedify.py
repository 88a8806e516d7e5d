"""Publishing, told with real processes: an organization's node and the independent Fedify peer.

The peer follows the organization; the organization publishes an event, a call and a news item
through the JSON API; each arrives at the peer signed (and verified), as JSON that follows the
rules Mastodon and Mobilizon read by (interop.md), field by field. The peer joins an event with
room for one: its Join is accepted; a second person's Join is rejected. A cancellation arrives as
an Update and as a reply Note.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from node.activitypub import jsonld
from node.activitypub.vocab import (
    AS_CONTEXT,
    DATA_INTEGRITY_CONTEXT,
    MULTIKEY_CONTEXT,
    PUBLIC,
    SECURITY_CONTEXT,
)
from tests.db.publishing_support import fixture, future
from tests.harness.fixtures import PeerFactory
from tests.harness.nodes import NodeFactory
from tests.integration.fedify_support import api_patch, api_post, nec_followed_by_alice
from tests.unit.test_content_events import undefined_terms

SIGNATURE_CONTEXTS = frozenset(
    {
        AS_CONTEXT,
        SECURITY_CONTEXT,
        DATA_INTEGRITY_CONTEXT,
        "https://w3id.org/security/data-integrity/v2",
        MULTIKEY_CONTEXT,
        "https://w3id.org/identity/v1",
    }
)
RFC3339_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def assert_mastodon_accepts(activity: dict[str, Any], org: str) -> dict[str, Any]:
    """What Mastodon checks before it shows a Create or Update from a followed account."""
    obj = activity["object"]
    context = activity["@context"]
    contexts = context if isinstance(context, list) else [context]
    assert AS_CONTEXT in contexts
    # ActivityStreams, inline terms, and the signature contexts every peer bundles: Mastodon
    # fetches any other context URL and drops signed activities when that fails.
    assert all(isinstance(c, dict) or c in SIGNATURE_CONTEXTS for c in contexts), contexts
    assert activity["actor"] == org == obj["attributedTo"]
    assert obj["id"].split("/")[2] == org.split("/")[2]  # the object on the actor's host
    assert PUBLIC in obj["to"] and f"{org}/followers" in obj["cc"]
    assert activity["to"] == obj["to"]
    assert obj["published"].endswith("Z") and obj["updated"].endswith("Z")
    # Every term is defined, so an LD signature covers it (no blank-node predicates); the
    # signature and proof themselves are outside what they sign.
    signed = {k: v for k, v in activity.items() if k not in ("signature", "proof")}
    assert undefined_terms(jsonld.expand(signed)) == []
    return dict(obj)


def assert_event_for_mastodon_and_mobilizon(obj: dict[str, Any], org: str) -> None:
    assert obj["type"] == "Event"
    assert obj["name"] == "Strengthening the Solidarity Economy Together"
    # Mastodon shows only name + summary: when (with the zone), where, what, how to take part.
    summary = obj["summary"]
    assert summary.startswith(
        "<p>Wed 3 Nov 2027, 10:00 \u2013 Fri 5 Nov 2027, 17:00 EDT (America/New_York)</p>"
    )
    # Approval-only: the online link is for approved participants; the post links the page.
    assert f'<p>Online: <a href="{obj["url"]}"' in summary
    assert "venue.example.org" not in json.dumps(obj)
    assert f'Registration required: <a href="{obj["url"]}"' in summary
    assert "<p>Accessibility: live captioning; interpretation into Spanish and French" in summary
    assert obj["attachment"][0] == {
        "type": "Document",
        "url": "https://nec.example.org/media/sset-2026-banner.png",
        "mediaType": "image/png",
        "name": obj["image"]["name"],
    }
    assert all("mediaType" in a for a in obj["attachment"])  # Gancio reads it on every one
    assert {t["name"] for t in obj["tag"]} == {"#SolidarityEconomy", "#SSE2026", "#NEC"}
    assert all(
        t["type"] == "Hashtag" and t["href"].startswith(org.split("/actors")[0]) for t in obj["tag"]
    )
    assert list(obj["nameMap"]) == ["en", "es"]  # Mastodon takes the language from the first key
    # Mobilizon's key names and values.
    assert (obj["startTime"], obj["endTime"]) == (
        "2027-11-03T10:00:00-04:00",
        "2027-11-05T17:00:00-04:00",
    )
    assert RFC3339_OFFSET.match(obj["startTime"]) and obj["timezone"] == "America/New_York"
    assert obj["location"] == {
        "type": "VirtualLocation",
        "name": "NEC virtual venue",
        "url": obj["url"],
    }
    assert obj["isOnline"] is True
    assert (obj["eventStatus"], obj["status"]) == ("EventScheduled", "CONFIRMED")
    assert (obj["joinMode"], obj["maximumAttendeeCapacity"], obj["participantCount"]) == (
        "restricted",
        800,
        0,
    )
    assert obj["category"] == "NETWORKING"
    assert obj["content"].startswith("<p>A three-day virtual conference")


def assert_call_as_a_note(obj: dict[str, Any]) -> None:
    assert obj["type"] == "Note" and "summary" not in obj  # a summary would be a content warning
    content = obj["content"]
    assert content.startswith(
        "<p>Group purchasing of insurance and renewable energy for worker co-ops</p>"
    )
    assert "<p>We need: Cooperatives to join a group purchase" in content
    assert "<p>Until: Fri 15 Jan 2027</p>" in content
    assert f'or use the form: <a href="{obj["url"]}"' in content
    assert obj["purpose"] == "request"
    assert obj["publishes"]["action"] == "transfer"
    assert obj["publishes"]["resourceQuantity"] == {"hasUnit": "one", "hasNumericalValue": "25"}


def assert_news_as_an_article(obj: dict[str, Any]) -> None:
    assert obj["type"] == "Article"
    assert obj["summary"].startswith("<p>Announcement</p><p>We are looking for stories")
    assert "<strong>stories, case studies and tools</strong>" in obj["content"]
    assert obj["kind"] == "announcement"
    assert obj["attachment"][0]["name"].startswith("A circle of chairs")


@pytest.mark.peer
@pytest.mark.integration
def test_each_kind_published_through_the_api_reaches_a_follower_signed_and_readable(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    story = nec_followed_by_alice(node_factory, fedify_peer_factory)
    node, peer, org, token = story.node, story.peer, story.org, story.token

    event = api_post(
        node, token, "/api/v1/events", future(fixture("conference.json")["conference"])
    )
    call = api_post(node, token, "/api/v1/calls", fixture("call_group_purchasing.json"))
    news = api_post(node, token, "/api/v1/news", fixture("news_share_stories.json"))

    creates = peer.wait_for_inbox("Create", min=3, timeout=30)
    by_object = {c["activity"]["object"]["id"]: c for c in creates}
    assert set(by_object) == {event["id"], call["id"], news["id"]}
    for entry in creates:
        assert entry["httpSignatureVerified"] is True, entry
        assert entry["signerKeyId"] == f"{org}#main-key"
        assert entry["fedify"]["activityVerified"] is True
        assert entry["status"] == 202
    assert_event_for_mastodon_and_mobilizon(
        assert_mastodon_accepts(by_object[event["id"]]["activity"], org), org
    )
    assert_call_as_a_note(assert_mastodon_accepts(by_object[call["id"]]["activity"], org))
    assert_news_as_an_article(assert_mastodon_accepts(by_object[news["id"]]["activity"], org))
    # What arrived is what the id serves (Mastodon re-fetches by id).
    assert (
        node.get_json(event["id"])["summary"]
        == by_object[event["id"]]["activity"]["object"]["summary"]
    )

    # Cancelled: an Update with a newer `updated`, and a Note replying to the event.
    api_patch(node, token, event["api"], {"status": "cancelled"})
    [update] = peer.wait_for_inbox("Update", timeout=30)
    assert update["httpSignatureVerified"] is True
    changed = assert_mastodon_accepts(update["activity"], org)
    assert changed["eventStatus"] == "EventCancelled" and changed["status"] == "CANCELLED"
    assert changed["summary"].startswith("<p>Cancelled: this event will not take place.</p>")
    assert datetime.fromisoformat(changed["updated"]) > datetime.fromisoformat(
        by_object[event["id"]]["activity"]["object"]["updated"]
    )
    notes = peer.wait_for_inbox("Create", min=4, timeout=30)
    [note] = [
        n["activity"]["object"]
        for n in notes
        if n["activity"]["object"]["type"] == "Note" and "inReplyTo" in n["activity"]["object"]
    ]
    assert note["inReplyTo"] == event["id"]
    assert note["content"].startswith("<p>Cancelled: Strengthening the Solidarity Economy Together")


@pytest.mark.peer
@pytest.mark.integration
def test_a_join_from_the_fediverse_is_accepted_counted_and_one_beyond_capacity_rejected(
    node_factory: NodeFactory, fedify_peer_factory: PeerFactory
) -> None:
    node = node_factory()
    node.cli("org", "create", "sjn", "--name", "Social Justice Network")
    token = node.cli("token", "create", "sjn").stdout.strip()
    node.start()
    peer = fedify_peer_factory(["alice", "bob"])
    org = node.actor_url("sjn")
    peer.follow(org, as_="alice")
    peer.wait_for_inbox("Accept", timeout=20)

    body = future(fixture("forum_series.json")) | {
        "recurrence": None,
        "joinMode": "free",
        "maximumAttendeeCapacity": 1,
    }
    event = api_post(node, token, "/api/v1/events", body)
    peer.wait_for_inbox("Create", timeout=30)

    alice, bob = peer.actor_id("alice"), peer.actor_id("bob")
    peer.send({"type": "Join", "actor": alice, "object": event["id"]}, to=[org], as_="alice")
    accepts = peer.wait_for_inbox("Accept", min=2, timeout=30)  # the Follow's, then the Join's
    join_accept = next(a for a in accepts if a["activity"]["object"].get("type") == "Join")
    assert join_accept["httpSignatureVerified"] is True
    assert join_accept["recipient"] in ("alice", None)
    assert join_accept["activity"]["actor"] == org
    assert join_accept["activity"]["object"]["actor"] == alice
    assert join_accept["activity"]["object"]["object"] == event["id"]
    counted = node.get_json(event["id"])
    assert (counted["participantCount"], counted["remainingAttendeeCapacity"]) == (1, 0)

    peer.send({"type": "Join", "actor": bob, "object": event["id"]}, to=[org], as_="bob")
    [reject] = peer.wait_for_inbox("Reject", timeout=30)
    assert reject["httpSignatureVerified"] is True
    assert reject["activity"]["object"]["actor"] == bob
    assert node.get_json(event["id"])["participantCount"] == 1
