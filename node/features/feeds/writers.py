"""RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1, written with the standard library.

XML goes through ``xml.etree.ElementTree``, which escapes text and attributes; HTML content is
carried as escaped text (RSS ``description``, Atom ``type="html"``), never as raw markup.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from node.features.feeds.entries import FeedEntry

log = logging.getLogger("solnode.feeds")

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "Solidarity Node"


@dataclass(frozen=True)
class FeedInfo:
    title: str
    description: str
    home: str  # the HTML page
    self_url: str  # this feed (without the format suffix: see ``url``)
    query: str = ""  # ``?kind=…`` kept on the self links

    def url(self, fmt: str) -> str:
        return f"{self.self_url}.{fmt}{self.query}"


def sound(entries: list[FeedEntry]) -> list[FeedEntry]:
    """The entries every writer can render: one bad remote entry is skipped and logged, never
    a 500 for the whole feed."""
    kept = []
    for entry in entries:
        try:
            format_datetime(entry.published, usegmt=True)
            _rfc3339(entry.published), _rfc3339(entry.updated), entry.url, entry.title
        except Exception:
            log.warning("feed: skipped %s", entry.object_id, exc_info=True)
            continue
        kept.append(entry)
    return kept


def _html(entry: FeedEntry) -> str:
    for key in ("content", "summary"):
        value = entry.document.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _summary(entry: FeedEntry) -> str:
    value = entry.document.get("summary")
    return value if isinstance(value, str) else ""


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated(entries: list[FeedEntry]) -> datetime:
    return max((e.updated for e in entries), default=datetime(2000, 1, 1, tzinfo=UTC))


def _xml(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def rss(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    entries = sound(entries)
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = info.title
    ET.SubElement(channel, "link").text = info.home
    ET.SubElement(channel, "description").text = info.description or info.title
    ET.SubElement(channel, "generator").text = GENERATOR
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(_updated(entries), usegmt=True)
    ET.SubElement(
        channel,
        f"{{{ATOM_NS}}}link",
        {"rel": "self", "type": "application/rss+xml", "href": info.url("rss")},
    )
    for entry in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry.title
        ET.SubElement(item, "link").text = entry.url
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = entry.object_id
        ET.SubElement(item, "pubDate").text = format_datetime(entry.published, usegmt=True)
        ET.SubElement(item, "description").text = _html(entry)
        # RSS wants an e-mail in <author>; Dublin Core would need a namespace: the name in
        # <category domain="author"> would be misread, so credit goes in <source> (the author's
        # page) as RSS 2.0 defines it for items taken from another channel.
        ET.SubElement(item, "source", {"url": entry.author_url}).text = entry.author_name
        ET.SubElement(item, "category").text = entry.kind
    return _xml(root)


def atom(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    entries = sound(entries)
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(root, "id", info.url("atom"))
    sub(root, "title", info.title)
    if info.description:
        sub(root, "subtitle", info.description)
    sub(root, "updated", _rfc3339(_updated(entries)))
    sub(root, "link", rel="alternate", type="text/html", href=info.home)
    sub(root, "link", rel="self", type="application/atom+xml", href=info.url("atom"))
    sub(root, "generator", GENERATOR)
    for entry in entries:
        el = sub(root, "entry")
        sub(el, "id", entry.object_id)
        sub(el, "title", entry.title)
        sub(el, "link", rel="alternate", type="text/html", href=entry.url)
        sub(el, "published", _rfc3339(entry.published))
        sub(el, "updated", _rfc3339(entry.updated))
        author = sub(el, "author")
        sub(author, "name", entry.author_name)
        sub(author, "uri", entry.author_url)
        sub(el, "category", term=entry.kind)
        summary = _summary(entry)
        if summary:
            sub(el, "summary", summary, type="html")
        content = _html(entry)
        if content:
            sub(el, "content", content, type="html")
    return _xml(root)


def json_feed(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    entries = sound(entries)
    items: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {
            "id": entry.object_id,
            "url": entry.url,
            "title": entry.title,
            "content_html": _html(entry),
            "date_published": _rfc3339(entry.published),
            "date_modified": _rfc3339(entry.updated),
            "authors": [{"name": entry.author_name, "url": entry.author_url}],
            "tags": [entry.kind],
        }
        if _summary(entry):
            item["summary"] = _summary(entry)
        items.append(item)
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.home,
        "feed_url": info.url("json"),
        "description": info.description,
        "items": items,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()
