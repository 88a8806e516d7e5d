"""Calls for collaboration: a Note that Mastodon shows in full, carrying FEP-0837 Proposal data
(purpose, publishes an Intent with a ValueFlows action and a quantity), on the demo call for group
purchasing of insurance and energy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from node.activitypub import jsonld
from node.activitypub.vocab import AS_CONTEXT, PUBLIC
from node.content.calls import call_object
from node.content.envelope import Publication
from node.content.fields import CallInput, validate_call
from tests.unit.test_content_events import undefined_terms

FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "content" / "call_group_purchasing.json"
)
BASE = "https://ussen.example.org"
ACTOR = f"{BASE}/actors/ussen"
IDENT = f"{BASE}/items/group-purchasing"


def tag_href(tag: str) -> str:
    return f"{BASE}/tags/{tag.lower()}"


def the_call(**changes: Any) -> CallInput:
    data = json.loads(FIXTURE.read_text())
    data.update(changes)
    return validate_call({k: v for k, v in data.items() if v is not None})


def build(inp: CallInput) -> dict[str, Any]:
    return call_object(
        inp,
        Publication(
            ident=IDENT,
            url=IDENT,
            actor_id=ACTOR,
            followers=f"{ACTOR}/followers",
            published=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
            updated=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
            tag_href=tag_href,
        ),
    )


def test_a_call_is_a_note_so_mastodon_shows_all_of_it() -> None:
    doc = build(the_call())
    assert doc["type"] == "Note"
    assert "summary" not in doc  # Mastodon shows a Note's summary as a content warning
    assert doc["to"] == [PUBLIC] and doc["cc"] == [f"{ACTOR}/followers"]
    assert doc["@context"][0] == AS_CONTEXT and all(
        isinstance(c, dict) for c in doc["@context"][1:]
    )


def test_the_content_says_need_what_where_until_when_and_where_to_answer() -> None:
    content = build(the_call())["content"]
    paragraphs = re.findall(r"<p>(.*?)</p>", content, re.S)
    assert paragraphs[:4] == [
        "Group purchasing of insurance and renewable energy for worker co-ops",
        "We need: Cooperatives to join a group purchase of liability insurance and renewable energy (amount: 25)",
        "Where: New England",
        "Until: Fri 15 Jan 2027",
    ]
    assert "<strong>liability insurance</strong>" in content
    assert (
        "<p>Reply to this post to answer, or use the form: "
        f'<a href="{IDENT}" rel="nofollow noopener">{IDENT}</a></p>'
    ) in content
    # Mastodon only links hashtags that appear in the content.
    assert (
        f'<a href="{BASE}/tags/grouppurchasing" class="mention hashtag" rel="tag">#<span>GroupPurchasing</span></a>'
        in content
    )


def test_an_offer_says_we_offer_and_counts_what_is_available() -> None:
    offer = build(
        the_call(
            purpose="offer",
            resource="Bookkeeping for small co-ops",
            action="deliverService",
            quantity={"value": 40, "unit": "hour"},
        )
    )
    assert "<p>We offer: Bookkeeping for small co-ops (amount: 40 hour)</p>" in offer["content"]
    assert offer["publishes"]["availableQuantity"] == {"hasUnit": "hour", "hasNumericalValue": "40"}


def test_fep_0837_proposal_data() -> None:
    doc = build(the_call(resourceConformsTo="https://www.wikidata.org/wiki/Q43183"))
    assert doc["purpose"] == "request"
    assert doc["unitBased"] is False
    assert doc["publishes"] == {
        "id": f"{IDENT}#primary",  # the fragment FEP-0837 recommends
        "type": "Intent",
        "action": "transfer",
        "name": "Cooperatives to join a group purchase of liability insurance and renewable energy",
        "resourceConformsTo": "https://www.wikidata.org/wiki/Q43183",
        "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "25"},
    }
    # The deadline (end of 15 January in New York) as ValueFlows' hasEnd.
    assert doc["hasEnd"] == "2027-01-16T04:59:59Z"
    assert doc["location"] == {"type": "Place", "name": "New England"}


def test_quantities_are_plain_decimal_strings() -> None:
    assert (
        build(the_call(quantity={"value": 1000}))["publishes"]["resourceQuantity"][
            "hasNumericalValue"
        ]
        == "1000"
    )
    assert build(the_call(quantity={"value": "2.50", "unit": "kilowattHour"}))["publishes"][
        "resourceQuantity"
    ] == {
        "hasUnit": "kilowattHour",
        "hasNumericalValue": "2.5",
    }
    assert build(the_call(quantity=None))["publishes"]["resourceQuantity"] == {"hasUnit": "one"}


def test_a_call_at_a_place_and_online() -> None:
    doc = build(
        the_call(
            region=None,
            location={
                "name": "Worker Co-op Hub",
                "address": {"addressLocality": "Boston"},
                "url": "https://meet.example.org/gp",
            },
        )
    )
    assert (
        doc["location"]["type"] == "Place"
        and doc["location"]["address"]["addressLocality"] == "Boston"
    )
    assert (
        'Where: Worker Co-op Hub, Boston, online: <a href="https://meet.example.org/gp"'
        in doc["content"]
    )


def test_translations_repeat_the_whole_text_per_language() -> None:
    doc = build(
        the_call(
            languages=["en", "es"],
            nameMap={"es": "Compra colectiva de seguros y energía"},
            contentMap={"es": "Juntas negociamos **precios justos**."},
        )
    )
    assert list(doc["contentMap"]) == ["en", "es"]
    assert doc["contentMap"]["en"] == doc["content"]
    assert doc["contentMap"]["es"].startswith("<p>Compra colectiva de seguros y energía</p>")
    assert "<strong>precios justos</strong>" in doc["contentMap"]["es"]


def test_every_call_term_is_defined() -> None:
    for inp in (
        the_call(),
        the_call(
            location={"name": "Hub", "address": {"addressLocality": "Boston"}},
            image={"url": "https://a.example/x.jpg", "name": "Solar panels on a co-op roof"},
        ),
    ):
        doc = build(inp)
        assert undefined_terms(jsonld.expand(doc)) == []
        assert jsonld.canonize(doc)
    assert "https://w3id.org/valueflows/ont/vf#publishes" in json.dumps(
        jsonld.expand(build(the_call()))
    )
