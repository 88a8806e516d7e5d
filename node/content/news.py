"""News as ActivityStreams: an ``Article`` (a story, case study, tool or announcement).

Mastodon converts an ``Article`` into the bold ``name``, the ``summary`` and a link to ``url``,
ignoring ``content`` (interop.md); so ``summary`` is the lead: the author's, or the opening of the
text, after the kind ("Case study"). The full text is in ``content`` for the HTML page and for
software that shows articles (Friendica, WordPress, Mobilizon posts). The kind is published as
schema.org ``genre``, under the API's field name ``kind``.
"""

from __future__ import annotations

from typing import Any

from node.activitypub.vocab import AS_CONTEXT
from node.content.envelope import Publication, without_nulls
from node.content.fields import NewsInput
from node.content.i18n import language_map
from node.content.markdown import plain_text_to_html, render
from node.content.summary import article_summary_html

__all__ = ["NEWS_TERMS", "article_object", "news_context"]

NEWS_TERMS: dict[str, Any] = {
    "schema": "http://schema.org#",
    "Hashtag": "as:Hashtag",
    "kind": "schema:genre",
    "inLanguage": "schema:inLanguage",
}


def news_context() -> list[Any]:
    """The ``@context`` of a news item: ActivityStreams plus inline terms."""
    return [AS_CONTEXT, dict(NEWS_TERMS)]


def article_object(inp: NewsInput, pub: Publication) -> dict[str, Any]:
    """The ActivityStreams ``Article`` for a news item; ``pub`` says where it is published."""
    doc: dict[str, Any] = pub.head(news_context(), "Article")
    lang = inp.language
    summary = article_summary_html(inp)
    doc |= {
        "name": inp.name,
        "nameMap": language_map(lang, inp.name, inp.name_map),
        "summary": summary,
        "summaryMap": language_map(
            lang, summary, {k: plain_text_to_html(v) for k, v in inp.summary_map.items()}
        ),
        "content": render(inp.content),
        "contentMap": language_map(
            lang, render(inp.content), {k: render(v) for k, v in inp.content_map.items()}
        ),
        "kind": inp.kind,
        "inLanguage": lang,
        **pub.envelope(inp.tags, inp.image),
    }
    return without_nulls(doc)
