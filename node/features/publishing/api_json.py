"""The JSON the API answers with: items, series, participants, replies (schemas in openapi_schemas.py)."""

from __future__ import annotations

from typing import Any

from node.activitypub.vocab import iso
from node.models import Item, Series
from node.urls import Urls

# API collection of each item kind (the path segment after /api/v1/).
COLLECTIONS = {"event": "events", "call": "calls", "news": "news"}


def item_uid(urls: Urls, item: Item) -> str:
    """The uid in the item's id (``…/items/{uid}``)."""
    uid = urls.item_uid(item.ap_id)
    assert uid is not None
    return uid


def item_location(urls: Urls, item: Item) -> str:
    """Where the API serves (and PATCHes and DELETEs) the item."""
    return urls.api(f"/{COLLECTIONS[item.kind]}/{item_uid(urls, item)}")


def item_view(
    urls: Urls,
    item: Item,
    *,
    series_uid: str | None = None,
    participant_count: int | None = None,
) -> dict[str, Any]:
    """An item: its ids, what the author gave (``source``, the shape to PATCH), and the
    ActivityStreams object as published."""
    view: dict[str, Any] = {
        "id": item.ap_id,
        "uid": item_uid(urls, item),
        "url": str(item.document.get("url", item.ap_id)),
        "api": item_location(urls, item),
        "published": iso(item.published),
        "updated": iso(item.updated),
        "source": item.source,
        "activitypub": item.document,
    }
    if item.kind == "event":
        count = item.document.get("participantCount", 0)
        view["participantCount"] = participant_count if participant_count is not None else count
        view["series"] = series_uid
    return view


def series_view(urls: Urls, series: Series, occurrences: list[Item]) -> dict[str, Any]:
    """A recurring series and its dates published so far."""
    return {
        "uid": series.uid,
        "api": urls.api(f"/series/{series.uid}"),
        "created": iso(series.created_at),
        "updated": iso(series.updated_at),
        "publishedCount": series.published_count,
        "source": series.source,
        "occurrences": [
            {
                "id": item.ap_id,
                "uid": item_uid(urls, item),
                "url": str(item.document.get("url", item.ap_id)),
                "index": item.series_index or 0,
                "startTime": item.document.get("startTime"),
                "endTime": item.document.get("endTime"),
                "status": item.source.get("status", "scheduled"),
            }
            for item in occurrences
        ],
    }
