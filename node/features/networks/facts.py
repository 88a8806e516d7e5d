"""What a network files about an item it receives: kind, times, place, tags, category. Pure.

Remote documents vary (Mobilizon, Gancio, Mastodon, ours), so every value is read defensively
and bounded; whatever cannot be read is simply left empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node.activitypub.vocab import Activity, as_list, text
from node.features.networks import clean

# the classes of duration (``network_item.span_class``): node/models/spans.py
from node.models.spans import LASTING as LASTING
from node.models.spans import NO_END as NO_END
from node.models.spans import SPAN_BASE as SPAN_BASE
from node.models.spans import SPANS as SPANS
from node.models.spans import over_at as over_at
from node.models.spans import span_class as span_class

MAX_TAGS = 30
NEWS_TYPES = frozenset({"Article", "Page"})
CALL_PURPOSES = frozenset({"offer", "request"})


@dataclass(frozen=True)
class ItemFacts:
    """The filterable facts of one item."""

    kind: str
    start_time: datetime | None
    end_time: datetime | None
    region: str
    country: str
    tags: tuple[str, ...]
    category: str
    online: bool

    @property
    def ends_at(self) -> datetime | None:
        """When the event is over: its end (never before its start), else NO_END after its
        start; None without a start."""
        return over_at(self.start_time, self.end_time)

    @property
    def span_class(self) -> int:
        """Its class of duration (see SPANS); 0 without a start."""
        return span_class(self.start_time, self.ends_at)

    @property
    def tag_text(self) -> str:
        """Tags between spaces (`` food coops ``), as stored for ``LIKE '% tag %'``."""
        return f" {' '.join(self.tags)} " if self.tags else ""


def kind_of(doc: dict[str, Any]) -> str:
    """event, news, call (a FEP-0837 proposal, sent as a Note), note, or other."""
    kind = doc.get("type")
    types = set(as_list(kind))
    if "Event" in types:
        return "event"
    if types & NEWS_TYPES:
        return "news"
    if "Proposal" in types or doc.get("purpose") in CALL_PURPOSES:
        return "call"
    if "Note" in types or "Question" in types:
        return "note"
    return "other"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time in UTC; None when absent or unreadable (naive times are taken as UTC)."""
    parsed = clean.moment(value)
    return parsed.astimezone(UTC) if parsed is not None else None


def _place(doc: dict[str, Any]) -> tuple[str, str, bool]:
    """(region, country, online) from ``location``: a Place with a PostalAddress and/or a
    VirtualLocation (a list of both for a hybrid event)."""
    region, country, online = "", "", False
    for location in as_list(doc.get("location"))[:5]:
        if not isinstance(location, dict):
            continue
        if location.get("type") == "VirtualLocation":
            online = True
            continue
        address = location.get("address")
        if isinstance(address, dict):
            region = region or text(address.get("addressRegion"), 200) or ""
            region = region or text(address.get("addressLocality"), 200) or ""
            code = text(address.get("addressCountry"), 2) or ""
            country = country or (code.upper() if len(code) == 2 else "")
        elif isinstance(address, str):
            region = region or text(address, 200) or ""
    return region, country, online


def _tags(doc: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for tag in as_list(doc.get("tag"))[: MAX_TAGS * 2]:
        if not isinstance(tag, dict) or tag.get("type") != "Hashtag":
            continue
        name = (text(tag.get("name"), 65) or "").lstrip("#").lower()
        # spaces would break the " tag " matching; hashtags never have them anyway
        if name and " " not in name and name not in found:
            found.append(name)
    return tuple(found[:MAX_TAGS])


def item_facts(doc: dict[str, Any]) -> ItemFacts:
    """The facts of an ActivityStreams object."""
    kind = kind_of(doc)
    region, country, online = _place(doc)
    if doc.get("isOnline") is True:
        online = True
    return ItemFacts(
        kind=kind,
        start_time=parse_time(doc.get("startTime")) if kind == "event" else None,
        end_time=parse_time(doc.get("endTime")) if kind == "event" else None,
        region=region,
        country=country,
        tags=_tags(doc),
        category=(text(doc.get("category"), 64) or "").upper(),
        online=online,
    )


def author_of(doc: dict[str, Any]) -> str | None:
    """The object's author: the first actor id in ``attributedTo`` (Mobilizon lists the group
    and the person; the first is the one that published), else the ``actor``."""
    view = Activity(doc)
    return view.attributed_to or view.actor


def addressed_to(activity: dict[str, Any], ident: str) -> bool:
    """Whether ``ident`` is in to/cc/audience of the activity or its object (FEP-1b12)."""
    view = Activity(activity)
    return any(doc is not None and ident in doc.addressees for doc in (view, view.object_activity))


def title_of(doc: dict[str, Any], kind: str) -> str:
    """The item's ``name`` (bounded), or its kind capitalized where it has none."""
    name = doc.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:300]
    return kind.capitalize()


def page_of(doc: dict[str, Any], object_id: str) -> str:
    """The item's HTML page (``url``, a string or a Link), or its id where it names none; only
    ever an http(s) URL (a remote ``javascript:`` link is never republished)."""
    return clean.link(doc.get("url")) or clean.http_url(object_id) or ""


class ShownItem:
    """``title`` and ``url`` for the entries of timelines and feeds, read from their document."""

    # none of its own, so that a subclass can be slotted (a calendar holds thousands of entries)
    __slots__ = ()

    object_id: str
    document: dict[str, Any]
    kind: str

    @property
    def title(self) -> str:
        """The ``name``, or the kind where it has none."""
        return title_of(self.document, self.kind)

    @property
    def url(self) -> str:
        """The HTML page, or the object id where it names none."""
        return page_of(self.document, self.object_id)
