"""News: an Article whose summary (what Mastodon shows) is the lead, on the demo call for
stories, case studies and tools."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from node.activitypub import jsonld
from node.activitypub.vocab import PUBLIC
from node.content.envelope import Publication
from node.content.fields import NewsInput, validate_news
from node.content.news import article_object
from tests.unit.test_content_events import undefined_terms

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "content" / "news_share_stories.json"
BASE = "https://sjn.example.org"
ACTOR = f"{BASE}/actors/sjn"


def news(**changes: Any) -> NewsInput:
    data = json.loads(FIXTURE.read_text())
    data.update(changes)
    return validate_news({k: v for k, v in data.items() if v is not None})


def build(inp: NewsInput) -> dict[str, Any]:
    return article_object(
        inp,
        Publication(
            ident=f"{BASE}/items/stories",
            url=f"{BASE}/items/stories",
            actor_id=ACTOR,
            followers=f"{ACTOR}/followers",
            published=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
            updated=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
            tag_href=lambda t: f"{BASE}/tags/{t.lower()}",
        ),
    )


def test_an_article_with_the_lead_as_summary() -> None:
    doc = build(news())
    assert doc["type"] == "Article" and doc["name"] == "Share your stories, case studies and tools"
    assert doc["summary"] == (
        "<p>Announcement</p><p>We are looking for stories, case studies and tools: anything that works "
        "for you and may work for others. The forums and your responses will be shared online so that "
        "people can use them to inspire their own work, wherever they live.</p>"
    )
    assert "<strong>stories, case studies and tools</strong>" in doc["content"]
    assert doc["kind"] == "announcement"
    assert doc["to"] == [PUBLIC]
    assert doc["attachment"] == [
        {
            "type": "Document",
            "url": "https://sjn.example.org/media/stories.jpg",
            "mediaType": "image/jpeg",
            "name": "A circle of chairs in a community hall, notebooks on the floor",
        }
    ]
    assert doc["contentMap"] == {"en": doc["content"]} and doc["inLanguage"] == "en"


def test_without_a_lead_the_opening_of_the_text_is_the_summary() -> None:
    doc = build(news(summary=None, kind="case-study"))
    assert doc["summary"] == (
        "<p>Case study</p><p>The forums and people&#x27;s responses to them will be shared online so that "
        "people can use them to inspire their own work, wherever they live.</p>"
    )


def test_news_terms_are_defined() -> None:
    doc = build(news())
    assert undefined_terms(jsonld.expand(doc)) == []
    assert jsonld.canonize(doc)
